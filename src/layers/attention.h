// Multi-head self-attention of an encoder layer over a batch laid out as rows (packed: the
// real tokens only; padded: batch x longest): Q, K and V in one GEMM, the tiled
// variable-length kernel (backends/cpu/attention.h), and the output projection with the
// residual add fused into its epilogue.
#pragma once

#include <array>
#include <cstdint>

#include "layers/linear.h"
#include "layers/row_buffers.h"
#include "layers/weights.h"

namespace packformer {

class Profiler;

// Where each sequence's rows are: sequence b starts at row row_start[b]; query_rows[b] of its
// rows need an output (padded: all of them) and its first key_rows[b] rows are real tokens,
// the only keys and values attended to.
struct BatchRows {
  int64_t batch = 0;
  int64_t rows = 0;       // rows computed
  int64_t real_rows = 0;  // real tokens: what FLOP counts use (padding is waste, not work)
  const int64_t* row_start = nullptr;
  const int64_t* query_rows = nullptr;
  const int64_t* key_rows = nullptr;
};

// An additive attention bias that depends only on (head, key - query), the same for every
// sequence of a batch (MPNet's relative positions): head h's bias at offset key - query is
// table[h * stride + center + (key - query)]. A null table: no bias.
struct PositionBias {
  const float* table = nullptr;
  int64_t stride = 0, center = 0;
};

class SelfAttention {
 public:
  enum Buffer { kQkv, kContext, kBufferCount };

  // query, key and value [hidden, hidden]; output [hidden, hidden]; heads divides hidden.
  // `dtype` is the projections' precision (Linear).
  SelfAttention(const LinearWeights& query, const LinearWeights& key, const LinearWeights& value,
                const LinearWeights& output, int64_t heads, Precision dtype = Precision::F32);

  // The scratch forward() needs, per row.
  static std::array<RowBuffer, kBufferCount> buffers(int64_t hidden);

  // y = x + output(attention(x)); scratch[i] is buffer i of buffers(), for rows.rows rows.
  // `bias` covers offsets up to the longest sequence's length - 1 either way.
  void forward(const float* x, const BatchRows& rows, float* const* scratch, float* y, Profiler* profiler,
               const PositionBias& bias = {}) const;

 private:
  Linear qkv_, output_;
  int64_t heads_, head_dim_;
};

}  // namespace packformer
