// The Llama-style forward pass over token rows and its KV cache. Prompts are prefilled packed
// (every real token once, no padding) with causal attention over the cache; a step then runs one
// token per live row. The cache holds key/value heads only (grouped-query attention) and is
// planned in begin() for all rows at their maximum length, so steps allocate nothing.
#include <algorithm>
#include <cmath>
#include <string>

#include "backends/cpu/decoder_attention.h"
#include "core/memory_limit.h"
#include "models/input_checks.h"
#include "models/llama.h"
#include "models/llama_internal.h"
#include "packformer/error.h"

namespace packformer {

std::array<RowBuffer, kLlamaBufferCount> llama_row_buffers(const LlamaConfig& c) {
  const auto ffn = GatedFeedForward::buffers(c.intermediate_size);
  return {RowBuffer{"x", c.hidden_size},
          RowBuffer{"normed", c.hidden_size},
          RowBuffer{"qkv", c.q_width() + 2 * c.kv_width()},
          RowBuffer{"context", c.q_width()},
          RowBuffer{"x_mid", c.hidden_size},
          RowBuffer{"last", c.hidden_size},
          ffn[GatedFeedForward::kGateUp],
          ffn[GatedFeedForward::kInner]};
}

void LlamaModel::plan(int64_t token_rows, int64_t cache_rows, int64_t cache_positions, int64_t copies) {
  const LlamaConfig& c = config_;
  Workspace& w = *ws_;
  const auto buffers = llama_row_buffers(c);
  w.arena.plan(buffers, token_rows);
  for (size_t i = 0; i < buffers.size(); ++i) w.buffer[i] = w.arena.buffer(i);
  const size_t t = static_cast<size_t>(token_rows);
  ensure_size(w.ids, t);
  ensure_size(w.positions, t);
  ensure_size(w.cache_rows, t);
  ensure_size(w.key_counts, t);
  ensure_size(w.last_rows, t);
  w.cache.plan(c.num_layers, cache_rows, cache_positions, c.kv_width());
  w.copies = copies;
}

uint64_t LlamaModel::planned_bytes(const std::vector<std::vector<int32_t>>& prompts, int64_t copies,
                                   int64_t max_new_tokens) const {
  const LlamaConfig& c = config_;
  uint64_t total = 0, longest = 0;
  for (const auto& prompt : prompts) {
    total += prompt.size();
    longest = std::max<uint64_t>(longest, prompt.size());
  }
  const uint64_t cache_rows = saturating_mul(prompts.size(), static_cast<uint64_t>(copies));
  const uint64_t token_rows = std::max(total, cache_rows);
  // plan(): the arena's row buffers, ids (int32) and positions, cache_rows, key_counts, last_rows (int64).
  const uint64_t row_bytes = static_cast<uint64_t>(floats_per_row(llama_row_buffers(c))) * sizeof(float) +
                             sizeof(int32_t) + 4 * sizeof(int64_t);
  const int64_t positions = static_cast<int64_t>(saturating_add(longest, static_cast<uint64_t>(max_new_tokens - 1)));
  return saturating_add(saturating_mul(token_rows, row_bytes),
                        KvCache::planned_bytes(c.num_layers, static_cast<int64_t>(cache_rows), positions, c.kv_width(),
                                               copies));
}

void LlamaModel::project_qkv(const Layer& layer, int64_t l, int64_t rows) {
  const LlamaConfig& c = config_;
  Workspace& w = *ws_;
  const int64_t width = c.q_width() + 2 * c.kv_width();
  float* qkv = w.buffer[kQkv];
  layer.qkv.forward(w.buffer[kNormed], rows, qkv);
  const auto one = [&](int64_t i) {
    float* q = qkv + i * width;
    float* k = q + c.q_width();
    if (c.qk_norm) {  // qwen3: per head, before the rotation
      layer.q_norm.forward_heads(q, c.num_heads);
      layer.k_norm.forward_heads(k, c.num_kv_heads);
    }
    weights_->rotary.apply(q, c.num_heads, w.positions[i]);
    weights_->rotary.apply(k, c.num_kv_heads, w.positions[i]);
    w.cache.write(l, w.cache_rows[i], w.positions[i], k, k + c.kv_width());
  };
  // Plain branch, not an if() clause: a one-thread parallel region allocates in libgomp.
  if (rows == 1) {
    one(0);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < rows; ++i) one(i);
}

void LlamaModel::run_rows(int64_t rows) {
  const LlamaConfig& c = config_;
  Workspace& w = *ws_;
  const int64_t n = c.hidden_size;
  float* x = w.buffer[kX];
  for (int64_t i = 0; i < rows; ++i) {
    const float* token = weights_->embed_tokens.data() + static_cast<int64_t>(w.ids[i]) * n;
    std::copy(token, token + n, x + i * n);
    w.key_counts[i] = w.positions[i] + 1;  // causal: a token sees itself and what precedes it
  }
  CachedAttentionArgs attention;
  attention.q = w.buffer[kQkv];
  attention.q_stride = c.q_width() + 2 * c.kv_width();
  attention.out = w.buffer[kContext];
  attention.out_stride = c.q_width();
  attention.cache_row_stride = w.cache.row_stride();
  attention.heads = c.num_heads;
  attention.kv_heads = c.num_kv_heads;
  attention.head_dim = c.head_dim;
  attention.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  attention.queries = rows;
  attention.cache_row = w.cache_rows.data();
  attention.key_count = w.key_counts.data();
  float* const ffn_scratch[] = {w.buffer[kFfnGateUp], w.buffer[kFfnInner]};

  for (int64_t l = 0; l < c.num_layers; ++l) {
    const Layer& layer = weights_->layers[static_cast<size_t>(l)];
    layer.input_norm.forward(x, w.buffer[kNormed], rows);
    project_qkv(layer, l, rows);
    attention.k_cache = w.cache.keys(l);
    attention.v_cache = w.cache.values(l);
    attention.window = c.sliding_window[static_cast<size_t>(l)];
    cached_attention(attention);
    layer.o_proj.forward(w.buffer[kContext], rows, w.buffer[kXMid], x);
    layer.post_attention_norm.forward(w.buffer[kXMid], w.buffer[kNormed], rows);
    layer.mlp.forward(w.buffer[kNormed], rows, ffn_scratch, x, w.buffer[kXMid]);
  }
}

void LlamaModel::lm_head(const int64_t* rows, int64_t count, float* logits) {
  Workspace& w = *ws_;
  const int64_t n = config_.hidden_size;
  for (int64_t j = 0; j < count; ++j)
    weights_->norm.forward_row(w.buffer[kX] + rows[j] * n, w.buffer[kLast] + j * n);
  weights_->lm_head->forward(w.buffer[kLast], count, logits);
}

int64_t LlamaModel::prefill(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens) {
  if (prompts.empty()) fail(ErrorKind::InvalidInput, "no prompts to generate from");
  if (copies < 1 || max_new_tokens < 1)
    fail(ErrorKind::Internal, "LlamaModel: copies and max_new_tokens must be >= 1");
  int64_t total = 0, longest = 0;
  for (size_t p = 0; p < prompts.size(); ++p) {
    check_prompt(prompts[p], max_new_tokens, p);
    total += static_cast<int64_t>(prompts[p].size());
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prompts[p].size()));
  }
  const int64_t cache_rows = static_cast<int64_t>(prompts.size()) * copies;
  plan(std::max(total, cache_rows), cache_rows, longest + max_new_tokens - 1, copies);
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

