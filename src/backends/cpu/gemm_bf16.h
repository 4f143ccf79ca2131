// bf16 GEMM with weights packed once at load, parallel to packed_gemm (gemm.h): y[m, n] =
// epilogue(bf16(x)[m, k] * bf16(W)^T) with fp32 x, y, bias and residual. Weights are rounded to
// bf16 once (or given in bf16); activations are rounded to bf16 (to nearest, ties to even)
// while A is packed; products are summed in fp32. The error against the fp32 GEMM is thus
// that of rounding both inputs (2^-9 relative each), not of the summation.
// Kernels: vdpbf16ps where the CPU has AVX512_BF16 (isa avx512bf16), else bf16 widened to
// fp32 and FMAs (avx512, avx2) or plain loops (generic). A call allocates nothing.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "backends/cpu/gemm.h"
#include "backends/cpu/kernel_table.h"

namespace packformer {

// W [n, k] in bf16, packed for one ISA variant's bf16 kernel: panels of nr columns
// (kernel_table(isa).gemm_bf16.nr); panel p holds, for each pair of k (K padded with a zero to
// an even count), nr 32-bit words: word j = W[p * nr + j][2q] | W[p * nr + j][2q + 1] << 16
// (zero past n), the operand layout of vdpbf16ps.
class PackedWeightsBf16 {
 public:
  PackedWeightsBf16() = default;
  // From fp32 weights, each rounded to the nearest bf16 (ties to even; NaN stays NaN).
  PackedWeightsBf16(const float* weight, int64_t n, int64_t k, Isa isa = cpu_isa());
  // From bf16 weights (raw bits, as a safetensors BF16 tensor holds them).
  PackedWeightsBf16(const uint16_t* weight, int64_t n, int64_t k, Isa isa = cpu_isa());

  int64_t n() const { return n_; }
  int64_t k() const { return k_; }
  int64_t panels() const { return panels_; }
  const uint32_t* panel(int64_t p) const { return data_.get() + p * panel_size_; }
  const KernelTable& kernels() const { return *kernels_; }

 private:
  template <typename Source>
  void pack(const Source* weight, Isa isa);

  struct Free {
    void operator()(uint32_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint32_t[], Free> data_;
  const KernelTable* kernels_ = nullptr;
  int64_t n_ = 0, k_ = 0, panels_ = 0, panel_size_ = 0;  // panel_size_ in 32-bit words
};

// y[m, n] row-major, with the bf16 kernel of the variant `w` was packed for. x is [m, k] fp32.
void packed_gemm_bf16(const float* x, int64_t m, const PackedWeightsBf16& w, float* y, const GemmEpilogue& epilogue);

}  // namespace packformer
