// Sampling on the tiny GPT-2: top-k 1 is greedy, seeds reproduce, and over 10,000 seeded
// samples the token frequencies match the filtered softmax of transformers' logits
// (temperature, top-k, top-p) by a chi-square test.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "generation_test_util.h"

namespace packformer::test {
namespace {

// Regularised upper incomplete gamma Q(a, x): the chi-square survival function is Q(df/2, x/2).
double upper_gamma_q(double a, double x) {
  if (x <= 0.0) return 1.0;
  const double log_prefix = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1.0) {  // series for P
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 10000 && std::fabs(term) > std::fabs(sum) * 1e-15; ++n) {
      term *= x / (a + n);
      sum += term;
    }
    return 1.0 - sum * std::exp(log_prefix);
  }
  // Continued fraction for Q (modified Lentz).
  const double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < 1e-15) break;
  }
  return std::exp(log_prefix) * h;
}

TEST(ChiSquare, SurvivalFunctionKnownValues) {
  // scipy.stats.chi2.sf(x, df)
  EXPECT_NEAR(upper_gamma_q(1.0 / 2, 3.841458820694124 / 2), 0.05, 1e-9);
  EXPECT_NEAR(upper_gamma_q(10.0 / 2, 18.307038053275146 / 2), 0.05, 1e-9);
  EXPECT_NEAR(upper_gamma_q(30.0 / 2, 20.0 / 2), 0.9165415270653372, 1e-9);  // torch.special.gammaincc(15, 10)
}

// transformers' warpers in double precision with plain sorting: temperature, top-k (ties with
// the k-th value kept), top-p (ascending cumulative mass <= 1 - top_p removed, best kept).
std::vector<double> filtered_softmax(const float* logits, int64_t vocab, float temperature, int64_t top_k, float top_p) {
  std::vector<double> scores(logits, logits + vocab);
  for (double& s : scores) s /= temperature;
  if (top_k > 0 && top_k < vocab) {
    std::vector<double> sorted = scores;
    std::nth_element(sorted.begin(), sorted.begin() + (top_k - 1), sorted.end(), std::greater<>());
    const double kth = sorted[top_k - 1];
    for (double& s : scores)
      if (s < kth) s = -INFINITY;
  }
  const double max = *std::max_element(scores.begin(), scores.end());
  std::vector<double> p(vocab);
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i) total += p[i] = std::exp(scores[i] - max);
  for (double& v : p) v /= total;
  if (top_p < 1.0f) {
    std::vector<int64_t> order(vocab);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[a] < p[b]; });
    double cumulative = 0;
    for (int64_t i = 0; i + 1 < vocab; ++i) {  // the best token is always kept
      cumulative += p[order[i]];
      if (cumulative <= 1.0 - top_p) p[order[i]] = 0.0;
    }
    total = std::accumulate(p.begin(), p.end(), 0.0);
    for (double& v : p) v /= total;
  }
  return p;
}

// Chi-square p-value of observed counts against probabilities; tokens expected < 5 times are
// pooled into one bin. A sample of a token with probability 0 fails at once.
double chi_square_p(const std::vector<int64_t>& counts, const std::vector<double>& p, int64_t samples) {
  double chi2 = 0, pooled_expected = 0;
  int64_t pooled_observed = 0, bins = 0;
  for (size_t t = 0; t < p.size(); ++t) {
    const double expected = p[t] * samples;
    if (p[t] == 0.0) {
      EXPECT_EQ(counts[t], 0) << "token " << t << " was filtered out but sampled";
      continue;
    }
    if (expected < 5.0) {
      pooled_expected += expected;
      pooled_observed += counts[t];
      continue;
    }
    chi2 += (counts[t] - expected) * (counts[t] - expected) / expected;
    ++bins;
  }
  if (pooled_expected > 0) {
    chi2 += (pooled_observed - pooled_expected) * (pooled_observed - pooled_expected) / pooled_expected;
    ++bins;
  }
  return bins < 2 ? 1.0 : upper_gamma_q((bins - 1) / 2.0, chi2 / 2.0);
}

struct Setting {
  const char* name;
  float temperature;
  int64_t top_k;
  float top_p;
};

class SamplingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    generator_ = Generator::load(tiny_gpt2(), {.threads = 2});
    golden_ = generation_golden();
    prompts_ = golden_prompts(golden_);
  }
  std::unique_ptr<Generator> generator_;
  nlohmann::json golden_;
  std::vector<std::vector<int32_t>> prompts_;
};

TEST_F(SamplingTest, TopK1IsGreedy) {
  const auto greedy = golden_case(golden_, "greedy").at("new_tokens").get<GeneratedIds>();
  GenerationOptions options;
  options.max_new_tokens = 64;
  options.do_sample = true;
  options.top_k = 1;
  for (uint64_t seed : {0u, 1u, 12345u}) {
    options.seed = seed;
    options.temperature = seed == 1 ? 0.5f : 1.7f;  // any temperature: one candidate is left
    EXPECT_EQ(generator_->generate(prompts_, options), greedy) << "seed " << seed;
  }
}

TEST_F(SamplingTest, SameSeedSameTokensOtherSeedOtherTokens) {
  GenerationOptions options;
  options.max_new_tokens = 32;
  options.do_sample = true;
  options.top_k = 0;
  options.temperature = 1.5f;
  options.eos_token_ids = std::vector<int32_t>{};
  options.seed = 7;
  const GeneratedIds a = generator_->generate(prompts_, options), b = generator_->generate(prompts_, options);
  EXPECT_EQ(a, b);
  options.seed = 8;
  EXPECT_NE(generator_->generate(prompts_, options), a);
}

TEST_F(SamplingTest, FrequenciesMatchTheFilteredSoftmax) {
  // Among the short prompts (10,000 cache rows of it are planned), the one whose next-token
  // distribution (transformers' logits) has the highest entropy, so that the filters matter.
  const Golden logits_golden("tiny-gpt2-logits");
  const std::vector<float> logits = logits_golden.floats("logits");
  const std::vector<int64_t> lengths = logits_golden.ints("lengths");
  const int64_t vocab = generator_->vocab_size();
  size_t best = 0, end = 0;
  double best_entropy = -1;
  std::vector<size_t> last_row(lengths.size());
  for (size_t p = 0; p < lengths.size(); ++p) {
    end += static_cast<size_t>(lengths[p]);
    last_row[p] = end - 1;
    const auto probs = filtered_softmax(logits.data() + last_row[p] * vocab, vocab, 1.0f, 0, 1.0f);
    double entropy = 0;
    for (double q : probs)
      if (q > 0) entropy -= q * std::log(q);
    if (lengths[p] <= 9 && entropy > best_entropy) best_entropy = entropy, best = p;
  }
  const float* row = logits.data() + last_row[best] * vocab;

  constexpr int64_t kSamples = 10000;
  const Setting settings[] = {{"temperature 0.7", 0.7f, 0, 1.0f},
                              {"top-k 5", 1.0f, 5, 1.0f},
                              {"top-p 0.6, temperature 1.3", 1.3f, 0, 0.6f},
                              {"top-k 20 then top-p 0.8", 1.0f, 20, 0.8f}};
  for (const Setting& s : settings) {
    GenerationOptions options;
    options.max_new_tokens = 1;
    options.do_sample = true;
    options.temperature = s.temperature;
    options.top_k = s.top_k;
    options.top_p = s.top_p;
    options.seed = 2024;
    options.num_return_sequences = kSamples;  // 10,000 rows from one prefilled prompt
    const GeneratedIds out = generator_->generate({prompts_[best]}, options);
    std::vector<int64_t> counts(vocab, 0);
    for (const auto& sequence : out[0]) ++counts[sequence.at(0)];
    const auto expected = filtered_softmax(row, vocab, s.temperature, s.top_k, s.top_p);
    const double p = chi_square_p(counts, expected, kSamples);
    EXPECT_GT(p, 0.001) << s.name;
    // The test has power: the same samples against the unfiltered softmax are rejected.
    const double p_unfiltered = chi_square_p(counts, filtered_softmax(row, vocab, 1.0f, 0, 1.0f), kSamples);
    EXPECT_LT(p_unfiltered, 0.001) << s.name;
    std::printf("%s: p = %.3g (vs the unfiltered softmax: p = %.3g)\n", s.name, p, p_unfiltered);
  }
}

}  // namespace
}  // namespace packformer::test
