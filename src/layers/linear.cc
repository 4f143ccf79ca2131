#include "layers/linear.h"

#include <string>

#include "packformer/error.h"

namespace packformer {

Linear::Linear(std::span<const float> weight, std::span<const float> bias, int64_t in, int64_t out, Epilogue epilogue,
               Activation activation)
    : bias_(bias.begin(), bias.end()), epilogue_(epilogue), activation_(activation), in_(in), out_(out) {
  if (static_cast<int64_t>(weight.size()) != in * out || (!bias.empty() && static_cast<int64_t>(bias.size()) != out))
    fail(ErrorKind::Internal, "Linear: weight has " + std::to_string(weight.size()) + " values and bias " +
                                  std::to_string(bias.size()) + ", expected " + std::to_string(out) + " x " +
                                  std::to_string(in) + " and " + std::to_string(out) + " (or none)");
  weights_ = PackedWeights(weight.data(), out, in);
}

Linear::Linear(const LinearWeights& w, Epilogue epilogue, Activation activation)
    : Linear(w.weight, w.bias, w.in, w.out, epilogue, activation) {
  w.weight.release_pages();
}

void Linear::forward(const float* x, int64_t rows, float* y, const float* residual) const {
  GemmEpilogue e;
  e.bias = bias_.empty() ? nullptr : bias_.data();
  if (epilogue_ == Epilogue::BiasResidual) {
    if (residual == nullptr) fail(ErrorKind::Internal, "Linear::forward: BiasResidual without a residual");
    e.residual = residual;
  }
  e.activate = epilogue_ == Epilogue::BiasActivation;
  e.activation = activation_;
  packed_gemm(x, rows, weights_, y, e);
}

}  // namespace packformer
