// Linear: y = epilogue(x W^T + b), the weight held once in the form the CPU backend's GEMM
// reads, packed at load for the ISA variant in use, in the layer's precision: fp32
// (backends/cpu/gemm.h), bf16 (gemm_bf16.h: weights and activations rounded to bf16, fp32
// sums) or int8 (gemm_int8.h: weights quantized per output channel at load, activations per
// row at each call, int32 sums). Bias, activation and residual add run in fp32, fused into the
// GEMM's epilogue. forward() allocates nothing and needs no scratch; any row count.
#pragma once

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/cpu/gemm_bf16.h"
#include "backends/cpu/gemm_int8.h"
#include "layers/weights.h"
#include "ops/activation.h"
#include "packformer/device.h"

namespace packformer {

enum class Epilogue { Bias, BiasActivation, BiasResidual };

class Linear {
 public:
  // weight [out, in] row-major (Hugging Face layout); bias [out], or empty for a layer without
  // one (Llama-style models). dtype F32, BF16 or Int8 (InvalidInput otherwise).
  Linear(std::span<const float> weight, std::span<const float> bias, int64_t in, int64_t out, Epilogue epilogue,
         Activation activation = Activation::Gelu, Precision dtype = Precision::F32);
  // From a model's weight views. The packed copy is what runs, so the weight's pages of the
  // mapped file leave resident memory (the reference path pages them in again if it runs):
  // the weights are held once.
  Linear(const LinearWeights& weights, Epilogue epilogue, Activation activation = Activation::Gelu,
         Precision dtype = Precision::F32);

  // y[rows, out] = epilogue(x[rows, in] W^T + b). `residual` has y's shape (BiasResidual only;
  // ignored otherwise).
  void forward(const float* x, int64_t rows, float* y, const float* residual = nullptr) const;

  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  Precision dtype() const { return dtype_; }
  double flops(int64_t rows) const { return 2.0 * static_cast<double>(rows) * in_ * out_; }

 private:
  std::variant<PackedWeights, PackedWeightsBf16, PackedWeightsInt8> weights_;
  std::vector<float> bias_;
  Epilogue epilogue_;
  Activation activation_;
  Precision dtype_;
  int64_t in_ = 0, out_ = 0;
};

}  // namespace packformer
