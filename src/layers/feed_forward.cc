#include "layers/feed_forward.h"

#include "packformer/profiler.h"

namespace packformer {

FeedForward::FeedForward(const LinearWeights& up, const LinearWeights& down, Activation activation, Precision dtype)
    : up_(up, Epilogue::BiasActivation, activation, dtype), down_(down, Epilogue::BiasResidual, Activation::Gelu, dtype) {}

std::array<RowBuffer, FeedForward::kBufferCount> FeedForward::buffers(int64_t inner) {
  return {RowBuffer{"ffn_inner", inner}};
}

void FeedForward::forward(const float* x, int64_t rows, int64_t real_rows, float* const* scratch, float* y,
                          Profiler* profiler) const {
  float* inner = scratch[kInner];
  {
    ScopedOp op(profiler, "gemm_ffn1+bias+activation", up_.flops(real_rows));
    up_.forward(x, rows, inner);
  }
  ScopedOp op(profiler, "gemm_ffn2+bias+residual", down_.flops(real_rows));
  down_.forward(inner, rows, y, x);
}

}  // namespace packformer
