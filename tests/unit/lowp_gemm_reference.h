// What the bf16 and int8 GEMM tests (bf16_gemm_test.cc, int8_gemm_test.cc) share: random
// inputs, the epilogues to run, a double-precision reference GEMM over given (already rounded
// or dequantized) operands, and a check that reports the first few misses.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/gemm.h"
#include "backends/cpu/isa.h"
#include "ops/activation.h"

namespace packformer {

// ctest's test names then carry the variant's name instead of the enum's bytes.
inline void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }

namespace lowp_test {

constexpr Activation kActivations[] = {Activation::Gelu, Activation::GeluTanh, Activation::Relu,
                                       Activation::Silu, Activation::QuickGelu, Activation::Tanh};
constexpr int kEpilogues = 2 + 6;  // bias, bias + residual, bias + each activation

inline std::vector<float> random_vector(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline double activate_ref(Activation a, double x) {
  switch (a) {
    case Activation::Gelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case Activation::GeluTanh: return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case Activation::Relu: return x > 0.0 ? x : 0.0;
    case Activation::Silu: return x / (1.0 + std::exp(-x));
    case Activation::QuickGelu: return x / (1.0 + std::exp(-1.702 * x));
    case Activation::Tanh: return std::tanh(x);
  }
  return x;
}

// The epilogue numbered `e`: 0 bias, 1 bias + residual, 2.. bias + kActivations[e - 2].
inline GemmEpilogue epilogue(int e, const float* bias, const float* residual) {
  GemmEpilogue out;
  out.bias = bias;
  if (e == 1) out.residual = residual;
  if (e >= 2) out.activate = true, out.activation = kActivations[e - 2];
  return out;
}

// y = a b^T + bias (+ residual) in double over double operands a [m, k], b [n, k]; `scale` is
// sum_k |a b| + |bias| (+ |residual|), the size of the terms an fp32 sum of them rounds.
struct Reference {
  std::vector<double> value, scale, value_residual, scale_residual;
};

inline Reference reference(const std::vector<double>& a, const std::vector<double>& b, const std::vector<float>& bias,
                           const std::vector<float>& residual, int64_t m, int64_t n, int64_t k) {
  Reference ref;
  for (auto* v : {&ref.value, &ref.scale, &ref.value_residual, &ref.scale_residual}) v->resize(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias[j], scale = std::fabs(bias[j]);
      for (int64_t kk = 0; kk < k; ++kk) {
        const double p = a[i * k + kk] * b[j * k + kk];
        sum += p;
        scale += std::fabs(p);
      }
      const size_t at = static_cast<size_t>(i * n + j);
      ref.value[at] = sum;
      ref.scale[at] = scale;
      ref.value_residual[at] = sum + residual[at];
      ref.scale_residual[at] = scale + std::fabs(residual[at]);
    }
  return ref;
}

// Runs gemm(epilogue) for every epilogue and compares y with the reference: the pre-activation
// value at output i must be within pre_tolerance(i, scale) of the reference's, and an activation's output
// within 1.2 (its largest slope) times that plus the activations' own float error: 2e-6
// relative + 2e-7 max(1, |x|) absolute, the bound justified in packed_gemm_test.cc.
// Returns the largest error seen as a fraction of its tolerance.
inline double check_epilogues(const std::string& where, const Reference& ref, const std::vector<float>& bias,
                              const std::vector<float>& residual, size_t outputs,
                              const std::function<void(const GemmEpilogue&, float*)>& gemm,
                              const std::function<double(size_t at, double scale)>& pre_tolerance) {
  std::vector<float> y(outputs);
  double worst = 0.0;
  for (int e = 0; e < kEpilogues; ++e) {
    const GemmEpilogue ep = epilogue(e, bias.data(), residual.data());
    std::fill(y.begin(), y.end(), NAN);
    gemm(ep, y.data());
    int failures = 0;
    for (size_t i = 0; i < outputs && failures < 3; ++i) {
      const double pre = e == 1 ? ref.value_residual[i] : ref.value[i];
      const double pre_tol = pre_tolerance(i, e == 1 ? ref.scale_residual[i] : ref.scale[i]);
      const double expected = ep.activate ? activate_ref(ep.activation, pre) : pre;
      const double tol = ep.activate ? 1.2 * pre_tol + 2e-6 * std::fabs(expected) + 2e-7 * std::max(1.0, std::fabs(pre)) : pre_tol;
      const double error = std::fabs(y[i] - expected);
      worst = std::max(worst, error / tol);
      if (!(error <= tol)) {
        ++failures;
        ADD_FAILURE() << where << " epilogue " << e << " at " << i << ": " << y[i] << " vs " << expected
                      << " (tolerance " << tol << ")";
      }
    }
  }
  return worst;
}

}  // namespace lowp_test
}  // namespace packformer
