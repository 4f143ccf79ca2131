// Baseline x86-64 build of the decoder attention kernel.
#include "backends/cpu/kernels/decoder_attention_prelude.h"

namespace packformer::generic {
constexpr int64_t kVecFloats = 8;
#include "backends/cpu/kernels/decoder_attention_impl.h"
}  // namespace packformer::generic
