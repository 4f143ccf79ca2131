// LayerNorm over the last dimension of rows of activations (the fast paths' kernel:
// ops/layer_norm.h, two-pass variance). The reference path has its own.
#pragma once

#include <cstdint>

#include "loader/float_tensor.h"

namespace packformer {

class LayerNorm {
 public:
  LayerNorm() = default;
  // gamma and beta of equal size n (views into the weights or owned values).
  LayerNorm(FloatTensor gamma, FloatTensor beta, float eps);

  // y[rows, n] = (x - mean) / sqrt(var + eps) * gamma + beta, rows in parallel. y may be x.
  void forward(const float* x, float* y, int64_t rows) const;
  // One row on the calling thread (inside a caller's parallel loop).
  void forward_row(const float* x, float* y) const;

  int64_t size() const { return static_cast<int64_t>(gamma_.size()); }
  const FloatTensor& gamma() const { return gamma_; }
  const FloatTensor& beta() const { return beta_; }
  float eps() const { return eps_; }

 private:
  FloatTensor gamma_, beta_;
  float eps_ = 1e-12f;
};

}  // namespace packformer
