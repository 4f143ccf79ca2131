// GPT-2's forward pass over token rows and its KV cache. Prompts are prefilled packed (every
// real token once, no padding) with causal attention over the cache; a step then runs one
// token per live row. The cache is planned in begin() for all rows at their maximum length,
// so steps allocate nothing.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "backends/cpu/decoder_attention.h"
#include "models/gpt2.h"
#include "models/gpt2_internal.h"
#include "ops/layer_norm.h"
#include "packformer/error.h"

namespace packformer {
namespace {

template <typename T>
void ensure(std::vector<T>& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
}

}  // namespace

void Gpt2Model::plan(int64_t token_rows, int64_t cache_rows, int64_t cache_positions, int64_t copies) {
  const Gpt2Config& c = config_;
  Workspace& w = *ws_;
  const size_t t = static_cast<size_t>(token_rows), n = static_cast<size_t>(c.n_embd);
  ensure(w.x, t * n);
  ensure(w.normed, t * n);
  ensure(w.qkv, t * 3 * n);
  ensure(w.context, t * n);
  ensure(w.x_mid, t * n);
  ensure(w.inner, t * static_cast<size_t>(c.n_inner));
  ensure(w.last, t * n);
  ensure(w.ids, t);
  ensure(w.positions, t);
  ensure(w.cache_rows, t);
  ensure(w.key_counts, t);
  ensure(w.last_rows, t);
  const size_t cache = static_cast<size_t>(c.n_layer * cache_rows * cache_positions) * n;
  ensure(w.k_cache, cache);
  ensure(w.v_cache, cache);
  ensure(w.row_length, static_cast<size_t>(cache_rows));
  ensure(w.staged_length, static_cast<size_t>(copies));
  w.cache_rows_n = cache_rows;
  w.cache_positions = cache_positions;
  w.copies = copies;
}

void Gpt2Model::run_rows(int64_t rows) {
  const Gpt2Config& c = config_;
  Workspace& w = *ws_;
  const int64_t n = c.n_embd;
  const int64_t layer_stride = w.cache_rows_n * w.cache_positions * n, row_stride = w.cache_positions * n;
  for (int64_t i = 0; i < rows; ++i) {
    const float* token = wte_.data() + static_cast<int64_t>(w.ids[i]) * n;
    const float* position = wpe_.data() + w.positions[i] * n;
    float* x = w.x.data() + i * n;
    for (int64_t d = 0; d < n; ++d) x[d] = token[d] + position[d];
    w.key_counts[i] = w.positions[i] + 1;  // causal: a token sees itself and what precedes it
  }
  CachedAttentionArgs attention;
  attention.q = w.qkv.data();
  attention.q_stride = 3 * n;
  attention.out = w.context.data();
  attention.out_stride = n;
  attention.cache_row_stride = row_stride;
  attention.heads = c.n_head;
  attention.head_dim = c.head_dim();
  attention.queries = rows;
  attention.cache_row = w.cache_rows.data();
  attention.key_count = w.key_counts.data();
  const float base_scale = c.scale_attn_weights ? 1.0f / std::sqrt(static_cast<float>(c.head_dim())) : 1.0f;

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const Layer& layer = layers_[static_cast<size_t>(l)];
    layer_norm(w.x.data(), layer.ln_1_gamma.data(), layer.ln_1_beta.data(), w.normed.data(), rows, n,
               c.layer_norm_epsilon);
    layer.c_attn.forward(w.normed.data(), rows, w.qkv.data(), nullptr);
    float* k_cache = w.k_cache.data() + l * layer_stride;
    float* v_cache = w.v_cache.data() + l * layer_stride;
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t at = w.cache_rows[i] * row_stride + w.positions[i] * n;
      std::memcpy(k_cache + at, w.qkv.data() + i * 3 * n + n, static_cast<size_t>(n) * sizeof(float));
      std::memcpy(v_cache + at, w.qkv.data() + i * 3 * n + 2 * n, static_cast<size_t>(n) * sizeof(float));
    }
    attention.k_cache = k_cache;
    attention.v_cache = v_cache;
    attention.scale = c.scale_attn_by_inverse_layer_idx ? base_scale / static_cast<float>(l + 1) : base_scale;
    cached_attention(attention);
    layer.c_proj.forward(w.context.data(), rows, w.x_mid.data(), w.x.data());
    layer_norm(w.x_mid.data(), layer.ln_2_gamma.data(), layer.ln_2_beta.data(), w.normed.data(), rows, n,
               c.layer_norm_epsilon);
    layer.c_fc.forward(w.normed.data(), rows, w.inner.data(), nullptr);
    layer.mlp_c_proj.forward(w.inner.data(), rows, w.x.data(), w.x_mid.data());
  }
}

