// LayerNorm over the last dimension, with a two-pass variance (mean first) so results stay
// close to PyTorch's even when the mean is large.
#pragma once

#include <cstdint>

namespace packformer {

// y[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta for each of `rows` rows of `n`.
// y may alias x.
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t n, float eps);

}  // namespace packformer
