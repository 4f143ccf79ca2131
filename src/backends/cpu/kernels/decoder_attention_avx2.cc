// AVX2 + FMA build of the decoder attention kernel (this file is compiled with -mavx2 -mfma).
#include "backends/cpu/kernels/decoder_attention_prelude.h"

namespace packformer::avx2 {
constexpr int64_t kVecFloats = 8;
#include "backends/cpu/kernels/decoder_attention_impl.h"
}  // namespace packformer::avx2
