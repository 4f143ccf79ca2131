#include "generation/logits_processors.h"

#include <algorithm>
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

int32_t forced_token(int32_t forced_bos, int32_t forced_eos, int64_t history_length, int64_t generated,
                     int64_t max_new_tokens) {
  if (forced_eos >= 0 && generated == max_new_tokens - 1) return forced_eos;
  if (forced_bos >= 0 && history_length == 1) return forced_bos;
  return -1;
}

void force_token(float* row, int64_t vocab_size, int32_t token) {
  std::fill(row, row + vocab_size, -std::numeric_limits<float>::infinity());
  row[token] = 0.0f;
}

std::vector<int32_t> bad_tokens_without_eos(const std::vector<int32_t>& bad, const std::vector<int32_t>& eos) {
  std::vector<int32_t> kept;
  for (int32_t token : bad)
    if (std::find(eos.begin(), eos.end(), token) == eos.end()) kept.push_back(token);
  return kept;
}

}  // namespace packformer
