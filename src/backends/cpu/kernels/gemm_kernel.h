// The packed-GEMM micro-kernel's contract, shared by its per-ISA builds (gemm_avx2.cc,
// gemm_generic.cc) and the driver (backends/cpu/gemm.cc). Plain data only: this header is
// included by files compiled with different ISA flags, so it must define no inline code.
#pragma once

#include <cstdint>

namespace packformer {

// Register tile: 6 rows x 16 columns (12 AVX2 accumulators, 2 B loads + 6 broadcasts per k).
constexpr int64_t kGemmMR = 6;
constexpr int64_t kGemmNR = 16;

// One register tile of C: c[rows, cols] (+)= a * b, then the epilogue's bias and residual.
struct MicroTile {
  const float* a = nullptr;  // packed A: kc steps of kGemmMR values (rows past `rows` are 0)
  const float* b = nullptr;  // packed B panel: kc steps of kGemmNR values (columns past the matrix are 0)
  int64_t kc = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  int64_t rows = 0, cols = 0;        // the valid part, <= kGemmMR x kGemmNR
  bool accumulate = false;           // add to c (an earlier K block wrote it)
  const float* bias = nullptr;       // this tile's first column of the bias, or null
  const float* residual = nullptr;   // this tile's first element of the residual, or null
  int64_t ldr = 0;
};

// Activation codes, in the order of packformer::Activation (ops/activation.h is not included
// here: its inline activate() compiled with AVX2 flags could replace the generic build's).
enum class ActivationCode : int { Gelu, GeluTanh, Relu, Silu, QuickGelu, Tanh };

namespace avx2 {
void gemm_micro_kernel(const MicroTile& tile);
// In place over n values; matches packformer::activate() to ~1e-6 relative (1e-7 absolute).
void gemm_activate(ActivationCode code, float* data, int64_t n);
}  // namespace avx2

namespace generic {
void gemm_micro_kernel(const MicroTile& tile);
}  // namespace generic

}  // namespace packformer
