// The fast path: fused QKV GEMM with weights packed at load, GEMM epilogues (bias, bias+activation,
// bias+residual), tiled variable-length attention, and buffers planned once and reused.
// With sparsity on, the batch is packed as [real tokens, hidden]; off, it is padded to
// [B * max_len, hidden] and the padding rows are computed too (as without nested tensors).
#pragma once

#include <memory>
#include <vector>

#include "backends/cpu/packed_linear.h"
#include "models/encoder_model.h"
#include "packformer/encoder.h"

namespace packformer {

class Profiler;

// One session's activations: grown to the largest batch seen, then reused (no allocation once
// warm). Sessions of one model each own one, so they can run at the same time.
struct FastWorkspace {
  std::vector<float> x, qkv, context, sum, x1, intermediate;
  std::vector<int64_t> row_start, query_rows, key_rows;

  size_t bytes() const;  // held by the activations, for reports
};

// The packed weights: immutable after construction, shared by every session.
class FastEncoder {
 public:
  explicit FastEncoder(const EncoderModel& model);
  ~FastEncoder();

  // Fills output.hidden_states with the real tokens' rows (output.offsets must be set).
  void run(const EncoderInput& input, bool packed, EncoderOutput& output, Profiler* profiler, FastWorkspace& ws) const;

 private:
  struct Layer {
    PackedLinear qkv, attention_output, intermediate, output;
    const EncoderLayerWeights* weights;  // LayerNorm parameters
  };

  void plan(int64_t rows, int64_t batch, FastWorkspace& ws) const;
  void embed(const EncoderInput& input, bool packed, int64_t max_len, FastWorkspace& ws) const;

  const EncoderModel& model_;
  std::vector<Layer> layers_;
};

}  // namespace packformer
