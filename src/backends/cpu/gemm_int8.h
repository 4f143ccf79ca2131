// int8 GEMM with dynamic quantization, parallel to packed_gemm (gemm.h), as CTranslate2's int8
// compute type and ONNX Runtime's quantize_dynamic: weights are quantized once, symmetrically
// per output column; activations per row at each call, asymmetrically (u8 with a zero point,
// as quantize_dynamic: a one-sided row such as a GELU output gets all 256 levels instead of
// 128); products are summed exactly in int32 and the epilogue removes the zero point and
// dequantizes (row scale x column scale) before bias, activation or residual.
// Kernels: vpdpbusd where the CPU has AVX512_VNNI (isa avx512vnni, avx512bf16), else vpmaddwd
// on s16 (avx512), or plain loops (avx2, generic); every variant gives the same int32 sums.
// A call allocates nothing.
//
// Quantization of a weight column w over k (symmetric, s8):
//   amax = max |w|, scale = amax / 127, q = clamp(round_to_nearest_even(w * (127 / amax)), +-127)
// in fp32; a column of zeros (or with 127 / amax past the fp32 range) gets scale 0 and q = 0.
// Quantization of an activation row x over k (asymmetric, u8), in fp32:
//   lo = min(min x, 0), hi = max(max x, 0), scale = hi / 255 - lo / 255, inverse = 1 / scale,
//   zero_point = clamp(round_to_nearest_even(-lo * inverse), 0, 255),
//   q = clamp(round_to_nearest_even(x * inverse) + zero_point, 0, 255), x ~ scale (q - zero_point)
// (0 is exactly representable, so zero padding stays exact). A row whose inverse is not a
// finite float (all zeros) gets scale 0, zero point 0 and q = 0. A row holding an infinity or
// NaN gets scale NaN: its outputs are NaN, as the fp32 GEMM's would be. Weights must be finite
// (InvalidInput otherwise).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/cpu/kernel_table.h"

namespace packformer {

// The largest K whose int32 sums cannot overflow: K * 255 * 127 < 2^31 (u8 x s8 products; the
// zero-point-corrected sum_k (q - zero_point) w is bounded the same way).
constexpr int64_t kInt8MaxK = 66311;

// W [n, k] quantized to int8 and packed for one ISA variant's int8 kernel, in panels of nr
// columns (kernel_table(isa).gemm_int8.nr) and its Int8Layout: per group of k (4 for
// vpdpbusd's U8S8Quads, 2 for S16Pairs; K zero-padded), nr words of that many values.
class PackedWeightsInt8 {
 public:
  PackedWeightsInt8() = default;
  // Throws InvalidInput for a non-finite weight, Unsupported for k > kInt8MaxK.
  PackedWeightsInt8(const float* weight, int64_t n, int64_t k, Isa isa = cpu_isa());

  int64_t n() const { return n_; }
  int64_t k() const { return k_; }
  int64_t panels() const { return panels_; }
  const void* panel(int64_t p) const { return data_.get() + p * panel_bytes_; }
  // Per column (padded to whole panels with 0): scale, and sum_k q (the zero point's share).
  const float* scales() const { return scales_.data(); }
  const int32_t* column_sums() const { return column_sums_.data(); }
  const KernelTable& kernels() const { return *kernels_; }

 private:
  struct Free {
    void operator()(unsigned char* p) const { std::free(p); }
  };
  std::unique_ptr<unsigned char[], Free> data_;
  std::vector<float> scales_;
  std::vector<int32_t> column_sums_;
  const KernelTable* kernels_ = nullptr;
  int64_t n_ = 0, k_ = 0, panels_ = 0, panel_bytes_ = 0;
};

// y[m, n] row-major, with the int8 kernel of the variant `w` was packed for. x is [m, k] fp32.
void packed_gemm_int8(const float* x, int64_t m, const PackedWeightsInt8& w, float* y, const GemmEpilogue& epilogue);

}  // namespace packformer
