#include "backends/cpu/isa.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "packformer/error.h"

namespace packformer {
namespace {

// The flags each variant's kernels are compiled with (CMakeLists.txt), as cpuid names them.
bool has(const char* flag) {
  // __builtin_cpu_supports needs a literal; one branch per flag keeps that.
  if (std::strcmp(flag, "avx2") == 0) return __builtin_cpu_supports("avx2");
  if (std::strcmp(flag, "fma") == 0) return __builtin_cpu_supports("fma");
  if (std::strcmp(flag, "avx512f") == 0) return __builtin_cpu_supports("avx512f");
  if (std::strcmp(flag, "avx512bw") == 0) return __builtin_cpu_supports("avx512bw");
  if (std::strcmp(flag, "avx512vl") == 0) return __builtin_cpu_supports("avx512vl");
  if (std::strcmp(flag, "avx512dq") == 0) return __builtin_cpu_supports("avx512dq");
  return false;
}

constexpr const char* kAvx2Flags[] = {"avx2", "fma"};
constexpr const char* kAvx512Flags[] = {"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"};

constexpr const char* kAccepted = "generic, avx2, avx512";

}  // namespace

const char* isa_missing_flag(Isa isa) {
  if (isa == Isa::Avx2)
    for (const char* flag : kAvx2Flags)
      if (!has(flag)) return flag;
  if (isa == Isa::Avx512)
    for (const char* flag : kAvx512Flags)
      if (!has(flag)) return flag;
  return nullptr;
}

bool isa_supported(Isa isa) { return isa_missing_flag(isa) == nullptr; }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

Isa choose_isa(const char* forced) {
  if (forced == nullptr || *forced == '\0') {
    for (const Isa isa : {Isa::Avx512, Isa::Avx2})
      if (isa_supported(isa)) return isa;
    return Isa::Generic;
  }
  for (const Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
    if (std::strcmp(forced, isa_name(isa)) != 0) continue;
    if (const char* missing = isa_missing_flag(isa))
      fail(ErrorKind::Unsupported, std::string("PACKFORMER_ISA=") + forced + ": this CPU lacks the " + missing +
                                       " instructions that variant needs");
    return isa;
  }
  fail(ErrorKind::InvalidInput, std::string("PACKFORMER_ISA=") + forced + " is not a kernel variant; accepted: " +
                                    kAccepted + " (or unset for the best this CPU runs)");
}

Isa cpu_isa() {
  static const Isa chosen = choose_isa(std::getenv("PACKFORMER_ISA"));
  return chosen;
}

}  // namespace packformer
