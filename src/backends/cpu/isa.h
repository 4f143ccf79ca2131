// The instruction set the CPU kernels run with, chosen once at start-up: the best the CPU
// supports, or the one PACKFORMER_ISA names (generic|avx2|avx512) so tests can force each
// variant. The kernels of each variant live in one table (backends/cpu/kernel_table.h).
#pragma once

namespace packformer {

// Avx2 = AVX2 + FMA; Avx512 = AVX-512 F/BW/VL/DQ (+ FMA and AVX2, which every such CPU has).
enum class Isa { Generic, Avx2, Avx512 };

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
