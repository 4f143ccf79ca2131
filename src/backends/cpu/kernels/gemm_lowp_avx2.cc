// AVX2 + FMA build of the bf16 and int8 micro-kernels: the plain loops of gemm_lowp_portable.h,
// vectorised by the compiler (this file is compiled with -mavx2 -mfma).
#include "backends/cpu/kernels/gemm_lowp_kernel.h"

namespace packformer::avx2 {
#include "backends/cpu/kernels/gemm_lowp_portable.h"
}  // namespace packformer::avx2
