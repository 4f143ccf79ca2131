// The packed GEMM (backends/cpu/gemm.h) and Linear against a naive double-accumulated
// reference, on odd shapes, for every epilogue and activation and every ISA variant: each test
// runs once per variant (weights packed for it, which picks its kernel), and is skipped, naming
// the missing CPU flag, for a variant this CPU lacks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/gemm.h"
#include "layers/linear.h"
#include "packformer/error.h"
#include "test_util.h"

namespace packformer {
namespace {

constexpr Activation kActivations[] = {Activation::Gelu,      Activation::GeluTanh, Activation::Relu,
                                       Activation::Silu,      Activation::QuickGelu, Activation::Tanh};

}  // namespace

// ctest's test names then carry the variant's name instead of the enum's bytes.
void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }

namespace {

class PackedGemm : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (const char* missing = isa_missing_flag(GetParam()))
      GTEST_SKIP() << isa_name(GetParam()) << " not run: this CPU lacks " << missing;
  }
};

std::vector<float> random_vector(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double activate_ref(Activation a, double x) {
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

// Reference: pre-activation sums in double, and the bound scale sum_k |x||w| + |b| + |r|.
struct Reference {
  std::vector<double> value, scale;
};

Reference reference(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& bias,
                    const std::vector<float>* residual, int64_t m, int64_t n, int64_t k) {
  Reference ref;
  ref.value.resize(static_cast<size_t>(m * n));
  ref.scale.resize(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = bias[j], scale = std::fabs(bias[j]);
      for (int64_t kk = 0; kk < k; ++kk) {
        sum += static_cast<double>(x[i * k + kk]) * w[j * k + kk];
        scale += std::fabs(static_cast<double>(x[i * k + kk]) * w[j * k + kk]);
      }
      if (residual != nullptr) sum += (*residual)[i * n + j], scale += std::fabs((*residual)[i * n + j]);
      ref.value[i * n + j] = sum;
      ref.scale[i * n + j] = scale;
    }
  return ref;
}

// fp32 summation of k + 2 terms in any order errs by at most (k + 2) u sum |terms| (u = 2^-24,
// the classic recursive-summation bound; FMA only tightens it), so that bound is exact, not a
// fudge. Activations are 1.2-Lipschitz at most (GELU's slope peaks at ~1.13) and activate()'s
// own float evaluation adds a few ulp of the result, plus |x|/2 ulp(1) = 3e-8 |x| absolute
// where it rounds 1 + erf (or 1 + tanh) near 0; the vectorised AVX2 activations err by ~2e-7
// relative: 2e-6 relative + 2e-7 max(1, |x|) absolute covers both.
double tolerance(double scale, int64_t k, bool activation, double expected, double pre_activation = 0.0) {
  const double pre = (k + 2) * 0x1p-24 * scale + 1e-30;
  return activation ? 1.2 * pre + 2e-6 * std::fabs(expected) + 2e-7 * std::max(1.0, std::fabs(pre_activation)) : pre;
}

struct Case {
  int64_t m, k, n;
};

void check_shape(Isa isa, int64_t m, int64_t k, int64_t n, std::mt19937& rng) {
  const auto x = random_vector(static_cast<size_t>(m * k), rng);
  // Scaled so the activations see values across their non-linear range.
  auto w = random_vector(static_cast<size_t>(n * k), rng);
  for (float& v : w) v *= 3.0f / std::sqrt(static_cast<float>(k));
  const auto bias = random_vector(static_cast<size_t>(n), rng);
  const auto residual = random_vector(static_cast<size_t>(m * n), rng);
  const PackedWeights packed(w.data(), n, k, isa);
  ASSERT_EQ(packed.kernels().isa, isa);
  const Reference plain = reference(x, w, bias, nullptr, m, n, k);
  const Reference with_residual = reference(x, w, bias, &residual, m, n, k);

  std::vector<float> y(static_cast<size_t>(m * n));
  {
    const std::string where = std::string(isa_name(isa)) + " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                              " n=" + std::to_string(n);
    // Bias, BiasResidual, then BiasActivation for each activation.
    for (int epilogue = 0; epilogue < 2 + 6; ++epilogue) {
      GemmEpilogue e;
      e.bias = bias.data();
      const Reference& ref = epilogue == 1 ? with_residual : plain;
      if (epilogue == 1) e.residual = residual.data();
      if (epilogue >= 2) e.activate = true, e.activation = kActivations[epilogue - 2];
      std::fill(y.begin(), y.end(), NAN);
      packed_gemm(x.data(), m, packed, y.data(), e);
      int failures = 0;
      for (size_t i = 0; i < y.size() && failures < 3; ++i) {
        const double expected = e.activate ? activate_ref(e.activation, ref.value[i]) : ref.value[i];
        const double tol = tolerance(ref.scale[i], k, e.activate, expected, ref.value[i]);
        if (!(std::fabs(y[i] - expected) <= tol)) {
          ++failures;
          ADD_FAILURE() << where << " epilogue " << epilogue << " at " << i << ": " << y[i] << " vs " << expected
                        << " (tolerance " << tol << ")";
        }
      }
    }
  }
}

// Row counts around both register tiles (6 and 8 rows), column counts around both panel
// widths (16 and 32).
TEST_P(PackedGemm, MatchesReferenceOnOddShapes) {
  std::mt19937 rng(1234);
  for (int64_t m : {1, 2, 3, 5, 7, 9, 16, 33, 100})
    for (int64_t k : {1, 7, 32, 33, 300, 768})
      for (int64_t n : {1, 5, 16, 17, 31, 33, 48, 100, 769}) check_shape(GetParam(), m, k, n, rng);
}

// Shapes past the cache blocks: several M blocks (144 rows), K blocks (256) and threads.
TEST_P(PackedGemm, MatchesReferenceAcrossBlocks) {
  std::mt19937 rng(99);
  check_shape(GetParam(), 301, 1030, 40, rng);
  check_shape(GetParam(), 13, 2049, 33, rng);
  check_shape(GetParam(), 600, 64, 300, rng);
}

// With K = 1, zero bias and power-of-two weights the GEMM's sums are exact (x * w_j), so the
// epilogue's activation alone is checked, against activate_ref() in double, on every column:
// 37 columns are full register tiles (16 wide; 32 for AVX-512) and a tail of 5, 4801 rows end
// in a partial row tile, and the weights 0.5 / 1 / 2 give each column its own inputs (a column
// mix-up shows) over [-24, 24]. Bound: 4e-7 relative (float evaluation of erf / tanh / exp, a
// few ulp; the AVX2 polynomials ~2e-7), 1e-8 absolute near 0, plus |x| ulp(1) / 2 = 6e-8 |x|
// where 1 + erf (1 + tanh) cancels for negative x and keeps only its rounding error. Measured:
// at most 0.48 of this bound (AVX2 GELU, generic GELU-tanh 0.47); ReLU is exact.
TEST_P(PackedGemm, ActivationMatchesDoubleReferenceOnEveryColumn) {
  const Isa isa = GetParam();
  const int64_t m = 4801, n = 37;
  std::vector<float> x(m), w(n), bias(n, 0.0f), y(m * n);
  for (int64_t i = 0; i < m; ++i) x[i] = -12.0f + 24.0f * i / (m - 1);
  for (int64_t j = 0; j < n; ++j) w[j] = std::ldexp(1.0f, static_cast<int>(j % 3) - 1);
  const PackedWeights packed(w.data(), n, 1, isa);
  {
    for (const Activation a : kActivations) {
      GemmEpilogue e;
      e.bias = bias.data();
      e.activate = true;
      e.activation = a;
      std::fill(y.begin(), y.end(), NAN);
      packed_gemm(x.data(), m, packed, y.data(), e);
      double worst = 0.0;  // the largest error as a fraction of its bound, printed
      int failures = 0;
      for (int64_t i = 0; i < m && failures < 3; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const double pre = static_cast<double>(x[i]) * w[j];
          const double expected = activate_ref(a, pre);
          const double tol = 4e-7 * std::fabs(expected) + 1e-8 + 6e-8 * std::fabs(pre);
          const double error = std::fabs(y[i * n + j] - expected);
          worst = test::max_or_nan(worst, error / tol);
          if (!(error <= tol) && failures++ < 3)
            ADD_FAILURE() << isa_name(isa) << " " << activation_name(a) << " row " << i << " column " << j
                          << " x=" << pre << ": " << y[i * n + j] << " vs " << expected << " (tolerance " << tol << ")";
        }
      std::printf("%s %s: largest error %.2f of the bound\n", isa_name(isa), activation_name(a), worst);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, PackedGemm, ::testing::Values(Isa::Generic, Isa::Avx2, Isa::Avx512),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

// A variant this CPU lacks is refused with the missing flag named, never silently replaced.
TEST(PackedWeightsIsa, UnsupportedVariantIsAnError) {
  const float w[2] = {1.0f, 2.0f};
  for (const Isa isa : {Isa::Avx2, Isa::Avx512}) {
    const char* missing = isa_missing_flag(isa);
    if (missing == nullptr) {
      EXPECT_EQ(PackedWeights(w, 2, 1, isa).kernels().isa, isa);
      continue;
    }
    try {
      PackedWeights(w, 2, 1, isa);
      ADD_FAILURE() << isa_name(isa) << " weights packed on a CPU without " << missing;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
  }
}

TEST(Linear, EpiloguesMatchPackedGemm) {
  std::mt19937 rng(7);
  const int64_t rows = 37, in = 70, out = 50;
  const auto x = random_vector(rows * in, rng), w = random_vector(out * in, rng), b = random_vector(out, rng);
  const auto residual = random_vector(rows * out, rng);
  const Reference ref = reference(x, w, b, nullptr, rows, out, in);
  const Reference ref_residual = reference(x, w, b, &residual, rows, out, in);
  std::vector<float> y(rows * out);
  Linear(w, b, in, out, Epilogue::Bias).forward(x.data(), rows, y.data(), nullptr);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref.value[i], tolerance(ref.scale[i], in, false, 0));
  Linear(w, b, in, out, Epilogue::BiasResidual).forward(x.data(), rows, y.data(), residual.data());
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(y[i], ref_residual.value[i], tolerance(ref_residual.scale[i], in, false, 0));
  Linear(w, b, in, out, Epilogue::BiasActivation, Activation::Silu).forward(x.data(), rows, y.data(), nullptr);
  for (size_t i = 0; i < y.size(); ++i) {
    const double expected = activate_ref(Activation::Silu, ref.value[i]);
    ASSERT_NEAR(y[i], expected, tolerance(ref.scale[i], in, true, expected, ref.value[i]));
  }
}

}  // namespace
}  // namespace packformer
