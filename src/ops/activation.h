// Activation functions named by Hugging Face's `hidden_act`.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

namespace packformer {

enum class Activation { Gelu, GeluTanh, Relu, Silu, QuickGelu, Tanh };

// Maps a `hidden_act` value to an Activation; throws Unsupported for unknown names.
Activation activation_from_name(const std::string& name, const std::string& where);
const char* activation_name(Activation activation);

inline float activate(Activation activation, float x) {
  switch (activation) {
    case Activation::Gelu: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case Activation::GeluTanh: {
      const float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(inner));
    }
    case Activation::Relu: return x > 0.0f ? x : 0.0f;
    case Activation::Silu: return x / (1.0f + std::exp(-x));
    case Activation::QuickGelu: return x / (1.0f + std::exp(-1.702f * x));
    case Activation::Tanh: return std::tanh(x);
  }
  return x;
}

void activate_inplace(Activation activation, float* data, size_t n);

}  // namespace packformer
