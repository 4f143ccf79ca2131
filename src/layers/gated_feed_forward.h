// The gated feed-forward block of Llama-style models (SwiGLU with silu):
// y = residual + down(activation(gate(x)) * up(x)). gate and up run as one GEMM over their
// stacked weights ([gate; up], packed once at load); the residual add is fused into down's
// epilogue. Biases are optional (Llama's mlp_bias).
#pragma once

#include <array>
#include <cstdint>

#include "layers/linear.h"
#include "layers/row_buffers.h"
#include "layers/weights.h"

namespace packformer {

class GatedFeedForward {
 public:
  enum Buffer { kGateUp, kInner, kBufferCount };

  // gate and up [inner, hidden], down [hidden, inner]; biases all present or all empty.
  // dtype: the precision of the three projections (Linear).
  GatedFeedForward(const LinearWeights& gate, const LinearWeights& up, const LinearWeights& down,
                   Activation activation, Precision dtype = Precision::F32);

  static std::array<RowBuffer, kBufferCount> buffers(int64_t inner);

  // y[rows, hidden] = residual + block(x); scratch[i] is buffer i of buffers(); y is not residual.
  void forward(const float* x, int64_t rows, float* const* scratch, float* y, const float* residual) const;

  int64_t inner() const { return inner_; }

 private:
  Linear gate_up_, down_;
  Activation activation_;
  int64_t inner_ = 0;
};

}  // namespace packformer
