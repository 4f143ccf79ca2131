// GPT-2's blocks over token rows and its LM head; DecoderOnlyModel lays out the rows (packed
// prefill, one token per live row in a step) and owns the KV cache.
#include <cmath>

#include "backends/cpu/decoder_attention.h"
#include "models/gpt2.h"
#include "models/gpt2_internal.h"
#include "models/input_checks.h"

namespace packformer {

// x, normed, context, x_mid, last and qkv (3x) [rows, n_embd], inner [rows, n_inner].
uint64_t Gpt2Model::activation_bytes_per_row() const {
  return static_cast<uint64_t>(8 * config_.n_embd + config_.n_inner) * sizeof(float);
}

void Gpt2Model::plan_activations(int64_t token_rows) {
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
}

void Gpt2Model::run_rows(int64_t rows) {
  const Gpt2Config& c = config_;
  Workspace& w = *ws_;
  const int64_t n = c.n_embd;
  for (int64_t i = 0; i < rows; ++i) {
    const float* token = weights_->wte.data() + static_cast<int64_t>(rows_.ids[i]) * n;
    const float* position = weights_->wpe.data() + rows_.positions[i] * n;
    float* x = w.x.data() + i * n;
    for (int64_t d = 0; d < n; ++d) x[d] = token[d] + position[d];
  }
  CachedAttentionArgs attention;
  attention.q = w.qkv.data();
  attention.q_stride = 3 * n;
  attention.out = w.context.data();
  attention.out_stride = n;
  attention.cache_row_stride = cache_.row_stride();
  attention.heads = c.n_head;
  attention.head_dim = c.head_dim();
  attention.queries = rows;
  attention.cache_row = rows_.cache_rows.data();
  attention.key_count = rows_.key_counts.data();
  const float base_scale = c.scale_attn_weights ? 1.0f / std::sqrt(static_cast<float>(c.head_dim())) : 1.0f;

  for (int64_t l = 0; l < c.n_layer; ++l) {
    const Layer& layer = weights_->layers[static_cast<size_t>(l)];
    layer.ln_1.forward(w.x.data(), w.normed.data(), rows);
    layer.c_attn.forward(w.normed.data(), rows, w.qkv.data(), nullptr);
    for (int64_t i = 0; i < rows; ++i)
      cache_.write(l, rows_.cache_rows[i], rows_.positions[i], w.qkv.data() + i * 3 * n + n,
                   w.qkv.data() + i * 3 * n + 2 * n);
    attention.k_cache = cache_.keys(l);
    attention.v_cache = cache_.values(l);
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

}  // namespace packformer
