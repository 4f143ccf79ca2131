// RMSNorm (Llama, Mistral, Qwen): y = gamma * (x / sqrt(mean(x^2) + eps)), no mean subtracted
// and no bias. The same layer normalizes whole hidden rows and, for Qwen3's q_norm / k_norm,
// each attention head's slice of a row.
#pragma once

#include <cstdint>

#include "loader/float_tensor.h"

namespace packformer {

class RMSNorm {
 public:
  RMSNorm() = default;
  // gamma of size n (a view into the weights or owned values).
  RMSNorm(FloatTensor gamma, float eps);

  // y[rows, n] from x[rows, n], rows in parallel. y may be x.
  void forward(const float* x, float* y, int64_t rows) const;
  // One vector of n floats on the calling thread (inside a caller's parallel loop). y may be x.
  void forward_row(const float* x, float* y) const;
  // In place over `count` consecutive vectors of n floats at x (the heads of one token).
  void forward_heads(float* x, int64_t count) const;

  int64_t size() const { return static_cast<int64_t>(gamma_.size()); }
  float eps() const { return eps_; }

 private:
  FloatTensor gamma_;
  float eps_ = 1e-6f;
};

}  // namespace packformer
