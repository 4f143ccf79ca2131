// AVX-512 build of the decoder attention kernel (compiled with -mavx512f/bw/vl/dq): 16-float vectors.
#include "backends/cpu/kernels/decoder_attention_prelude.h"

namespace packformer::avx512 {
constexpr int64_t kVecFloats = 16;
#include "backends/cpu/kernels/decoder_attention_impl.h"
}  // namespace packformer::avx512
