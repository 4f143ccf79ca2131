#include "ops/gemm.h"

#include <oneapi/dnnl/dnnl.h>

#include "packformer/error.h"

namespace packformer {

void sgemm(bool b_transposed, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const dnnl_status_t status =
      dnnl_sgemm('N', b_transposed ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success) fail(ErrorKind::Internal, "dnnl_sgemm failed with status " + std::to_string(status));
}

void linear_forward(const float* x, const float* w, const float* bias, float* y, int64_t m, int64_t n, int64_t k) {
  sgemm(true, m, n, k, 1.0f, x, k, w, k, 0.0f, y, n);
  if (bias == nullptr) return;
#pragma omp parallel for schedule(static) if (m * n > 65536)
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) y[i * n + j] += bias[j];
}

}  // namespace packformer
