// Decoder-only goldens shared by GPT-2 and the Llama family (scripts/make_golden.py):
// NAME-logits holds prompts and transformers' logits at every prompt position.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "generation/step_model.h"
#include "test_util.h"

namespace packformer::test {

struct GoldenLogits {
  std::vector<std::vector<int32_t>> prompts;
  std::vector<float> logits;  // [sum of lengths, vocab]
};

inline GoldenLogits golden_logits(const std::string& model) {
  const Golden golden(model + "-logits");
  GoldenLogits g;
  const auto ids = golden.ints("ids"), lengths = golden.ints("lengths");
  size_t at = 0;
  for (int64_t len : lengths) {
    g.prompts.emplace_back(ids.begin() + at, ids.begin() + at + len);
    at += static_cast<size_t>(len);
  }
  g.logits = golden.floats("logits");
  return g;
}

// Each prompt starts from its first token; the rest are fed one step at a time, rows dropping
// out as their prompt ends: every step's logits must be transformers' at that position (within
// `tolerance`). Returns the largest difference over the steps.
inline float expect_decode_steps_match(StepModel& model, const GoldenLogits& g, float tolerance) {
  const int64_t vocab = model.vocab_size();
  std::vector<std::vector<int32_t>> firsts;
  size_t longest = 0;
  for (const auto& p : g.prompts) {
    firsts.push_back({p[0]});
    longest = std::max(longest, p.size());
  }
  std::vector<size_t> offset(g.prompts.size(), 0);
  for (size_t p = 1; p < g.prompts.size(); ++p) offset[p] = offset[p - 1] + g.prompts[p - 1].size();

  std::vector<float> logits(g.prompts.size() * vocab);
  model.begin(firsts, 1, static_cast<int64_t>(longest), logits.data());
  float worst = 0.0f;
  for (size_t p = 0; p < g.prompts.size(); ++p)
    EXPECT_LE(max_abs_diff(logits.data() + p * vocab, g.logits.data() + offset[p] * vocab, vocab), tolerance);
  for (size_t t = 1; t < longest; ++t) {
    std::vector<int32_t> rows, tokens;
    for (size_t p = 0; p < g.prompts.size(); ++p)
      if (t < g.prompts[p].size()) {
        rows.push_back(static_cast<int32_t>(p));
        tokens.push_back(g.prompts[p][t]);
      }
    model.step(rows.data(), tokens.data(), static_cast<int64_t>(rows.size()), logits.data());
    for (size_t i = 0; i < rows.size(); ++i) {
      const float* expected = g.logits.data() + (offset[rows[i]] + t) * vocab;
      const float diff = max_abs_diff(logits.data() + i * vocab, expected, vocab);
      worst = max_or_nan(worst, diff);
      EXPECT_LE(diff, tolerance) << "prompt " << rows[i] << " position " << t;
    }
  }
  return worst;
}

}  // namespace packformer::test
