// Baseline x86-64 build of the GEMM micro-kernel: plain loops the compiler vectorises (SSE).
#include "backends/cpu/kernels/gemm_kernel.h"

namespace packformer::generic {

void gemm_micro_kernel(const MicroTile& t) {
  float acc[kGemmMR][kGemmNR] = {};
  const float* a = t.a;
  const float* b = t.b;
  for (int64_t k = 0; k < t.kc; ++k, a += kGemmMR, b += kGemmNR)
    for (int64_t i = 0; i < kGemmMR; ++i)
      for (int64_t j = 0; j < kGemmNR; ++j) acc[i][j] += a[i] * b[j];
  for (int64_t i = 0; i < t.rows; ++i) {
    float* c = t.c + i * t.ldc;
    const float* r = t.residual != nullptr ? t.residual + i * t.ldr : nullptr;
    for (int64_t j = 0; j < t.cols; ++j) {
      float v = acc[i][j];
      if (t.accumulate) v += c[j];
      if (t.bias != nullptr) v += t.bias[j];
      if (r != nullptr) v += r[j];
      c[j] = v;
    }
  }
}

}  // namespace packformer::generic
