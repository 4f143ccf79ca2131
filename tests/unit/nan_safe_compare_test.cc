// The comparison helpers of tests/test_util.h must never lose a NaN: every whole-batch check
// folds thousands of differences into one number, and a NaN anywhere (the likeliest output of
// a broken kernel) has to survive the fold so that the final EXPECT_LE / EXPECT_GE fails.
#include <cmath>
#include <limits>
#include <vector>

#include "test_util.h"

namespace packformer::test {
namespace {

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

float fold_max(const std::vector<float>& values) {
  float worst = 0.0f;
  for (const float v : values) worst = max_or_nan(worst, v);
  return worst;
}

double fold_min(const std::vector<double>& values) {
  double lowest = 1.0;
  for (const double v : values) lowest = min_or_nan(lowest, v);
  return lowest;
}

// Each case: the differences, and where the NaN sits.
struct NanCase {
  const char* where;
  std::vector<float> values;
};

const std::vector<NanCase> kNanCases = {
    {"first", {kNan, 1e-7f, 2e-7f}},
    {"middle", {1e-7f, kNan, 2e-7f}},
    {"last", {1e-7f, 2e-7f, kNan}},
    {"after a large error", {0.5f, kNan, 1e-7f}},  // the case the old helper turned into 1e-7
    {"alone", {kNan}},
    {"twice", {kNan, 3e-7f, kNan, 1e-7f}},
};

TEST(NanSafeCompare, MaxKeepsANanWhereverItIs) {
  for (const NanCase& c : kNanCases) {
    const float worst = fold_max(c.values);
    EXPECT_TRUE(std::isnan(worst)) << "NaN " << c.where << " gave " << worst;
    EXPECT_FALSE(worst <= 1e-5f) << "NaN " << c.where << " would pass a bound";
  }
}

TEST(NanSafeCompare, MinKeepsANanWhereverItIs) {
  for (const NanCase& c : kNanCases) {
    std::vector<double> cosines;
    for (const float v : c.values) cosines.push_back(std::isnan(v) ? v : 1.0 - v);
    const double lowest = fold_min(cosines);
    EXPECT_TRUE(std::isnan(lowest)) << "NaN " << c.where << " gave " << lowest;
    EXPECT_FALSE(lowest >= 0.99999) << "NaN " << c.where << " would pass a bound";
  }
}

TEST(NanSafeCompare, MaxAbsDiffKeepsANanWhereverItIs) {
  for (const NanCase& c : kNanCases) {
    // a - b = the case's values, with b = 1 so the differences are not the inputs themselves.
    std::vector<float> a, b(c.values.size(), 1.0f);
    for (const float v : c.values) a.push_back(1.0f + v);
    const float diff = max_abs_diff(a.data(), b.data(), a.size());
    EXPECT_TRUE(std::isnan(diff)) << "NaN " << c.where << " gave " << diff;
  }
  // The expected side's NaN counts as much as the actual side's.
  const std::vector<float> actual = {1.0f, 2.0f, 3.0f}, expected = {1.0f, kNan, 3.0f};
  EXPECT_TRUE(std::isnan(max_abs_diff(actual.data(), expected.data(), 3)));
}

TEST(NanSafeCompare, WithoutNanTheExtremeIsFound) {
  EXPECT_EQ(fold_max({1e-7f, 0.5f, 2e-7f}), 0.5f);
  EXPECT_EQ(fold_max({}), 0.0f);
  EXPECT_EQ(fold_min({0.9, 0.2, 0.7}), 0.2);
  const std::vector<float> a = {1.0f, -2.0f, 3.0f}, b = {1.5f, -2.0f, 2.0f};
  EXPECT_EQ(max_abs_diff(a.data(), b.data(), 3), 1.0f);
  // An infinite difference is the largest, and stays.
  EXPECT_TRUE(std::isinf(fold_max({1e-7f, std::numeric_limits<float>::infinity(), 2e-7f})));
}

}  // namespace
}  // namespace packformer::test
