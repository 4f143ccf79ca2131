// One Transformer encoder layer as BERT, RoBERTa, XLM-R, DistilBERT and MPNet have it (post-LN):
//   x1 = LayerNorm(x + SelfAttention(x));  x = LayerNorm(x1 + FeedForward(x1))
// composed from the layers, with the scratch it needs declared per row (buffers()).
#pragma once

#include <cstdint>
#include <array>

#include "layers/attention.h"
#include "layers/feed_forward.h"
#include "layers/layer_norm.h"
#include "layers/row_buffers.h"

namespace packformer {

struct EncoderLayerSpec {
  int64_t hidden = 0, heads = 0, inner = 0;
  float layer_norm_eps = 1e-12f;
  Activation activation = Activation::Gelu;
  Precision dtype = Precision::F32;  // of the Linear layers
};

struct EncoderLayerWeights {
  LinearWeights query, key, value, attention_output;
  LayerNormWeights attention_norm;
  LinearWeights intermediate, output;
  LayerNormWeights output_norm;
};

class EncoderLayer {
 public:
  // The block's sum and normed rows, then the attention's scratch, then the FFN's.
  static constexpr size_t kBufferCount =
      2 + static_cast<size_t>(SelfAttention::kBufferCount) + static_cast<size_t>(FeedForward::kBufferCount);

  EncoderLayer(const EncoderLayerSpec& spec, const EncoderLayerWeights& weights);

  // The per-row scratch of forward(), in the order forward() takes it.
  static std::array<RowBuffer, kBufferCount> buffers(const EncoderLayerSpec& spec);

  // x [rows.rows, hidden] in place; scratch[i] is buffer i of buffers(); `bias` is added to the
  // attention scores (MPNet), none by default.
  void forward(float* x, const BatchRows& rows, float* const* scratch, Profiler* profiler,
               const PositionBias& bias = {}) const;

 private:
  SelfAttention attention_;
  LayerNorm attention_norm_;
  FeedForward feed_forward_;
  LayerNorm output_norm_;
};

}  // namespace packformer
