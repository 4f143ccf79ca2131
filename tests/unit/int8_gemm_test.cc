// The int8 packed GEMM with dynamic quantization (backends/cpu/gemm_int8.h) on every ISA
// variant this CPU runs (skipped, naming the missing flag, otherwise): against a double
// reference over the same quantized operands (the integer sums are exact, so only the
// epilogue's few fp32 roundings remain), and against the unquantized fp32 operands within the
// error quantization allows. Odd shapes (K not a multiple of 4 or 2: padded groups), every
// epilogue, shapes past the cache blocks, zero and non-finite rows, bad weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/gemm_int8.h"
#include "lowp_gemm_reference.h"
#include "packformer/error.h"
#include "test_util.h"

namespace packformer {
namespace {

using namespace lowp_test;

// Rows of `rows` x k values quantized by the rules gemm_int8.h documents, written here from that
// text. Weights: scale = max|v| / 127, q = round-half-even(v * (127 / max|v|)) within +-127;
// scale 0 and q 0 when 127 / max|v| is not a finite float (all zeros).
struct Quantized {
  std::vector<double> dequantized;  // (q - zero point) * scale, the operand the int8 GEMM multiplies
  std::vector<float> scale;
};

Quantized quantize_weights(const std::vector<float>& v, int64_t rows, int64_t k) {
  Quantized out;
  out.dequantized.resize(v.size());
  out.scale.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = v.data() + r * k;
    float amax = 0.0f;
    for (int64_t i = 0; i < k; ++i) amax = std::max(amax, std::fabs(row[i]));
    const float inverse = 127.0f / amax;
    const bool zero = !(inverse <= FLT_MAX);
    const float scale = zero ? 0.0f : amax / 127.0f;
    out.scale[r] = scale;
    for (int64_t i = 0; i < k; ++i) {
      const double q = zero ? 0.0 : std::clamp(std::nearbyint(row[i] * inverse), -127.0f, 127.0f);
      out.dequantized[r * k + i] = q * scale;
    }
  }
  return out;
}

// Activations: lo = min(min v, 0), hi = max(max v, 0), scale = hi / 255 - lo / 255, inverse =
// 1 / scale, zero point z = round-half-even(-lo * inverse) within [0, 255], q =
// round-half-even(v * inverse) + z within [0, 255]; scale 0 and q = z = 0 when the inverse is
// not a finite float (all zeros).
Quantized quantize_activations(const std::vector<float>& v, int64_t rows, int64_t k) {
  Quantized out;
  out.dequantized.resize(v.size());
  out.scale.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = v.data() + r * k;
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < k; ++i) lo = std::min(lo, row[i]), hi = std::max(hi, row[i]);
    float scale = hi / 255.0f - lo / 255.0f;
    const float inverse = 1.0f / scale;
    const bool zero = !(inverse <= FLT_MAX);
    if (zero) scale = 0.0f;
    const double z = zero ? 0.0 : std::clamp(std::nearbyint(-lo * inverse), 0.0f, 255.0f);
    out.scale[r] = scale;
    for (int64_t i = 0; i < k; ++i) {
      const double q = zero ? 0.0 : std::clamp(std::nearbyint(row[i] * inverse) + z, 0.0, 255.0);
      out.dequantized[r * k + i] = (q - z) * scale;
    }
  }
  return out;
}

std::vector<double> widened(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

class Int8Gemm : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (const char* missing = isa_missing_flag(GetParam()))
      GTEST_SKIP() << isa_name(GetParam()) << " not run: this CPU lacks " << missing;
  }
};

// The integer sum S is exact; the epilogue rounds float(S), row scale x column scale, their
// product, + bias and + residual: five roundings of at most 2^-24 of |S xs ws| + |b| + |r|.
double epilogue_tolerance(double scale) { return 5 * 0x1p-24 * scale + 1e-30; }

double g_worst_fp32 = 0.0;  // largest error against fp32 operands / its bound, printed

