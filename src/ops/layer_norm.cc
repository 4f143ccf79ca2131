#include "ops/layer_norm.h"

#include <cmath>

namespace packformer {

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t n, float eps) {
  // A plain branch, not an OpenMP if() clause: a one-thread parallel region makes libgomp
  // rebuild its team, which allocates on every call.
  if (rows * n <= 16384) {
    for (int64_t r = 0; r < rows; ++r) layer_norm_row(x + r * n, gamma, beta, y + r * n, n, eps);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) layer_norm_row(x + r * n, gamma, beta, y + r * n, n, eps);
}

void layer_norm_row(const float* in, const float* gamma, const float* beta, float* out, int64_t n, float eps) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += in[i];
  const float mean = sum / static_cast<float>(n);
  float squares = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float d = in[i] - mean;
    squares += d * d;
  }
  const float inv_std = 1.0f / std::sqrt(squares / static_cast<float>(n) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = (in[i] - mean) * inv_std * gamma[i] + beta[i];
}

}  // namespace packformer
