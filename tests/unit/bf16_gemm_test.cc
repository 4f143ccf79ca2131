// The bf16 packed GEMM (backends/cpu/gemm_bf16.h) on every ISA variant this CPU runs (skipped,
// naming the missing flag, otherwise): against a double reference over the same bf16-rounded
// operands, which checks the kernels up to fp32 summation error, and against the unrounded
// fp32 operands within the error bf16 rounding allows. Odd shapes (K odd: a half-filled last
// pair), every epilogue, shapes past the cache blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backends/cpu/gemm_bf16.h"
#include "lowp_gemm_reference.h"
#include "packformer/error.h"

namespace packformer {
namespace {

using namespace lowp_test;

// fp32 -> nearest bf16 (ties to even), written here from the format's definition rather than
// taken from the library: bf16 keeps an fp32's top 16 bits. Finite inputs only.
double bf16_rounded(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

std::vector<double> rounded(const std::vector<float>& v) {
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = bf16_rounded(v[i]);
  return out;
}
std::vector<double> widened(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

class Bf16Gemm : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (const char* missing = isa_missing_flag(GetParam()))
      GTEST_SKIP() << isa_name(GetParam()) << " not run: this CPU lacks " << missing;
  }
};

// fp32 summation of the k products (exact in fp32: 8-bit x 8-bit significands) plus bias and
// residual rounds at most k + 2 times, each by at most 2^-24 of the terms' magnitudes: the
// recursive-summation bound (k + 2) u sum |terms|, whatever order the kernel adds in.
double summation_tolerance(double scale, int64_t k) { return (k + 2) * 0x1p-24 * scale + 1e-30; }

// Rounding x and w to bf16 (8 significant bits) moves each by at most 2^-8 relative, so each
// product by at most (2 * 2^-8 + 2^-16) of |x w|; the fp32 sum of the rounded products adds
// the summation bound (over terms at most (1 + 2^-7) larger).
double rounding_tolerance(double scale, int64_t k) { return (0x1p-7 + 0x1p-16) * scale + summation_tolerance(1.01 * scale, k); }

// The largest error against fp32 operands, as a fraction of rounding_tolerance, printed so a
// bound far looser than the errors it admits would show.
double g_worst_fp32 = 0.0;

void check_shape(Isa isa, int64_t m, int64_t k, int64_t n, std::mt19937& rng) {
  const auto x = random_vector(static_cast<size_t>(m * k), rng);
  // Scaled so the activations see values across their non-linear range.
  const auto w = random_vector(static_cast<size_t>(n * k), rng, 3.0f / std::sqrt(static_cast<float>(k)));
  const auto bias = random_vector(static_cast<size_t>(n), rng);
  const auto residual = random_vector(static_cast<size_t>(m * n), rng);
  const PackedWeightsBf16 packed(w.data(), n, k, isa);
  ASSERT_EQ(packed.kernels().isa, isa);
  const std::string where = std::string(isa_name(isa)) + " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                            " n=" + std::to_string(n);
  const auto gemm = [&](const GemmEpilogue& e, float* y) { packed_gemm_bf16(x.data(), m, packed, y, e); };
  const Reference same_inputs = reference(rounded(x), rounded(w), bias, residual, m, n, k);
  check_epilogues(where + " (bf16 operands)", same_inputs, bias, residual, static_cast<size_t>(m * n), gemm,
                  [k](size_t, double scale) { return summation_tolerance(scale, k); });
  const Reference fp32 = reference(widened(x), widened(w), bias, residual, m, n, k);
  g_worst_fp32 = std::max(g_worst_fp32, check_epilogues(where + " (fp32 operands)", fp32, bias, residual, static_cast<size_t>(m * n), gemm,
                                                        [k](size_t, double scale) { return rounding_tolerance(scale, k); }));
}

// Row counts around the register tiles (6 and 8 rows), K odd and even around the pairs,
// column counts around the panel widths (16 and 32).
TEST_P(Bf16Gemm, MatchesReferenceOnOddShapes) {
  std::mt19937 rng(1234);
  for (int64_t m : {1, 2, 5, 7, 8, 9, 33})
    for (int64_t k : {1, 2, 3, 7, 32, 33, 301})
      for (int64_t n : {1, 5, 16, 17, 33, 100}) check_shape(GetParam(), m, k, n, rng);
  std::printf("%s: largest error against fp32 operands %.2f of the bf16 rounding bound\n", isa_name(GetParam()), g_worst_fp32);
}

// Shapes past the cache blocks: several M blocks (144 rows), K blocks (256 or 512 values; an
// odd K splits into even blocks and an odd tail), a few rows with K too long for one block,
// and more than one thread's share.
TEST_P(Bf16Gemm, MatchesReferenceAcrossBlocks) {
  std::mt19937 rng(99);
  check_shape(GetParam(), 301, 1031, 40, rng);
  check_shape(GetParam(), 13, 5001, 33, rng);
  check_shape(GetParam(), 300, 64, 300, rng);
}

// bf16 weights given as bf16 bits pack to the same panels as the fp32 weights they round from.
TEST_P(Bf16Gemm, Bf16SourceWeightsMatchRoundedFp32Ones) {
  std::mt19937 rng(5);
  const int64_t m = 9, k = 37, n = 45;
  const auto x = random_vector(static_cast<size_t>(m * k), rng), w = random_vector(static_cast<size_t>(n * k), rng);
  std::vector<uint16_t> bits(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const float r = static_cast<float>(bf16_rounded(w[i]));
    uint32_t b;
    std::memcpy(&b, &r, sizeof b);
    bits[i] = static_cast<uint16_t>(b >> 16);
  }
  const PackedWeightsBf16 from_fp32(w.data(), n, k, GetParam()), from_bf16(bits.data(), n, k, GetParam());
  std::vector<float> y1(m * n), y2(m * n);
  packed_gemm_bf16(x.data(), m, from_fp32, y1.data(), {});
  packed_gemm_bf16(x.data(), m, from_bf16, y2.data(), {});
  EXPECT_EQ(y1, y2);
}

// K = 0: the sums are empty, y = bias.
TEST_P(Bf16Gemm, EmptyKGivesTheBias) {
  const std::vector<float> bias{1.5f, -2.0f, 3.0f};
  const PackedWeightsBf16 packed(static_cast<const float*>(nullptr), 3, 0, GetParam());
  std::vector<float> y(6, NAN);
  GemmEpilogue e;
  e.bias = bias.data();
  packed_gemm_bf16(nullptr, 2, packed, y.data(), e);
  EXPECT_EQ(y, (std::vector<float>{1.5f, -2.0f, 3.0f, 1.5f, -2.0f, 3.0f}));
}

INSTANTIATE_TEST_SUITE_P(Variants, Bf16Gemm, ::testing::ValuesIn(kAllIsas),
                         [](const auto& info) { return std::string(isa_name(info.param)); });

// A variant this CPU lacks is refused with the missing flag named, never silently replaced.
TEST(PackedWeightsBf16, UnsupportedVariantIsAnErrorNamingTheFlag) {
  const float w[2] = {1.0f, 2.0f};
  for (const Isa isa : kAllIsas) {
    const char* missing = isa_missing_flag(isa);
    if (missing == nullptr) {
      EXPECT_EQ(PackedWeightsBf16(w, 2, 1, isa).kernels().isa, isa);
      continue;
    }
    try {
      PackedWeightsBf16(w, 2, 1, isa);
      ADD_FAILURE() << isa_name(isa) << " weights packed on a CPU without " << missing;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
      EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace packformer
