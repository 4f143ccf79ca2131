// The decoder-only driver. Prompts are prefilled packed (every real token once, no padding)
// with causal attention over the cache; a step then runs one token per live row. The cache is
// planned in begin() for all rows at their maximum length, so steps allocate nothing.
#include "models/decoder_only_model.h"

#include <algorithm>
#include <string>

#include "core/memory_limit.h"
#include "models/input_checks.h"
#include "packformer/error.h"

namespace packformer {

void DecoderOnlyModel::check_prompt(const std::vector<int32_t>& prompt, int64_t max_new_tokens, size_t index) const {
  const auto where = [index] { return "prompt " + std::to_string(index) + ": "; };
  if (prompt.empty())
    fail(ErrorKind::InvalidInput, where() + "has no tokens (" + shape_.needs_tokens + " needs at least one)");
  const int64_t len = static_cast<int64_t>(prompt.size());
  // The last generated token is never fed back, so a row holds len + max_new_tokens - 1 tokens.
  if (len + max_new_tokens - 1 > shape_.max_positions)
    fail(ErrorKind::InvalidInput, where() + "has " + std::to_string(len) + " tokens; with " +
                                      std::to_string(max_new_tokens) + " new tokens it needs " +
                                      std::to_string(len + max_new_tokens - 1) + " positions but " +
                                      shape_.positions_field + " is " + std::to_string(shape_.max_positions));
  check_ids_in_vocabulary(prompt, shape_.vocab_size, where);
}

uint64_t DecoderOnlyModel::planned_bytes(const std::vector<std::vector<int32_t>>& prompts, int64_t copies,
                                         int64_t max_new_tokens) const {
  uint64_t total = 0, longest = 0;
  for (const auto& prompt : prompts) {
    total += prompt.size();
    longest = std::max<uint64_t>(longest, prompt.size());
  }
  const uint64_t cache_rows = saturating_mul(prompts.size(), static_cast<uint64_t>(copies));
  const uint64_t token_rows = std::max(total, cache_rows);
  // plan(): the family's activations, ids (int32) and positions, cache_rows, key_counts, last_rows (int64).
  const uint64_t row_bytes = activation_bytes_per_row() + sizeof(int32_t) + 4 * sizeof(int64_t);
  const int64_t positions = static_cast<int64_t>(saturating_add(longest, static_cast<uint64_t>(max_new_tokens - 1)));
  return saturating_add(saturating_mul(token_rows, row_bytes),
                        KvCache::planned_bytes(shape_.layers, static_cast<int64_t>(cache_rows), positions,
                                               shape_.kv_width, copies));
}

void DecoderOnlyModel::plan(int64_t token_rows, int64_t cache_rows, int64_t cache_positions, int64_t copies) {
  plan_activations(token_rows);
  const size_t t = static_cast<size_t>(token_rows);
  ensure_size(rows_.ids, t);
  ensure_size(rows_.positions, t);
  ensure_size(rows_.cache_rows, t);
  ensure_size(rows_.key_counts, t);
  ensure_size(last_rows_, t);
  cache_.plan(shape_.layers, cache_rows, cache_positions, shape_.kv_width);
  copies_ = copies;
}

void DecoderOnlyModel::run(int64_t rows) {
  for (int64_t i = 0; i < rows; ++i) rows_.key_counts[i] = rows_.positions[i] + 1;  // causal
  run_rows(rows);
}

int64_t DecoderOnlyModel::prefill(const std::vector<std::vector<int32_t>>& prompts, int64_t copies,
                                  int64_t max_new_tokens) {
  if (prompts.empty()) fail(ErrorKind::InvalidInput, "no prompts to generate from");
  if (copies < 1 || max_new_tokens < 1)
    fail(ErrorKind::Internal, std::string(shape_.model_name) + ": copies and max_new_tokens must be >= 1");
  int64_t total = 0, longest = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    check_prompt(prompts[p], max_new_tokens, p);
    total += static_cast<int64_t>(prompts[p].size());
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompts[p].size()));
  }
  const int64_t cache_rows = static_cast<int64_t>(prompts.size()) * copies;
  plan(std::max(total, cache_rows), cache_rows, longest + max_new_tokens - 1, copies);
  int64_t i = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    const int64_t len = static_cast<int64_t>(prompts[p].size());
    for (int64_t t = 0; t < len; ++t, ++i) {
      rows_.ids[i] = prompts[p][t];
      rows_.positions[i] = t;
      rows_.cache_rows[i] = static_cast<int64_t>(p) * copies;
    }
    cache_.set_length(static_cast<int64_t>(p) * copies, len);
  }
  run(total);
  for (size_t p = 0; p < prompts.size(); ++p)
    for (int64_t c = 1; c < copies; ++c)
      cache_.copy_row(static_cast<int64_t>(p) * copies, static_cast<int64_t>(p) * copies + c,
                      static_cast<int64_t>(prompts[p].size()));
  return total;
}

void DecoderOnlyModel::begin(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens,
                             float* logits) {
  prefill(prompts, copies, max_new_tokens);
  int64_t end = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    end += static_cast<int64_t>(prompts[p].size());
    last_rows_[p] = end - 1;
  }
  lm_head(last_rows_.data(), static_cast<int64_t>(prompts.size()), logits);
}

std::vector<float> DecoderOnlyModel::forward_all(const std::vector<std::vector<int32_t>>& prompts) {
  const int64_t total = prefill(prompts, 1, 1);
  for (int64_t i = 0; i < total; ++i) last_rows_[i] = i;
  std::vector<float> logits(static_cast<size_t>(total * shape_.vocab_size));
  lm_head(last_rows_.data(), total, logits.data());
  return logits;
}

void DecoderOnlyModel::step(const int32_t* rows, const int32_t* tokens, int64_t n, float* logits) {
  // Built only on error: a step allocates nothing.
  const auto where = [this] { return std::string(shape_.model_name) + "::step: "; };
  if (n > cache_.rows()) fail(ErrorKind::Internal, where() + "more rows than begin() planned");
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = rows[i];
    if (row < 0 || row >= cache_.rows() || cache_.length(row) >= cache_.positions())
      fail(ErrorKind::Internal, where() + "cache row " + std::to_string(row) + " is full or out of range");
    if (tokens[i] < 0 || tokens[i] >= shape_.vocab_size)
      fail(ErrorKind::Internal, where() + "token " + std::to_string(tokens[i]) + " out of range");
    rows_.ids[i] = tokens[i];
    rows_.positions[i] = cache_.length(row);
    rows_.cache_rows[i] = row;
  }
  run(n);
  for (int64_t i = 0; i < n; ++i) {
    cache_.set_length(rows[i], cache_.length(rows[i]) + 1);
    last_rows_[i] = i;
  }
  lm_head(last_rows_.data(), n, logits);
}

// Beams reorder within one prompt's rows, so at most `copies` pairs arrive per call.
void DecoderOnlyModel::copy_rows(const int32_t* dst, const int32_t* src, int64_t n) {
  if (n > copies_)
    fail(ErrorKind::Internal, std::string(shape_.model_name) + "::copy_rows: more pairs than copies per prompt");
  cache_.copy_rows(dst, src, n);
}

}  // namespace packformer
