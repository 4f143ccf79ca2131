// fp32 GEMM with weights packed once at load: y[m, n] = epilogue(x[m, k] * W^T), W given as
// [n, k] row-major (Hugging Face Linear layout). BLIS-style blocking around the register tile
// of the kernel table's variant (6x16 AVX2, 8x32 AVX-512); A is packed per call into a
// per-thread static buffer, so a call allocates nothing.
// Parallel over M and N blocks with one OpenMP region (serial when already inside one).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "backends/cpu/kernel_table.h"
#include "ops/activation.h"

namespace packformer {

// W [n, k] repacked for one ISA variant's GEMM kernel: panels of nr columns (the variant's
// kernel_table().gemm.nr: 16 for generic and AVX2, 32 for AVX-512); panel p holds, for each k,
// the values W[p * nr + j][k] for j < nr (zero past n), so the micro-kernel reads B
// contiguously. The weights remember their variant: packed_gemm runs its kernel.
class PackedWeights {
 public:
  PackedWeights() = default;
  PackedWeights(const float* weight, int64_t n, int64_t k, Isa isa = cpu_isa());

  int64_t n() const { return n_; }
  int64_t k() const { return k_; }
  int64_t panels() const { return panels_; }
  const float* panel(int64_t p) const { return data_.get() + p * panel_size_; }
  const KernelTable& kernels() const { return *kernels_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], Free> data_;
  const KernelTable* kernels_ = nullptr;
  int64_t n_ = 0, k_ = 0, panels_ = 0, panel_size_ = 0;
};

struct GemmEpilogue {
  const float* bias = nullptr;      // [n], or null
  const float* residual = nullptr;  // [m, n] row-major, or null: y = x W^T + b + residual
  bool activate = false;            // y = activation(x W^T + b)
  Activation activation = Activation::Gelu;
};

// y[m, n] row-major, with the kernel of the variant `w` was packed for.
void packed_gemm(const float* x, int64_t m, const PackedWeights& w, float* y, const GemmEpilogue& epilogue);

}  // namespace packformer
