// The packed-GEMM micro-kernel's contract, shared by its per-ISA builds (gemm_generic.cc,
// gemm_avx2.cc, gemm_avx512.cc) and the driver (backends/cpu/gemm.cc). Plain data and
// declarations only: this header is included by files compiled with different ISA flags, so
// it must define no inline code.
#pragma once

#include <cstdint>

namespace packformer {

// One register tile of C: c[rows, cols] (+)= a * b, then the epilogue's bias and residual.
// The tile's size (mr x nr) is the variant's: see each namespace below.
struct MicroTile {
  const float* a = nullptr;  // packed A: kc steps of mr values (rows past `rows` are 0)
  const float* b = nullptr;  // packed B panel: kc steps of nr values (columns past the matrix are 0)
  int64_t kc = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  int64_t rows = 0, cols = 0;        // the valid part, <= mr x nr
  bool accumulate = false;           // add to c (an earlier K block wrote it)
  const float* bias = nullptr;       // this tile's first column of the bias, or null
  const float* residual = nullptr;   // this tile's first element of the residual, or null
  int64_t ldr = 0;
};

// Activation codes, in the order of packformer::Activation (ops/activation.h is not included
// here: its inline activate() compiled with AVX2 flags could replace the generic build's).
enum class ActivationCode : int { Gelu, GeluTanh, Relu, Silu, QuickGelu, Tanh };

namespace generic {
// Plain loops over the same tile as AVX2, so both variants share the packing layout.
constexpr int64_t kGemmMR = 6, kGemmNR = 16;
void gemm_micro_kernel(const MicroTile& tile);
}  // namespace generic

namespace avx2 {
// 6 x 16: 12 ymm accumulators, 2 B loads + 6 broadcasts per k.
constexpr int64_t kGemmMR = 6, kGemmNR = 16;
void gemm_micro_kernel(const MicroTile& tile);
// In place over n values; matches packformer::activate() to ~1e-6 relative (1e-7 absolute).
void gemm_activate(ActivationCode code, float* data, int64_t n);
}  // namespace avx2

namespace avx512 {
// 8 x 32: 16 zmm accumulators (of 32 registers), 2 B loads + 8 broadcasts per k. B panels
// are 32 columns wide, twice AVX2's, so weights are packed per variant.
constexpr int64_t kGemmMR = 8, kGemmNR = 32;
void gemm_micro_kernel(const MicroTile& tile);
}  // namespace avx512

}  // namespace packformer
