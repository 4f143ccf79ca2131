#include "backends/cpu/isa.h"

#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>

#include "packformer/device.h"
#include "packformer/error.h"

namespace packformer {
namespace {

struct Flag {
  const char* name;  // as /proc/cpuinfo and lscpu spell it (GCC's builtin drops the '_')
  int present;  // __builtin_cpu_supports(name): non-zero when the CPU has it
};

const char* first_missing(std::initializer_list<Flag> flags) {
  for (const Flag& flag : flags)
    if (!flag.present) return flag.name;
  return nullptr;
}

constexpr const char* kAccepted = "generic, avx2, avx512, avx512vnni, avx512bf16";

}  // namespace

// The flags each variant's files are compiled with (CMakeLists.txt, one rule per suffix).
const char* isa_missing_flag(Isa isa) {
  switch (isa) {
    case Isa::Generic: return nullptr;
    case Isa::Avx2: return first_missing({{"avx2", __builtin_cpu_supports("avx2")}, {"fma", __builtin_cpu_supports("fma")}});
    case Isa::Avx512:
      if (const char* missing = isa_missing_flag(Isa::Avx2)) return missing;
      return first_missing({{"avx512f", __builtin_cpu_supports("avx512f")},
                            {"avx512bw", __builtin_cpu_supports("avx512bw")},
                            {"avx512vl", __builtin_cpu_supports("avx512vl")},
                            {"avx512dq", __builtin_cpu_supports("avx512dq")}});
    case Isa::Avx512Vnni:
      if (const char* missing = isa_missing_flag(Isa::Avx512)) return missing;
      return first_missing({{"avx512_vnni", __builtin_cpu_supports("avx512vnni")}});
    case Isa::Avx512Bf16:
      if (const char* missing = isa_missing_flag(Isa::Avx512Vnni)) return missing;
      return first_missing({{"avx512_bf16", __builtin_cpu_supports("avx512bf16")}});
  }
  return "?";
}

bool isa_supported(Isa isa) { return isa_missing_flag(isa) == nullptr; }

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Avx512Vnni: return "avx512vnni";
    case Isa::Avx512Bf16: return "avx512bf16";
  }
  return "?";
}

Isa choose_isa(const char* forced) {
  if (forced == nullptr || *forced == '\0') {
    for (const Isa isa : {Isa::Avx512Bf16, Isa::Avx512Vnni, Isa::Avx512, Isa::Avx2})
      if (isa_supported(isa)) return isa;
    return Isa::Generic;
  }
  for (const Isa isa : kAllIsas) {
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

namespace packformer {

bool cpu_has_fast(Precision dtype) {
  const Isa isa = cpu_isa();
  switch (dtype) {
    case Precision::BF16: return isa == Isa::Avx512Bf16;  // vdpbf16ps
    // vpdpbusd, or AVX-512's vpmaddwd on s16 pairs; the AVX2 and generic int8 kernels are plain loops.
    case Precision::Int8: return isa == Isa::Avx512 || isa == Isa::Avx512Vnni || isa == Isa::Avx512Bf16;
    case Precision::F32: return true;
    case Precision::F16: return false;  // CUDA only
  }
  return false;
}

}  // namespace packformer
