#include "layers/layer_norm.h"

#include <string>

#include "ops/layer_norm.h"
#include "packformer/error.h"

namespace packformer {

LayerNorm::LayerNorm(FloatTensor gamma, FloatTensor beta, float eps)
    : gamma_(std::move(gamma)), beta_(std::move(beta)), eps_(eps) {
  if (gamma_.size() != beta_.size())
    fail(ErrorKind::Internal, "LayerNorm: gamma has " + std::to_string(gamma_.size()) + " values, beta " +
                                  std::to_string(beta_.size()));
}

void LayerNorm::forward(const float* x, float* y, int64_t rows) const {
  layer_norm(x, gamma_.data(), beta_.data(), y, rows, size(), eps_);
}

void LayerNorm::forward_row(const float* x, float* y) const {
  layer_norm_row(x, gamma_.data(), beta_.data(), y, size(), eps_);
}

}  // namespace packformer
