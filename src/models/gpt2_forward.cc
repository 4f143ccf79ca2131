// GPT-2's forward pass over token rows and its KV cache. Prompts are prefilled packed (every
// real token once, no padding) with causal attention over the cache; a step then runs one
// token per live row. The cache is planned in begin() for all rows at their maximum length,
// so steps allocate nothing.
#include <algorithm>
#include <cmath>
#include <string>

#include "backends/cpu/decoder_attention.h"
#include "core/memory_limit.h"
#include "models/gpt2.h"
#include "models/gpt2_internal.h"
#include "models/input_checks.h"
#include "packformer/error.h"

namespace packformer {
void Gpt2Model::plan(int64_t token_rows, int64_t cache_rows, int64_t cache_positions, int64_t copies) {
  const Gpt2Config& c = config_;
  Workspace& w = *ws_;
  const size_t t = static_cast<size_t>(token_rows), n = static_cast<size_t>(c.n_embd);
  ensure_size(w.x, t * n);
  ensure_size(w.normed, t * n);
  ensure_size(w.qkv, t * 3 * n);
  ensure_size(w.context, t * n);
  ensure_size(w.x_mid, t * n);
  ensure_size(w.inner, t * static_cast<size_t>(c.n_inner));
  ensure_size(w.last, t * n);
  ensure_size(w.ids, t);
  ensure_size(w.positions, t);
  ensure_size(w.cache_rows, t);
  ensure_size(w.key_counts, t);
  ensure_size(w.last_rows, t);
  w.cache.plan(c.n_layer, cache_rows, cache_positions, c.n_embd);
  w.copies = copies;
}

uint64_t Gpt2Model::planned_bytes(const std::vector<std::vector<int32_t>>& prompts, int64_t copies,
                                  int64_t max_new_tokens) const {
  const Gpt2Config& c = config_;
  uint64_t total = 0, longest = 0;
  for (const auto& prompt : prompts) {
    total += prompt.size();
    longest = std::max<uint64_t>(longest, prompt.size());
  }
  const uint64_t cache_rows = saturating_mul(prompts.size(), static_cast<uint64_t>(copies));
  const uint64_t token_rows = std::max(total, cache_rows);
  // plan(): x, normed, context, x_mid, last and qkv (3x) [rows, n_embd], inner [rows, n_inner];
  // ids (int32) and positions, cache_rows, key_counts, last_rows (int64).
  const uint64_t row_bytes = static_cast<uint64_t>(8 * c.n_embd + c.n_inner) * sizeof(float) + sizeof(int32_t) +
                             4 * sizeof(int64_t);
  const int64_t positions = static_cast<int64_t>(saturating_add(longest, static_cast<uint64_t>(max_new_tokens - 1)));
  return saturating_add(saturating_mul(token_rows, row_bytes),
                        KvCache::planned_bytes(c.n_layer, static_cast<int64_t>(cache_rows), positions, c.n_embd, copies));
}

void Gpt2Model::run_rows(int64_t rows) {
  const Gpt2Config& c = config_;
  Workspace& w = *ws_;
  const int64_t n = c.n_embd;
  for (int64_t i = 0; i < rows; ++i) {
    const float* token = weights_->wte.data() + static_cast<int64_t>(w.ids[i]) * n;
    const float* position = weights_->wpe.data() + w.positions[i] * n;
    float* x = w.x.data() + i * n;
    for (int64_t d = 0; d < n; ++d) x[d] = token[d] + position[d];
    w.key_counts[i] = w.positions[i] + 1;  // causal: a token sees itself and what precedes it
  }
  CachedAttentionArgs attention;
  attention.q = w.qkv.data();
  attention.q_stride = 3 * n;
  attention.out = w.context.data();
  attention.out_stride = n;
  attention.cache_row_stride = w.cache.row_stride();
  attention.heads = c.n_head;
  attention.head_dim = c.head_dim();
  attention.queries = rows;
  attention.cache_row = w.cache_rows.data();
  attention.key_count = w.key_counts.data();
  const float base_scale = c.scale_attn_weights ? 1.0f / std::sqrt(static_cast<float>(c.head_dim())) : 1.0f;

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const Layer& layer = weights_->layers[static_cast<size_t>(l)];
    layer.ln_1.forward(w.x.data(), w.normed.data(), rows);
    layer.c_attn.forward(w.normed.data(), rows, w.qkv.data(), nullptr);
    for (int64_t i = 0; i < rows; ++i)
      w.cache.write(l, w.cache_rows[i], w.positions[i], w.qkv.data() + i * 3 * n + n, w.qkv.data() + i * 3 * n + 2 * n);
    attention.k_cache = w.cache.keys(l);
    attention.v_cache = w.cache.values(l);
    attention.scale = c.scale_attn_by_inverse_layer_idx ? base_scale / static_cast<float>(l + 1) : base_scale;
    cached_attention(attention);
    layer.c_proj.forward(w.context.data(), rows, w.x_mid.data(), w.x.data());
    layer.ln_2.forward(w.x_mid.data(), w.normed.data(), rows);
    layer.c_fc.forward(w.normed.data(), rows, w.inner.data(), nullptr);
    layer.mlp_c_proj.forward(w.inner.data(), rows, w.x.data(), w.x_mid.data());
  }
}

