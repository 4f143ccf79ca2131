#include "ops/activation.h"

#include "packformer/error.h"

namespace packformer {

Activation activation_from_name(const std::string& name, const std::string& where) {
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "silu" || name == "swish") return Activation::Silu;
  if (name == "quick_gelu") return Activation::QuickGelu;
  if (name == "tanh") return Activation::Tanh;
  fail(ErrorKind::Unsupported, where + ": activation '" + name +
                                   "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, "
                                   "relu, silu, swish, quick_gelu, tanh)");
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::Gelu: return "gelu";
    case Activation::GeluTanh: return "gelu_tanh";
    case Activation::Relu: return "relu";
    case Activation::Silu: return "silu";
    case Activation::QuickGelu: return "quick_gelu";
    case Activation::Tanh: return "tanh";
  }
  return "?";
}

void activate_inplace(Activation activation, float* data, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) data[i] = activate(activation, data[i]);
}

}  // namespace packformer
