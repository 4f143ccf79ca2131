// Plain GEMM for the slow path: row-major, y = x * W^T (+ bias), W stored [out, in] as
// Hugging Face's Linear keeps it. Backed by oneDNN's sgemm.
#pragma once

#include <cstdint>

namespace packformer {

// y[m, n] = x[m, k] * w[n, k]^T + bias[n] (bias may be null)
void linear_forward(const float* x, const float* w, const float* bias, float* y, int64_t m, int64_t n, int64_t k);

// c[m, n] = alpha * a[m, k] * op(b) + beta * c; op(b) = b[n, k]^T when b_transposed, else b[k, n].
void sgemm(bool b_transposed, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace packformer