void LlamaModel::begin(const std::vector<std::vector<int32_t>>& prompts, int64_t copies, int64_t max_new_tokens,
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

std::vector<float> LlamaModel::forward_all(const std::vector<std::vector<int32_t>>& prompts) {
  const int64_t total = prefill(prompts, 1, 1);
  Workspace& w = *ws_;
  for (int64_t i = 0; i < total; ++i) w.last_rows[i] = i;
  std::vector<float> logits(static_cast<size_t>(total * config_.vocab_size));
  lm_head(w.last_rows.data(), total, logits.data());
  return logits;
}

void LlamaModel::step(const int32_t* rows, const int32_t* tokens, int64_t n, float* logits) {
  Workspace& w = *ws_;
  if (n > w.cache.rows()) fail(ErrorKind::Internal, "LlamaModel::step: more rows than begin() planned");
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = rows[i];
    if (row < 0 || row >= w.cache.rows() || w.cache.length(row) >= w.cache.positions())
      fail(ErrorKind::Internal, "LlamaModel::step: cache row " + std::to_string(row) + " is full or out of range");
    if (tokens[i] < 0 || tokens[i] >= config_.vocab_size)
      fail(ErrorKind::Internal, "LlamaModel::step: token " + std::to_string(tokens[i]) + " out of range");
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
void LlamaModel::copy_rows(const int32_t* dst, const int32_t* src, int64_t n) {
  if (n > ws_->copies) fail(ErrorKind::Internal, "LlamaModel::copy_rows: more pairs than copies per prompt");
  ws_->cache.copy_rows(dst, src, n);
}

}  // namespace packformer
