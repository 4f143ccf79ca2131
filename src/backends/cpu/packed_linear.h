// A Linear layer for the fast path: weights reordered once into oneDNN's preferred blocked
// layout, bias and an optional activation or residual add fused into the GEMM epilogue.
// Primitives are created per row bucket (rows rounded up to kRowBucket) and cached, so a
// warm engine only executes: no primitive creation, no allocation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "ops/activation.h"

namespace packformer {

enum class Epilogue { Bias, BiasActivation, BiasResidual };

class PackedLinear {
 public:
  static constexpr int64_t kRowBucket = 16;
  static int64_t bucket_rows(int64_t rows) { return (rows + kRowBucket - 1) / kRowBucket * kRowBucket; }

  // weight [out, in] row-major (Hugging Face layout), bias [out].
  PackedLinear(const std::vector<float>& weight, const std::vector<float>& bias, int64_t in, int64_t out,
               Epilogue epilogue, Activation activation = Activation::Gelu);
  ~PackedLinear();
  PackedLinear(PackedLinear&&) noexcept;
  PackedLinear& operator=(PackedLinear&&) noexcept;

  // y[rows, out] = epilogue(x[rows, in] * W^T + b). `rows` must be a multiple of kRowBucket
  // (callers size their buffers with bucket_rows). `residual` has y's shape (BiasResidual only).
  // `scratchpad` holds at least scratchpad_bytes(rows).
  void forward(const float* x, int64_t rows, float* y, const float* residual, void* scratchpad) const;

  // oneDNN's scratch need for this bucket; the caller plans one buffer for all layers.
  // The first call for a bucket creates its primitive (warm-up).
  size_t scratchpad_bytes(int64_t rows) const;

  int64_t in() const { return in_; }
  int64_t out() const { return out_; }

 private:
  struct Impl;
  struct Primitive;
  const Primitive& primitive(int64_t rows) const;

  std::unique_ptr<Impl> impl_;
  int64_t in_ = 0, out_ = 0;
};

}  // namespace packformer