void Gpt2Model::lm_head(const int64_t* rows, int64_t count, float* logits) {
  Workspace& w = *ws_;
  const int64_t n = config_.n_embd;
  for (int64_t j = 0; j < count; ++j)
    weights_->ln_f.forward_row(w.x.data() + rows[j] * n, w.last.data() + j * n);
  weights_->lm_head->forward(w.last.data(), count, logits, nullptr);
}

int64_t Gpt2Model::prefill(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens) {
  if (prompts.empty()) fail(ErrorKind::InvalidInput, "no prompts to generate from");
  if (copies < 1 || max_new_tokens < 1)
    fail(ErrorKind::Internal, "Gpt2Model: copies and max_new_tokens must be >= 1");
  int64_t total = 0, longest = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    check_prompt(prompts[p], max_new_tokens, p);
    total += static_cast<int64_t>(prompts[p].size());
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompts[p].size()));
  }
  const int64_t cache_rows = static_cast<int64_t>(prompts.size()) * copies;
  const int64_t positions = longest + max_new_tokens - 1;
  plan(std::max(total, cache_rows), cache_rows, positions, copies);
  Workspace& w = *ws_;
  int64_t i = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    const int64_t len = static_cast<int64_t>(prompts[p].size());
    for (int64_t t = 0; t < len; ++t, ++i) {
      w.ids[i] = prompts[p][t];
      w.positions[i] = t;
      w.cache_rows[i] = static_cast<int64_t>(p) * copies;
    }
    w.cache.set_length(static_cast<int64_t>(p) * copies, len);
  }
  run_rows(total);
  for (size_t p = 0; p < prompts.size(); ++p)
    for (int64_t c = 1; c < copies; ++c)
      w.cache.copy_row(static_cast<int64_t>(p) * copies, static_cast<int64_t>(p) * copies + c,
                       static_cast<int64_t>(prompts[p].size()));
  return total;
}

void Gpt2Model::begin(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens,
                      float* logits) {
  prefill(prompts, copies, max_new_tokens);
  Workspace& w = *ws_;
  int64_t end = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    end += static_cast<int64_t>(prompts[p].size());
    w.last_rows[p] = end - 1;
  }
  lm_head(w.last_rows.data(), static_cast<int64_t>(prompts.size()), logits);
}

std::vector<float> Gpt2Model::forward_all(const std::vector<std::vector<int32_t>>& prompts) {
  const int64_t total = prefill(prompts, 1, 1);
  Workspace& w = *ws_;
  for (int64_t i = 0; i < total; ++i) w.last_rows[i] = i;
  std::vector<float> logits(static_cast<size_t>(total * config_.vocab_size));
  lm_head(w.last_rows.data(), total, logits.data());
  return logits;
}

void Gpt2Model::step(const int32_t* rows, const int32_t* tokens, int64_t n, float* logits) {
  Workspace& w = *ws_;
  if (n > w.cache.rows()) fail(ErrorKind::Internal, "Gpt2Model::step: more rows than begin() planned");
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = rows[i];
    if (row < 0 || row >= w.cache.rows() || w.cache.length(row) >= w.cache.positions())
      fail(ErrorKind::Internal, "Gpt2Model::step: cache row " + std::to_string(row) + " is full or out of range");
    if (tokens[i] < 0 || tokens[i] >= config_.vocab_size)
      fail(ErrorKind::Internal, "Gpt2Model::step: token " + std::to_string(tokens[i]) + " out of range");
    w.ids[i] = tokens[i];
    w.positions[i] = w.cache.length(row);
    w.cache_rows[i] = row;
  }
  run_rows(n);
  for (int64_t i = 0; i < n; ++i) {
    w.cache.set_length(rows[i], w.cache.length(rows[i]) + 1);
    w.last_rows[i] = i;
  }
  lm_head(w.last_rows.data(), n, logits);
}

// Beams reorder within one prompt's rows, so at most `copies` pairs arrive per call.
void Gpt2Model::copy_rows(const int32_t* dst, const int32_t* src, int64_t n) {
  if (n > ws_->copies) fail(ErrorKind::Internal, "Gpt2Model::copy_rows: more pairs than copies per prompt");
  ws_->cache.copy_rows(dst, src, n);
}

}  // namespace packformer
