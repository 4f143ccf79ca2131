#include "layers/linear.h"

#include <string>

#include "packformer/error.h"

namespace packformer {
namespace {

std::variant<PackedWeights, PackedWeightsBf16, PackedWeightsInt8> pack(const float* weight, int64_t out, int64_t in,
                                                                       Precision dtype) {
  switch (dtype) {
    case Precision::F32: return PackedWeights(weight, out, in);
    case Precision::BF16: return PackedWeightsBf16(weight, out, in);
    case Precision::Int8: return PackedWeightsInt8(weight, out, in);
    case Precision::F16: break;
  }
  fail(ErrorKind::InvalidInput, std::string("dtype ") + precision_name(dtype) +
                                    " has no CPU GEMM: the CPU computes in fp32, bf16 or int8");
}

}  // namespace

Linear::Linear(std::span<const float> weight, std::span<const float> bias, int64_t in, int64_t out, Epilogue epilogue,
               Activation activation, Precision dtype)
    : bias_(bias.begin(), bias.end()), epilogue_(epilogue), activation_(activation), dtype_(dtype), in_(in), out_(out) {
  if (static_cast<int64_t>(weight.size()) != in * out || (!bias.empty() && static_cast<int64_t>(bias.size()) != out))
    fail(ErrorKind::Internal, "Linear: weight has " + std::to_string(weight.size()) + " values and bias " +
                                  std::to_string(bias.size()) + ", expected " + std::to_string(out) + " x " +
                                  std::to_string(in) + " and " + std::to_string(out) + " (or none)");
  weights_ = pack(weight.data(), out, in, dtype);
}

Linear::Linear(const LinearWeights& w, Epilogue epilogue, Activation activation, Precision dtype)
    : Linear(w.weight, w.bias, w.in, w.out, epilogue, activation, dtype) {
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
  switch (weights_.index()) {
    case 0: packed_gemm(x, rows, std::get<0>(weights_), y, e); break;
    case 1: packed_gemm_bf16(x, rows, std::get<1>(weights_), y, e); break;
    case 2: packed_gemm_int8(x, rows, std::get<2>(weights_), y, e); break;
    default: fail(ErrorKind::Internal, "Linear::forward: no GEMM for this weight form");
  }
}

}  // namespace packformer