void Gpt2Model::lm_head(const int64_t* rows, int64_t count, float* logits) {
  Workspace& w = *ws_;
  const int64_t n = config_.n_embd;
  for (int64_t j = 0; j < count; ++j)
    layer_norm_row(w.x.data() + rows[j] * n, ln_f_gamma_.data(), ln_f_beta_.data(), w.last.data() + j * n, n,
                   config_.layer_norm_epsilon);
  lm_head_->forward(w.last.data(), count, logits, nullptr);
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
    for (int64_t c = 0; c < copies; ++c) w.row_length[p * copies + c] = len;
  }
  run_rows(total);
  for (size_t p = 0; p < prompts.size(); ++p)
    for (int64_t c = 1; c < copies; ++c)
      copy_cache_row(static_cast<int64_t>(p) * copies, static_cast<int64_t>(p) * copies + c,
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
  if (n > w.cache_rows_n) fail(ErrorKind::Internal, "Gpt2Model::step: more rows than begin() planned");
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = rows[i];
    if (row < 0 || row >= w.cache_rows_n || w.row_length[row] >= w.cache_positions)
      fail(ErrorKind::Internal, "Gpt2Model::step: cache row " + std::to_string(row) + " is full or out of range");
    if (tokens[i] < 0 || tokens[i] >= config_.vocab_size)
      fail(ErrorKind::Internal, "Gpt2Model::step: token " + std::to_string(tokens[i]) + " out of range");
    w.ids[i] = tokens[i];
    w.positions[i] = w.row_length[row];
    w.cache_rows[i] = row;
  }
  run_rows(n);
  for (int64_t i = 0; i < n; ++i) {
    ++w.row_length[rows[i]];
    w.last_rows[i] = i;
  }
  lm_head(w.last_rows.data(), n, logits);
}

void Gpt2Model::stage_row(int64_t row, int64_t length, int64_t slot, bool to_staging) {
  Workspace& w = *ws_;
  const int64_t n = config_.n_embd;
  const int64_t layer_stride = w.cache_rows_n * w.cache_positions * n, row_stride = w.cache_positions * n;
  const size_t bytes = static_cast<size_t>(length * n) * sizeof(float);
  for (int64_t l = 0; l < config_.n_layer; ++l) {
    float* k = w.k_cache.data() + l * layer_stride + row * row_stride;
    float* v = w.v_cache.data() + l * layer_stride + row * row_stride;
    float* staged = w.staging.data() + ((slot * config_.n_layer + l) * 2) * row_stride;
    if (to_staging) {
      std::memcpy(staged, k, bytes);
      std::memcpy(staged + row_stride, v, bytes);
    } else {
      std::memcpy(k, staged, bytes);
      std::memcpy(v, staged + row_stride, bytes);
    }
  }
}

void Gpt2Model::copy_cache_row(int64_t from, int64_t to, int64_t length) {
  Workspace& w = *ws_;
  const int64_t n = config_.n_embd;
  const int64_t layer_stride = w.cache_rows_n * w.cache_positions * n, row_stride = w.cache_positions * n;
  const size_t bytes = static_cast<size_t>(length * n) * sizeof(float);
  for (int64_t l = 0; l < config_.n_layer; ++l) {
    std::memcpy(w.k_cache.data() + l * layer_stride + to * row_stride,
                w.k_cache.data() + l * layer_stride + from * row_stride, bytes);
    std::memcpy(w.v_cache.data() + l * layer_stride + to * row_stride,
                w.v_cache.data() + l * layer_stride + from * row_stride, bytes);
  }
  w.row_length[to] = length;
}

// Beams reorder within one prompt's rows, so at most `copies` pairs arrive per call; sources
// that another pair overwrites are staged first, the rest are copied directly.
void Gpt2Model::copy_rows(const int32_t* dst, const int32_t* src, int64_t n) {
  Workspace& w = *ws_;
  if (n > w.copies) fail(ErrorKind::Internal, "Gpt2Model::copy_rows: more pairs than copies per prompt");
  // Sized here, not in plan(): only beam search copies rows. It grows at most once per
  // workspace size (the first reorder of a larger call), never per token.
  ensure(w.staging, static_cast<size_t>(n * config_.n_layer * 2 * w.cache_positions * config_.n_embd));
  const auto overwritten = [&](int64_t row) {
    for (int64_t j = 0; j < n; ++j)
      if (dst[j] == row && dst[j] != src[j]) return true;
    return false;
  };
  for (int64_t i = 0; i < n; ++i) {
    if (dst[i] < 0 || dst[i] >= w.cache_rows_n || src[i] < 0 || src[i] >= w.cache_rows_n)
      fail(ErrorKind::Internal, "Gpt2Model::copy_rows: row out of range");
    w.staged_length[i] = w.row_length[src[i]];
    if (dst[i] != src[i] && overwritten(src[i])) stage_row(src[i], w.staged_length[i], i, true);
  }
  for (int64_t i = 0; i < n; ++i) {
    if (dst[i] == src[i]) continue;
    if (overwritten(src[i])) {
      stage_row(dst[i], w.staged_length[i], i, false);
      w.row_length[dst[i]] = w.staged_length[i];
    } else {
      copy_cache_row(src[i], dst[i], w.staged_length[i]);
    }
  }
}

}  // namespace packformer
