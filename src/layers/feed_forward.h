// The position-wise feed-forward block: y = x + down(activation(up(x))), the activation fused
// into up's GEMM epilogue and the residual add into down's.
#pragma once

#include <array>
#include <cstdint>

#include "layers/linear.h"
#include "layers/row_buffers.h"
#include "layers/weights.h"

namespace packformer {

class Profiler;

class FeedForward {
 public:
  enum Buffer { kInner, kBufferCount };

  // up [inner, hidden], down [hidden, inner].
  FeedForward(const LinearWeights& up, const LinearWeights& down, Activation activation,
              Precision dtype = Precision::F32);

  static std::array<RowBuffer, kBufferCount> buffers(int64_t inner);

  // rows x hidden in and out; real_rows counts the FLOPs. scratch[i] is buffer i of buffers().
  void forward(const float* x, int64_t rows, int64_t real_rows, float* const* scratch, float* y,
               Profiler* profiler) const;

 private:
  Linear up_, down_;
};

}  // namespace packformer
