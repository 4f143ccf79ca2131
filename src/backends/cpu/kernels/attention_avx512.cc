// AVX-512 build of the attention kernel (compiled with -mavx512f/bw/vl/dq): the same body
// with 16-float vectors, so each register block covers 32 queries or head columns.
#include "backends/cpu/kernels/attention_prelude.h"

namespace packformer::avx512 {
constexpr int64_t kVecFloats = 16;
#include "backends/cpu/kernels/attention_impl.h"
}  // namespace packformer::avx512
