#include "layers/rms_norm.h"

#include <cmath>

namespace packformer {

RMSNorm::RMSNorm(FloatTensor gamma, float eps) : gamma_(std::move(gamma)), eps_(eps) {}

void RMSNorm::forward_row(const float* x, float* y) const {
  const int64_t n = size();
  // The mean square in double: transformers computes it in fp32 with a pairwise sum, which is
  // closer to the exact value than a running fp32 sum over thousands of values.
  double squares = 0.0;
  for (int64_t i = 0; i < n; ++i) squares += static_cast<double>(x[i]) * x[i];
  const float variance = static_cast<float>(squares / static_cast<double>(n));
  const float inv = 1.0f / std::sqrt(variance + eps_);
  const float* g = gamma_.data();
  for (int64_t i = 0; i < n; ++i) y[i] = g[i] * (x[i] * inv);  // transformers' order: gamma * (x * inv)
}

void RMSNorm::forward(const float* x, float* y, int64_t rows) const {
  const int64_t n = size();
  // Small work serially, with a plain branch rather than an OpenMP if() clause: a one-thread
  // parallel region makes libgomp rebuild its team, which allocates on every call.
  if (rows * n <= 16384) {
    for (int64_t r = 0; r < rows; ++r) forward_row(x + r * n, y + r * n);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) forward_row(x + r * n, y + r * n);
}

void RMSNorm::forward_heads(float* x, int64_t count) const {
  for (int64_t h = 0; h < count; ++h) forward_row(x + h * size(), x + h * size());
}

}  // namespace packformer
