#include "backends/cpu/packed_linear.h"

#include <string>

#include "packformer/error.h"

namespace packformer {

PackedLinear::PackedLinear(std::span<const float> weight, std::span<const float> bias, int64_t in, int64_t out,
                           Epilogue epilogue, Activation activation)
    : bias_(bias.begin(), bias.end()), epilogue_(epilogue), activation_(activation), in_(in), out_(out) {
  if (static_cast<int64_t>(weight.size()) != in * out || static_cast<int64_t>(bias.size()) != out)
    fail(ErrorKind::Internal, "PackedLinear: weight has " + std::to_string(weight.size()) + " values and bias " +
                                  std::to_string(bias.size()) + ", expected " + std::to_string(out) + " x " +
                                  std::to_string(in) + " and " + std::to_string(out));
  weights_ = PackedWeights(weight.data(), out, in);
}

void PackedLinear::forward(const float* x, int64_t rows, float* y, const float* residual) const {
  GemmEpilogue e;
  e.bias = bias_.data();
  if (epilogue_ == Epilogue::BiasResidual) {
    if (residual == nullptr) fail(ErrorKind::Internal, "PackedLinear::forward: BiasResidual without a residual");
    e.residual = residual;
  }
  e.activate = epilogue_ == Epilogue::BiasActivation;
  e.activation = activation_;
  packed_gemm(x, rows, weights_, y, e);
}

}  // namespace packformer
