// The instruction set the CPU kernels run with, chosen once at start-up: the best the CPU
// supports, or the one PACKFORMER_ISA names (generic|avx2|avx512|avx512vnni|avx512bf16) so
// tests can force each variant. The kernels of each variant live in one table (backends/cpu/kernel_table.h).
#pragma once

namespace packformer {

// Avx2 = AVX2 + FMA; Avx512 = AVX-512 F/BW/VL/DQ (+ FMA and AVX2, which every such CPU has).
// Each later variant adds to the one before, as oneDNN's avx512_core_vnni and
// avx512_core_bf16 do (every CPU with AVX512_BF16 so far also has AVX512_VNNI):
// Avx512Vnni = Avx512 + AVX512_VNNI (the int8 GEMM's vpdpbusd), Avx512Bf16 = Avx512Vnni +
// AVX512_BF16 (the bf16 GEMM's vdpbf16ps). They differ from Avx512 in those two GEMMs only.
enum class Isa { Generic, Avx2, Avx512, Avx512Vnni, Avx512Bf16 };

// Every variant, in order: each runs on a CPU that runs the next.
inline constexpr Isa kAllIsas[] = {Isa::Generic, Isa::Avx2, Isa::Avx512, Isa::Avx512Vnni, Isa::Avx512Bf16};

// The start-up choice (cached on first call). Throws InvalidInput when PACKFORMER_ISA holds an
// unknown value and Unsupported when it names an ISA this CPU lacks.
Isa cpu_isa();

// What cpu_isa() does with a PACKFORMER_ISA value (null or empty: not set), uncached, so
// tests can check the errors without a new process.
Isa choose_isa(const char* forced);

bool isa_supported(Isa isa);
// The first CPU flag `isa` needs that this CPU lacks ("avx512bw", ...), or null if none.
const char* isa_missing_flag(Isa isa);
const char* isa_name(Isa isa);

}  // namespace packformer
