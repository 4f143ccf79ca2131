#include "layers/encoder_layer.h"

#include <algorithm>

#include "packformer/profiler.h"

namespace packformer {
namespace {

// Scratch layout: the block's sum and normed rows, then the attention's, then the FFN's.
constexpr size_t kSum = 0, kNormed = 1, kAttention = 2;
constexpr size_t kFeedForward = kAttention + static_cast<size_t>(SelfAttention::kBufferCount);

}  // namespace

EncoderLayer::EncoderLayer(const EncoderLayerSpec& spec, const EncoderLayerWeights& w)
    : attention_(w.query, w.key, w.value, w.attention_output, spec.heads, spec.dtype),
      attention_norm_(w.attention_norm.gamma, w.attention_norm.beta, spec.layer_norm_eps),
      feed_forward_(w.intermediate, w.output, spec.activation, spec.dtype),
      output_norm_(w.output_norm.gamma, w.output_norm.beta, spec.layer_norm_eps) {}

std::array<RowBuffer, EncoderLayer::kBufferCount> EncoderLayer::buffers(const EncoderLayerSpec& spec) {
  const auto attention = SelfAttention::buffers(spec.hidden);
  const auto feed_forward = FeedForward::buffers(spec.inner);
  std::array<RowBuffer, kBufferCount> out = {RowBuffer{"layer_sum", spec.hidden}, RowBuffer{"layer_normed", spec.hidden}};
  std::copy(attention.begin(), attention.end(), out.begin() + kAttention);
  std::copy(feed_forward.begin(), feed_forward.end(), out.begin() + kFeedForward);
  return out;
}

void EncoderLayer::forward(float* x, const BatchRows& rows, float* const* scratch, Profiler* profiler,
                           const PositionBias& bias) const {
  float* sum = scratch[kSum];
  float* normed = scratch[kNormed];
  attention_.forward(x, rows, scratch + kAttention, sum, profiler, bias);
  {
    ScopedOp op(profiler, "layer_norm", 0.0);
    attention_norm_.forward(sum, normed, rows.rows);
  }
  feed_forward_.forward(normed, rows.rows, rows.real_rows, scratch + kFeedForward, sum, profiler);
  ScopedOp op(profiler, "layer_norm", 0.0);
  output_norm_.forward(sum, x, rows.rows);
}

}  // namespace packformer
