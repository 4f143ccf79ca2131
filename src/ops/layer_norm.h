// LayerNorm over the last dimension, with a two-pass variance (mean first) so results stay
// close to PyTorch's even when the mean is large.
#pragma once

#include <cstdint>

namespace packformer {

// One row, on the calling thread: y = (x - mean) / sqrt(var + eps) * gamma + beta.
// y may alias x.
void layer_norm_row(const float* x, const float* gamma, const float* beta, float* y, int64_t n, float eps);

// layer_norm_row over `rows` rows of `n`, in parallel.
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t n, float eps);

}  // namespace packformer
