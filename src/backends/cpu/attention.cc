#include "backends/cpu/attention.h"

#include <cstdlib>
#include <cstring>

#include "packformer/error.h"

namespace packformer {
namespace avx2 {
void attention_varlen(const AttentionArgs& args);
}
namespace generic {
void attention_varlen(const AttentionArgs& args);
}

namespace {

bool use_avx2() {
  static const bool chosen = [] {
    const char* forced = std::getenv("PACKFORMER_ISA");
    if (forced != nullptr && std::strcmp(forced, "generic") == 0) return false;
    const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (forced != nullptr && std::strcmp(forced, "avx2") == 0 && !supported)
      fail(ErrorKind::Unsupported, "PACKFORMER_ISA=avx2 but this CPU lacks AVX2/FMA");
    return supported;
  }();
  return chosen;
}

}  // namespace

void attention_varlen(const AttentionArgs& args) {
  if (args.head_dim > kMaxHeadDim)
    fail(ErrorKind::Unsupported, "head size " + std::to_string(args.head_dim) + " exceeds the supported " +
                                     std::to_string(kMaxHeadDim));
  if (use_avx2()) avx2::attention_varlen(args);
  else generic::attention_varlen(args);
}

const char* attention_isa() { return use_avx2() ? "avx2" : "generic"; }

}  // namespace packformer
