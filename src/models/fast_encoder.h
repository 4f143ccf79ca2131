// The fast path: the encoder as layers (src/layers/: Embeddings, then EncoderLayer = fused-QKV
// self-attention, LayerNorm, feed-forward, LayerNorm), weights packed at load, activations in
// one arena planned from the layers' declared buffers and reused.
// With sparsity on, the batch is packed as [real tokens, hidden]; off, it is padded to
// [B * max_len, hidden] and the padding rows are computed too (as without nested tensors).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <vector>

#include "layers/embeddings.h"
#include "layers/encoder_layer.h"
#include "layers/relative_position_bias.h"
#include "layers/row_buffers.h"
#include "models/encoder_model.h"
#include "packformer/encoder.h"

namespace packformer {

class Profiler;

// One session's activations: grown to the largest batch seen, then reused (no allocation once
// warm). Sessions of one model each own one, so they can run at the same time.
struct FastWorkspace {
  RowArena arena;
  std::array<float*, EncoderLayer::kBufferCount> scratch{};
  std::vector<int64_t> row_start, query_rows, key_rows;
  std::vector<float> position_bias;  // the batch's relative-position bias table (MPNet)

  // held by the activations, for reports
  size_t bytes() const { return arena.bytes() + position_bias.size() * sizeof(float); }
};

// The layers: immutable after construction, shared by every session.
class FastEncoder {
 public:
  // dtype: the precision of every Linear of the layers (fp32, bf16 or int8); embeddings,
  // LayerNorm, attention and the heads stay fp32.
  FastEncoder(const EncoderModel& model, Precision dtype);
  ~FastEncoder();

  // The per-row buffers run() uses (the hidden states, then one layer's scratch, shared by all
  // layers): what the workspace holds and what the memory check counts.
  static constexpr size_t kBufferCount = 1 + EncoderLayer::kBufferCount;
  static std::array<RowBuffer, kBufferCount> buffers(const EncoderConfig& config);

  // Fills output.hidden_states with the real tokens' rows (output.offsets must be set).
  void run(const EncoderInput& input, bool packed, EncoderOutput& output, Profiler* profiler, FastWorkspace& ws) const;
  Precision dtype() const { return dtype_; }

 private:
  const EncoderModel& model_;
  Precision dtype_;
  std::array<RowBuffer, kBufferCount> buffers_;
  Embeddings embeddings_;
  std::vector<EncoderLayer> layers_;
  std::optional<RelativePositionBias> position_bias_;  // MPNet only
};

}  // namespace packformer
