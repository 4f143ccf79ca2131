#include "generation/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace packformer {

Sampler::Sampler(int64_t vocab_size)
    : vocab_size_(vocab_size),
      candidates_(static_cast<size_t>(vocab_size)),
      weights_(static_cast<size_t>(vocab_size)) {}

int32_t Sampler::sample(float* row, const SamplingSettings& s, Rng& rng) {
  const int64_t n = vocab_size_;
  if (s.temperature != 1.0f)
    for (int64_t i = 0; i < n; ++i) row[i] = row[i] / s.temperature;

  // Candidates: the top-k (every token tied with the k-th kept), else every finite score.
  float threshold = -std::numeric_limits<float>::infinity();
  if (s.top_k > 0 && s.top_k < n) {
    const int64_t found = top_k_with_log_softmax(row, n, s.top_k, nullptr, candidates_.data(), nullptr);
    threshold = candidates_[found - 1].score;
  }
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i)
    if (row[i] >= threshold && row[i] > -std::numeric_limits<float>::infinity())
      candidates_[count++] = Candidate{row[i], static_cast<int32_t>(i)};
  if (count == 0) return static_cast<int32_t>(argmax(row, n));  // every token banned: as argmax would

  float max = candidates_[0].score;
  for (int64_t i = 1; i < count; ++i) max = std::max(max, candidates_[i].score);
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) total += weights_[i] = std::exp(static_cast<double>(candidates_[i].score - max));

  if (s.top_p < 1.0f) {
    // Drop a token when the mass of it and every worse token is <= 1 - top_p; keep the best.
    std::sort(candidates_.begin(), candidates_.begin() + count, better);
    for (int64_t i = 0; i < count; ++i) weights_[i] = std::exp(static_cast<double>(candidates_[i].score - max));
    double before = 0.0;
    int64_t kept = 1;
    for (; kept < count; ++kept) {
      before += weights_[kept - 1];
      if ((total - before) / total <= 1.0 - static_cast<double>(s.top_p)) break;
    }
    count = kept;
    total = 0.0;
    for (int64_t i = 0; i < count; ++i) total += weights_[i];
  }

  const double u = rng.uniform() * total;
  double cumulative = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    cumulative += weights_[i];
    if (u < cumulative) return candidates_[i].token;
  }
  return candidates_[count - 1].token;
}

}  // namespace packformer
