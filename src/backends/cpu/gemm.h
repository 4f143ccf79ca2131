// fp32 GEMM with weights packed once at load: y[m, n] = epilogue(x[m, k] * W^T), W given as
// [n, k] row-major (Hugging Face Linear layout). BLIS-style blocking around a 6x16 register
// tile; A is packed per call into a per-thread static buffer, so a call allocates nothing.
// Parallel over M and N blocks with one OpenMP region (serial when already inside one).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "backends/cpu/isa.h"
#include "ops/activation.h"

namespace packformer {

// W [n, k] repacked into panels of kGemmNR columns: panel p holds, for each k, the values
// W[p * 16 + j][k] for j < 16 (zero past n), so the micro-kernel reads B contiguously.
class PackedWeights {
 public:
  PackedWeights() = default;
  PackedWeights(const float* weight, int64_t n, int64_t k);

  int64_t n() const { return n_; }
  int64_t k() const { return k_; }
  int64_t panels() const { return panels_; }
  const float* panel(int64_t p) const { return data_.get() + p * panel_size_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], Free> data_;
  int64_t n_ = 0, k_ = 0, panels_ = 0, panel_size_ = 0;
};

struct GemmEpilogue {
  const float* bias = nullptr;      // [n], or null
  const float* residual = nullptr;  // [m, n] row-major, or null: y = x W^T + b + residual
  bool activate = false;            // y = activation(x W^T + b)
  Activation activation = Activation::Gelu;
};

// y[m, n] row-major. `isa` picks the micro-kernel (tests force each; callers use the default).
void packed_gemm(const float* x, int64_t m, const PackedWeights& w, float* y, const GemmEpilogue& epilogue,
                 Isa isa = cpu_isa());

}  // namespace packformer
