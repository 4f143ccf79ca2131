// The decoder attention kernel (one query and head over a KV cache) of every ISA variant
// against a double-precision softmax, on head sizes that are and are not multiples of the
// vector width and key counts around the kernel's tiles; skipped, naming the missing CPU flag,
// for a variant this CPU lacks. Then the driver (cached_attention): grouped-query heads and a
// sliding window read the right keys.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backends/cpu/decoder_attention.h"
#include "backends/cpu/kernel_table.h"

namespace packformer {

void PrintTo(Isa isa, std::ostream* os) { *os << isa_name(isa); }

namespace {

std::vector<float> random_vector(size_t n, std::mt19937& rng, float range) {
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// softmax(scale * K q) V in double, for keys [first, first + n) rows `stride` apart.
std::vector<double> reference(const float* q, const float* keys, const float* values, int64_t stride, int64_t n,
                              int64_t d, double scale) {
  std::vector<double> scores(n);
  double max = -INFINITY;
  for (int64_t j = 0; j < n; ++j) {
    double dot = 0.0;
    for (int64_t c = 0; c < d; ++c) dot += double(q[c]) * keys[j * stride + c];
    scores[j] = dot * scale;
    max = std::max(max, scores[j]);
  }
  double sum = 0.0;
  for (double& s : scores) sum += (s = std::exp(s - max));
  std::vector<double> out(d, 0.0);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t c = 0; c < d; ++c) out[c] += scores[j] / sum * values[j * stride + c];
  return out;
}

class CachedAttend : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (const char* missing = isa_missing_flag(GetParam()))
      GTEST_SKIP() << isa_name(GetParam()) << " not run: this CPU lacks " << missing;
  }
};

TEST_P(CachedAttend, MatchesDoubleSoftmax) {
  const auto attend = kernel_table(GetParam()).cached_attend;
  std::mt19937 rng(7);
  for (const int64_t d : {1, 7, 16, 24, 64, 80, 128, 256}) {
    for (const int64_t n : {1, 3, 4, 63, 64, 65, 130}) {
      const int64_t stride = d + 5;  // keys and values of other heads sit between rows
      // Scores spread over several units, so the softmax is neither flat nor one-hot.
      const auto q = random_vector(d, rng, 3.0f / std::sqrt(float(d)));
      const auto keys = random_vector(n * stride, rng, 1.0f);
      const auto values = random_vector(n * stride, rng, 1.0f);
      const float scale = 1.0f / std::sqrt(float(d));
      std::vector<float> out(d, -1.0f);
      attend({q.data(), keys.data(), values.data(), stride, n, d, scale, out.data()});
      const auto want = reference(q.data(), keys.data(), values.data(), stride, n, d, scale);
      // fp32 sums of <= 256 products and <= 130 weighted values, all of magnitude <= 3:
      // rounding stays near 1e-6; 2e-5 leaves room without hiding a wrong key or tile.
      for (int64_t c = 0; c < d; ++c) ASSERT_NEAR(out[c], want[c], 2e-5) << "d=" << d << " n=" << n << " c=" << c;
    }
  }
}

TEST_P(CachedAttend, OutputMayAliasTheQuery) {
  const auto attend = kernel_table(GetParam()).cached_attend;
  std::mt19937 rng(8);
  const int64_t d = 64, n = 70;
  auto q = random_vector(d, rng, 0.5f);
  const auto keys = random_vector(n * d, rng, 1.0f), values = random_vector(n * d, rng, 1.0f);
  const auto want = reference(q.data(), keys.data(), values.data(), d, n, d, 0.125);
  attend({q.data(), keys.data(), values.data(), d, n, d, 0.125f, q.data()});
  for (int64_t c = 0; c < d; ++c) ASSERT_NEAR(q[c], want[c], 2e-5) << c;
}

INSTANTIATE_TEST_SUITE_P(Variants, CachedAttend, ::testing::ValuesIn(kAllIsas));

// Two cache rows, 4 query heads over 2 key/value heads, a window of 5 keys.
TEST(CachedAttention, GroupedHeadsAndWindowReadTheirKeys) {
  std::mt19937 rng(9);
  const int64_t heads = 4, kv_heads = 2, d = 16, positions = 12, window = 5;
  const int64_t key_stride = kv_heads * d;
  const auto k_cache = random_vector(2 * positions * key_stride, rng, 1.0f);
  const auto v_cache = random_vector(2 * positions * key_stride, rng, 1.0f);
  const auto q = random_vector(2 * heads * d, rng, 1.0f);
  std::vector<float> out(2 * heads * d);
  const int64_t cache_row[] = {1, 0}, key_count[] = {12, 3};
  CachedAttentionArgs args;
  args.q = q.data();
  args.q_stride = heads * d;
  args.out = out.data();
  args.out_stride = heads * d;
  args.k_cache = k_cache.data();
  args.v_cache = v_cache.data();
  args.cache_row_stride = positions * key_stride;
  args.heads = heads;
  args.head_dim = d;
  args.kv_heads = kv_heads;
  args.window = window;
  args.scale = 0.25f;
  args.queries = 2;
  args.cache_row = cache_row;
  args.key_count = key_count;
  cached_attention(args);
  for (int64_t i = 0; i < 2; ++i) {
    const int64_t first = std::max<int64_t>(0, key_count[i] - window);
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t offset = cache_row[i] * positions * key_stride + first * key_stride + (h / 2) * d;
      const auto want = reference(q.data() + (i * heads + h) * d, k_cache.data() + offset, v_cache.data() + offset,
                                  key_stride, key_count[i] - first, d, 0.25);
      for (int64_t c = 0; c < d; ++c) ASSERT_NEAR(out[(i * heads + h) * d + c], want[c], 2e-5) << i << " " << h;
    }
  }
}

}  // namespace
}  // namespace packformer
