#include "generation/logits_processors.h"

#include <limits>

namespace packformer {

void apply_repetition_penalty(float* row, const int32_t* history, int64_t length, float penalty, uint8_t* marks) {
  // A token seen twice must be penalised once: penalise at its first occurrence only.
  for (int64_t i = 0; i < length; ++i) {
    const int32_t token = history[i];
    if (marks[token]) continue;
    marks[token] = 1;
    float& score = row[token];
    score = score < 0.0f ? score * penalty : score / penalty;
  }
  for (int64_t i = 0; i < length; ++i) marks[history[i]] = 0;
}

void banned_ngram_tokens(const int32_t* history, int64_t length, int64_t n, std::vector<int32_t>& banned) {
  if (n < 1 || length + 1 < n) return;
  // The last n - 1 tokens; every earlier n-gram starting with them bans its last token.
  const int32_t* tail = history + length - (n - 1);
  for (int64_t start = 0; start + n <= length; ++start) {
    bool match = true;
    for (int64_t j = 0; j < n - 1 && match; ++j) match = history[start + j] == tail[j];
    if (match) banned.push_back(history[start + n - 1]);
  }
}

void ban_tokens(float* row, const std::vector<int32_t>& banned) {
  for (int32_t token : banned) row[token] = -std::numeric_limits<float>::infinity();
}

}  // namespace packformer
