// The decoder attention kernel's contract, shared by its per-ISA builds
// (decoder_attention_{generic,avx2,avx512}.cc) and the driver (backends/cpu/decoder_attention.cc).
// Declarations only: this header is included by files compiled with different ISA flags.
#pragma once

#include <cstdint>

namespace packformer {

// Largest head size supported.
constexpr int64_t kMaxDecoderHeadDim = 256;

// One query and one head over `keys_n` cached keys and values (rows `key_stride` floats
// apart): out = softmax(scale * keys . q) . values, head_dim <= kMaxDecoderHeadDim.
struct CachedAttendArgs {
  const float* q = nullptr;
  const float* keys = nullptr;
  const float* values = nullptr;
  int64_t key_stride = 0;
  int64_t keys_n = 0;
  int64_t head_dim = 0;
  float scale = 1.0f;
  float* out = nullptr;
};

namespace generic {
void cached_attend(const CachedAttendArgs& args);
}
namespace avx2 {
void cached_attend(const CachedAttendArgs& args);
}
namespace avx512 {
void cached_attend(const CachedAttendArgs& args);
}

}  // namespace packformer