// x uniform in [-1, 1] plus `shift` (one-sided rows when |shift| >= 1), times x_magnitude;
// w uniform within +-w_magnitude (0: 3 / sqrt(k)).
void check_shape(Isa isa, int64_t m, int64_t k, int64_t n, std::mt19937& rng, float shift = 0.0f,
                 float x_magnitude = 1.0f, float w_magnitude = 0.0f) {
  auto x = random_vector(static_cast<size_t>(m * k), rng);
  for (float& v : x) v = (v + shift) * x_magnitude;
  if (w_magnitude == 0.0f) w_magnitude = 3.0f / std::sqrt(static_cast<float>(k));
  const auto w = random_vector(static_cast<size_t>(n * k), rng, w_magnitude);
  const auto bias = random_vector(static_cast<size_t>(n), rng);
  const auto residual = random_vector(static_cast<size_t>(m * n), rng);
  const PackedWeightsInt8 packed(w.data(), n, k, isa);
  ASSERT_EQ(packed.kernels().isa, isa);
  const std::string where = std::string(isa_name(isa)) + " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                            " n=" + std::to_string(n);
  const auto gemm = [&](const GemmEpilogue& e, float* y) { packed_gemm_int8(x.data(), m, packed, y, e); };
  const Quantized xq = quantize_activations(x, m, k), wq = quantize_weights(w, n, k);
  const Reference same_inputs = reference(xq.dequantized, wq.dequantized, bias, residual, m, n, k);
  check_epilogues(where + " (quantized operands)", same_inputs, bias, residual, static_cast<size_t>(m * n), gemm,
                  [](size_t, double scale) { return epilogue_tolerance(scale); });
  // Quantization moves x by at most xs / 2 and w by at most ws / 2 (x's zero point is an exact
  // integer shift), so each product x w by at
  // most |x| ws / 2 + |w^| xs / 2 (w^ the dequantized weight): a rigorous bound per output.
  std::vector<double> bound(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double b = 0.0;
      for (int64_t kk = 0; kk < k; ++kk)
        b += std::fabs(x[i * k + kk]) * wq.scale[j] / 2 + std::fabs(wq.dequantized[j * k + kk]) * xq.scale[i] / 2;
      bound[i * n + j] = b;
    }
  const Reference fp32 = reference(widened(x), widened(w), bias, residual, m, n, k);
  g_worst_fp32 = std::max(g_worst_fp32, check_epilogues(where + " (fp32 operands)", fp32, bias, residual,
                                                        static_cast<size_t>(m * n), gemm, [&](size_t at, double scale) {
                                                          return bound[at] + epilogue_tolerance(1.01 * scale);
                                                        }));
}

// Row counts around the register tiles (6 and 8 rows), K around the groups of 2 and 4,
// column counts around the panel widths (16 and 32).
TEST_P(Int8Gemm, MatchesReferenceOnOddShapes) {
  std::mt19937 rng(1234);
  for (int64_t m : {1, 2, 5, 7, 8, 9, 33})
    for (int64_t k : {1, 2, 3, 5, 6, 7, 32, 33, 302})
      for (int64_t n : {1, 5, 16, 17, 33, 100}) check_shape(GetParam(), m, k, n, rng);
  std::printf("%s: largest error against fp32 operands %.2f of the quantization bound\n", isa_name(GetParam()), g_worst_fp32);
}

// Rows all positive (as GELU outputs nearly are) or all negative: the zero point sits at an end
// of the u8 range, and the bound of check_shape (half of the asymmetric scale, i.e. of
// (max - min) / 255) holds.
TEST_P(Int8Gemm, MatchesReferenceOnOneSidedRows) {
  std::mt19937 rng(77);
  for (const float shift : {1.0f, 3.0f, -1.0f, -3.0f, 0.5f})
    for (int64_t m : {1, 9})
      for (int64_t k : {7, 64}) check_shape(GetParam(), m, k, 33, rng, shift);
}

// Rows reaching 3e38: max - min would overflow fp32, the scale max / 255 - min / 255 does not
// (weights ~1e-30 keep the outputs finite).
TEST_P(Int8Gemm, RowsNearTheFloatRange) {
  std::mt19937 rng(5);
  check_shape(GetParam(), 5, 33, 17, rng, 0.0f, 3e38f, 1e-30f);
  check_shape(GetParam(), 3, 8, 5, rng, 1.0f, 1.5e38f, 1e-30f);
}

