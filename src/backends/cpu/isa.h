// The instruction set the CPU kernels run with, chosen once at start-up: the best the CPU
// supports, or the one PACKFORMER_ISA names (generic|avx2) so tests can force each variant.
#pragma once

namespace packformer {

enum class Isa { Generic, Avx2 };

// The start-up choice (cached on first call). Throws Unsupported when PACKFORMER_ISA names
// an ISA this CPU lacks.
Isa cpu_isa();

bool isa_supported(Isa isa);
const char* isa_name(Isa isa);

}  // namespace packformer
