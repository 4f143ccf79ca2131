// The Llama-style blocks over token rows and the LM head; DecoderOnlyModel lays out the rows
// (packed prefill, one token per live row in a step) and owns the KV cache, which holds
// key/value heads only (grouped-query attention).
#include <algorithm>
#include <cmath>

#include "backends/cpu/decoder_attention.h"
#include "models/llama.h"
#include "models/llama_internal.h"

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

// The arena's row buffers.
uint64_t LlamaModel::activation_bytes_per_row() const {
  return static_cast<uint64_t>(floats_per_row(llama_row_buffers(config_))) * sizeof(float);
}

void LlamaModel::plan_activations(int64_t token_rows) {
  Workspace& w = *ws_;
  const auto buffers = llama_row_buffers(config_);
  w.arena.plan(buffers, token_rows);
  for (size_t i = 0; i < buffers.size(); ++i) w.buffer[i] = w.arena.buffer(i);
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
    weights_->rotary.apply(q, c.num_heads, rows_.positions[i]);
    weights_->rotary.apply(k, c.num_kv_heads, rows_.positions[i]);
    cache_.write(l, rows_.cache_rows[i], rows_.positions[i], k, k + c.kv_width());
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
    const float* token = weights_->embed_tokens.data() + static_cast<int64_t>(rows_.ids[i]) * n;
    std::copy(token, token + n, x + i * n);
  }
  CachedAttentionArgs attention;
  attention.q = w.buffer[kQkv];
  attention.q_stride = c.q_width() + 2 * c.kv_width();
  attention.out = w.buffer[kContext];
  attention.out_stride = c.q_width();
  attention.cache_row_stride = cache_.row_stride();
  attention.heads = c.num_heads;
  attention.kv_heads = c.num_kv_heads;
  attention.head_dim = c.head_dim;
  attention.scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  attention.queries = rows;
  attention.cache_row = rows_.cache_rows.data();
  attention.key_count = rows_.key_counts.data();
  float* const ffn_scratch[] = {w.buffer[kFfnGateUp], w.buffer[kFfnInner]};

  for (int64_t l = 0; l < c.num_layers; ++l) {
    const Layer& layer = weights_->layers[static_cast<size_t>(l)];
    layer.input_norm.forward(x, w.buffer[kNormed], rows);
    project_qkv(layer, l, rows);
    attention.k_cache = cache_.keys(l);
    attention.v_cache = cache_.values(l);
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

}  // namespace packformer
