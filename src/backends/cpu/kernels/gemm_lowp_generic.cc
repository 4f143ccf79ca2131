// Baseline x86-64 build of the bf16 and int8 micro-kernels (plain loops, see gemm_lowp_portable.h).
#include "backends/cpu/kernels/gemm_lowp_kernel.h"

namespace packformer::generic {
#include "backends/cpu/kernels/gemm_lowp_portable.h"
}  // namespace packformer::generic
