#include "backends/cpu/isa.h"

#include <cstdlib>
#include <cstring>

#include "packformer/error.h"

namespace packformer {

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Generic: return true;
    case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return false;
}

const char* isa_name(Isa isa) { return isa == Isa::Avx2 ? "avx2" : "generic"; }

Isa cpu_isa() {
  static const Isa chosen = [] {
    const char* forced = std::getenv("PACKFORMER_ISA");
    if (forced != nullptr && std::strcmp(forced, "generic") == 0) return Isa::Generic;
    if (forced != nullptr && std::strcmp(forced, "avx2") == 0 && !isa_supported(Isa::Avx2))
      fail(ErrorKind::Unsupported, "PACKFORMER_ISA=avx2 but this CPU lacks AVX2/FMA");
    return isa_supported(Isa::Avx2) ? Isa::Avx2 : Isa::Generic;
  }();
  return chosen;
}

}  // namespace packformer
