// A Linear layer for the fast path: weights packed once at load for the hand-written GEMM
// (backends/cpu/gemm.h), bias and an optional activation or residual add fused into its
// epilogue. A forward call allocates nothing and needs no scratch from the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "backends/cpu/gemm.h"
#include "ops/activation.h"

namespace packformer {

enum class Epilogue { Bias, BiasActivation, BiasResidual };

class PackedLinear {
 public:
  // weight [out, in] row-major (Hugging Face layout), bias [out].
  PackedLinear(std::span<const float> weight, std::span<const float> bias, int64_t in, int64_t out,
               Epilogue epilogue, Activation activation = Activation::Gelu);

  // y[rows, out] = epilogue(x[rows, in] * W^T + b). `residual` has y's shape (BiasResidual
  // only; may be null otherwise). Any row count; nothing is allocated.
  void forward(const float* x, int64_t rows, float* y, const float* residual) const;

  int64_t in() const { return in_; }
  int64_t out() const { return out_; }

 private:
  PackedWeights weights_;
  std::vector<float> bias_;
  Epilogue epilogue_;
  Activation activation_;
  int64_t in_ = 0, out_ = 0;
};

}  // namespace packformer
