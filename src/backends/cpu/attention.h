// Multi-head self-attention over variable-length sequences, one (sequence, head) at a time:
// key tiles are scored against query tiles and folded into the output with an online softmax,
// so no [B, heads, T, T] tensor exists, and padding keys are never read.
#pragma once

#include <cstdint>

namespace packformer {

struct AttentionArgs {
  const float* qkv = nullptr;  // rows of [q (hidden) | k (hidden) | v (hidden)]
  int64_t qkv_stride = 0;      // floats between rows of qkv (3 * hidden)
  float* out = nullptr;        // rows of [hidden]
  int64_t out_stride = 0;
  int64_t heads = 0, head_dim = 0;
  float scale = 1.0f;
  int64_t batch = 0;
  const int64_t* row_start = nullptr;  // first row of sequence b in qkv and out
  const int64_t* query_rows = nullptr; // rows of sequence b that need an output (padded: T)
  const int64_t* key_rows = nullptr;   // real tokens of sequence b (keys/values attended to)
  // Optional additive bias that depends only on (head, key - query), added to the scaled
  // scores (MPNet's relative positions): position_bias[head * position_bias_stride +
  // position_bias_center + (key - query)]. Null: no bias, and the kernel does no extra work.
  const float* position_bias = nullptr;
  int64_t position_bias_stride = 0, position_bias_center = 0;
};

// Largest head size the kernel supports.
constexpr int64_t kMaxHeadDim = 256;

// Runs the variant of the kernel table in use (backends/cpu/kernel_table.h).
void attention_varlen(const AttentionArgs& args);

}  // namespace packformer