// Shapes past the cache blocks: several M blocks (144 rows), K blocks (512 or 1024 values,
// int32 sums carried across them in y), a few rows with K too long for one block, and more
// than one thread's share.
TEST_P(Int8Gemm, MatchesReferenceAcrossBlocks) {
  std::mt19937 rng(99);
  check_shape(GetParam(), 301, 2051, 40, rng);
  check_shape(GetParam(), 13, 9003, 33, rng);
  check_shape(GetParam(), 300, 64, 300, rng);
}

// A row of zeros quantizes to scale 0 (y = bias); a row holding an infinity or NaN gives NaN
// outputs, as the fp32 GEMM would, without touching the other rows.
TEST_P(Int8Gemm, ZeroAndNonFiniteRows) {
  const int64_t m = 4, k = 9, n = 5;
  std::mt19937 rng(3);
  auto x = random_vector(static_cast<size_t>(m * k), rng);
  const auto w = random_vector(static_cast<size_t>(n * k), rng), bias = random_vector(static_cast<size_t>(n), rng);
  std::fill(x.begin(), x.begin() + k, 0.0f);
  x[1 * k + 4] = INFINITY;
  x[2 * k + 8] = NAN;
  const PackedWeightsInt8 packed(w.data(), n, k, GetParam());
  std::vector<float> y(static_cast<size_t>(m * n));
  GemmEpilogue e;
  e.bias = bias.data();
  packed_gemm_int8(x.data(), m, packed, y.data(), e);
  for (int64_t j = 0; j < n; ++j) {
    EXPECT_EQ(y[j], bias[j]) << "zero row, column " << j;
    EXPECT_TRUE(std::isnan(y[1 * n + j])) << "row with inf, column " << j << ": " << y[1 * n + j];
    EXPECT_TRUE(std::isnan(y[2 * n + j])) << "row with NaN, column " << j << ": " << y[2 * n + j];
    EXPECT_TRUE(std::isfinite(y[3 * n + j])) << "finite row, column " << j;
  }
}

// K = 0: the sums are empty, y = bias.
TEST_P(Int8Gemm, EmptyKGivesTheBias) {
  const std::vector<float> bias{1.5f, -2.0f, 3.0f};
  const PackedWeightsInt8 packed(static_cast<const float*>(nullptr), 3, 0, GetParam());
  std::vector<float> y(6, NAN);
  GemmEpilogue e;
  e.bias = bias.data();
  packed_gemm_int8(nullptr, 2, packed, y.data(), e);
  EXPECT_EQ(y, (std::vector<float>{1.5f, -2.0f, 3.0f, 1.5f, -2.0f, 3.0f}));
}

INSTANTIATE_TEST_SUITE_P(Variants, Int8Gemm, ::testing::ValuesIn(kAllIsas),
                         [](const auto& info) { return std::string(isa_name(info.param)); });


TEST(PackedWeightsInt8, NonFiniteWeightIsAnErrorNamingItsPlace) {
  std::vector<float> w(12, 0.5f);
  w[1 * 4 + 2] = NAN;
  const Error e = test::thrown_error([&] { PackedWeightsInt8(w.data(), 3, 4, Isa::Generic); });
  EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  EXPECT_NE(std::string(e.what()).find("weight [1, 2]"), std::string::npos) << e.what();
}

TEST(PackedWeightsInt8, KPastTheInt32RangeIsUnsupported) {
  const std::vector<float> w(kInt8MaxK + 1, 1.0f);
  EXPECT_NO_THROW(PackedWeightsInt8(w.data(), 1, kInt8MaxK, Isa::Generic));
  const Error e = test::thrown_error([&] { PackedWeightsInt8(w.data(), 1, kInt8MaxK + 1, Isa::Generic); });
  EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
  EXPECT_NE(std::string(e.what()).find("66312"), std::string::npos) << e.what();
}

// A variant this CPU lacks is refused with the missing flag named, never silently replaced.
TEST(PackedWeightsInt8, UnsupportedVariantIsAnErrorNamingTheFlag) {
  const float w[2] = {1.0f, 2.0f};
  for (const Isa isa : kAllIsas) {
    if (const char* missing = isa_missing_flag(isa)) {
      const Error e = test::thrown_error([&] { PackedWeightsInt8(w, 2, 1, isa); });
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    } else {
      EXPECT_EQ(PackedWeightsInt8(w, 2, 1, isa).kernels().isa, isa);
    }
  }
}

}  // namespace
}  // namespace packformer
