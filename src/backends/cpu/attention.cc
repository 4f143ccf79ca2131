#include "backends/cpu/attention.h"

#include "backends/cpu/isa.h"
#include "packformer/error.h"

namespace packformer {
namespace avx2 {
void attention_varlen(const AttentionArgs& args);
}
namespace generic {
void attention_varlen(const AttentionArgs& args);
}

void attention_varlen(const AttentionArgs& args) {
  if (args.head_dim > kMaxHeadDim)
    fail(ErrorKind::Unsupported, "head size " + std::to_string(args.head_dim) + " exceeds the supported " +
                                     std::to_string(kMaxHeadDim));
  if (cpu_isa() == Isa::Avx2) avx2::attention_varlen(args);
  else generic::attention_varlen(args);
}

const char* attention_isa() { return isa_name(cpu_isa()); }

}  // namespace packformer
