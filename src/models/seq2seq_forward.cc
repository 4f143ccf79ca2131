// Marian / BART forward pass. The encoder runs every source token of the call once, packed
// (variable-length attention, no padding computed); each decoder layer's cross-attention keys
// and values are then projected once per source token and read by all of that source's rows.
// The decoder runs token rows over its self-attention cache (causal) and the encoder keys.
#include <algorithm>
#include <cmath>
#include <string>

#include "backends/cpu/decoder_attention.h"
#include "core/memory_limit.h"
#include "models/input_checks.h"
#include "models/seq2seq.h"
#include "models/seq2seq_internal.h"
#include "packformer/error.h"

namespace packformer {
namespace {

// The encoder's per-token buffers: the hidden states, then one encoder layer's scratch.
constexpr size_t kEncoderBufferCount = 1 + EncoderLayer::kBufferCount;
std::array<RowBuffer, kEncoderBufferCount> encoder_buffers(const Seq2SeqConfig& c) {
  const auto layer = EncoderLayer::buffers(c.encoder_layer_spec());
  std::array<RowBuffer, kEncoderBufferCount> out = {RowBuffer{"encoder_hidden_states", c.d_model}};
  std::copy(layer.begin(), layer.end(), out.begin() + 1);
  return out;
}

}  // namespace

// out = token embedding * embed_scale + position embedding (then BART's layernorm_embedding,
// applied by the caller).
void Seq2SeqModel::embed(const float* table, int32_t id, int64_t position, const float* positions, float* out) const {
  const int64_t n = config_.d_model;
  const float* token = table + static_cast<int64_t>(id) * n;
  const float* pos = positions + (position + config_.position_offset) * n;
  for (int64_t d = 0; d < n; ++d) out[d] = token[d] * config_.embed_scale + pos[d];
}

void Seq2SeqModel::start(const std::vector<std::vector<int32_t>>& sources, int64_t copies, int64_t positions,
                         int64_t token_rows, int64_t max_new_tokens) {
  if (sources.empty()) fail(ErrorKind::InvalidInput, "no sources to translate");
  if (copies < 1 || max_new_tokens < 1) fail(ErrorKind::Internal, "Seq2SeqModel: copies and max_new_tokens must be >= 1");
  const Seq2SeqConfig& c = config_;
  Workspace& w = *ws_;
  const size_t count = sources.size(), n = static_cast<size_t>(c.d_model);
  ensure_size(w.src_start, count);
  ensure_size(w.src_len, count);
  ensure_size(w.query_rows, count);
  int64_t total = 0;
  for (size_t s = 0; s < count; ++s) {
    check_prompt(sources[s], max_new_tokens, s);
    w.src_start[s] = total;
    w.src_len[s] = static_cast<int64_t>(sources[s].size());
    total += w.src_len[s];
  }
  const size_t t = static_cast<size_t>(total);
  ensure_size(w.eids, t);
  const auto buffers = encoder_buffers(c);
  w.encoder_rows.plan(buffers, total);
  for (size_t i = 1; i < buffers.size(); ++i) w.encoder_scratch[i - 1] = w.encoder_rows.buffer(i);
  ensure_size(w.cross_kv, static_cast<size_t>(c.decoder_layers) * t * 2 * n);
  for (size_t s = 0; s < count; ++s) std::copy(sources[s].begin(), sources[s].end(), w.eids.begin() + w.src_start[s]);
  w.source_count = static_cast<int64_t>(count);
  w.source_tokens = total;

  const size_t r = static_cast<size_t>(token_rows);
  ensure_size(w.x, r * n);
  ensure_size(w.x_mid, r * n);
  ensure_size(w.qkv, r * 3 * n);
  ensure_size(w.q, r * n);
  ensure_size(w.ctx, r * n);
  ensure_size(w.inner, r * static_cast<size_t>(c.decoder_ffn));
  ensure_size(w.ids, r);
  ensure_size(w.positions, r);
  ensure_size(w.cache_rows, r);
  ensure_size(w.key_counts, r);
  ensure_size(w.cross_rows, r);
  ensure_size(w.cross_counts, r);
  w.cache.plan(c.decoder_layers, static_cast<int64_t>(count) * copies, positions, c.d_model);
  w.copies = copies;
  run_encoder(total);
}

uint64_t Seq2SeqModel::planned_bytes(const std::vector<std::vector<int32_t>>& sources, int64_t copies,
                                     int64_t max_new_tokens) const {
  const Seq2SeqConfig& c = config_;
  uint64_t total = 0;
  for (const auto& source : sources) total += source.size();
  const uint64_t count = sources.size(), rows = saturating_mul(count, static_cast<uint64_t>(copies));
  const uint64_t n = static_cast<uint64_t>(c.d_model);
  // start(): per source token the encoder's declared buffers (encoder_buffers), eids (int32)
  // and the cross-attention keys | values of every decoder layer; per source 3 int64s; per
  // decoder row x, x_mid, q, ctx and qkv (3x) [d_model], inner [decoder_ffn], ids (int32) and
  // 5 int64s.
  const uint64_t source_token_bytes =
      static_cast<uint64_t>(floats_per_row(encoder_buffers(c))) * sizeof(float) + sizeof(int32_t) +
      static_cast<uint64_t>(c.decoder_layers) * 2 * n * sizeof(float);
  const uint64_t decoder_row_bytes =
      (7 * n + static_cast<uint64_t>(c.decoder_ffn)) * sizeof(float) + sizeof(int32_t) + 5 * sizeof(int64_t);
  uint64_t bytes = saturating_add(saturating_mul(total, source_token_bytes), saturating_mul(count, 3 * sizeof(int64_t)));
  bytes = saturating_add(bytes, saturating_mul(std::max(count, rows), decoder_row_bytes));
  return saturating_add(bytes, KvCache::planned_bytes(c.decoder_layers, static_cast<int64_t>(rows), max_new_tokens,
                                                      c.d_model, copies));
}

void Seq2SeqModel::run_encoder(int64_t total) {
  const Seq2SeqConfig& c = config_;
  const Weights& m = *weights_;
  Workspace& w = *ws_;
  const int64_t n = c.d_model, count = w.source_count;
  float* x = w.encoder_rows.buffer(0);
  for (int64_t s = 0; s < count; ++s)
    for (int64_t t = 0; t < w.src_len[s]; ++t) {
      const int64_t row = w.src_start[s] + t;
      embed(m.encoder_tokens.data(), w.eids[row], t, m.encoder_positions.data(), x + row * n);
    }
  if (c.layernorm_embedding) m.encoder_embedding_norm.forward(x, x, total);

  BatchRows rows;
  rows.batch = count;
  rows.rows = rows.real_rows = total;
  rows.row_start = w.src_start.data();
  rows.query_rows = w.src_len.data();
  rows.key_rows = w.src_len.data();
  for (const EncoderLayer& layer : m.encoder) layer.forward(x, rows, w.encoder_scratch.data(), nullptr);
  // Cross-attention keys and values: once per source token, whatever the number of beams.
  for (int64_t l = 0; l < c.decoder_layers; ++l)
    m.decoder[static_cast<size_t>(l)].cross_kv.forward(x, total, w.cross_kv.data() + l * total * 2 * n,
                                                       nullptr);
}

void Seq2SeqModel::run_decoder(int64_t rows) {
  const Seq2SeqConfig& c = config_;
  const Weights& m = *weights_;
  Workspace& w = *ws_;
  const int64_t n = c.d_model;
  for (int64_t i = 0; i < rows; ++i) {
    embed(m.decoder_token_table(), w.ids[i], w.positions[i], m.decoder_position_table(), w.x.data() + i * n);
    w.key_counts[i] = w.positions[i] + 1;  // causal: a token sees itself and what precedes it
    const int64_t source = w.cache_rows[i] / w.copies;
    w.cross_rows[i] = w.src_start[source];
    w.cross_counts[i] = w.src_len[source];
  }
  if (c.layernorm_embedding) m.decoder_embedding_norm.forward(w.x.data(), w.x.data(), rows);

  const int64_t head_dim = n / c.decoder_heads;
  CachedAttentionArgs self;
  self.q = w.qkv.data();
  self.q_stride = 3 * n;
  self.out = w.ctx.data();
  self.out_stride = n;
  self.cache_row_stride = w.cache.row_stride();
  self.heads = c.decoder_heads;
  self.head_dim = head_dim;
  self.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  self.queries = rows;
  self.cache_row = w.cache_rows.data();
  self.key_count = w.key_counts.data();
  // Cross-attention reads the packed encoder keys | values: a source token is one "position"
  // of 2n floats, and each query starts at its source's first token.
  CachedAttentionArgs cross = self;
  cross.q = w.q.data();
  cross.q_stride = n;
  cross.cache_row_stride = 2 * n;
  cross.key_stride = 2 * n;
  cross.cache_row = w.cross_rows.data();
  cross.key_count = w.cross_counts.data();

  for (int64_t l = 0; l < c.decoder_layers; ++l) {
    const DecoderLayer& layer = m.decoder[static_cast<size_t>(l)];
    layer.self_qkv.forward(w.x.data(), rows, w.qkv.data(), nullptr);
    for (int64_t i = 0; i < rows; ++i)
      w.cache.write(l, w.cache_rows[i], w.positions[i], w.qkv.data() + i * 3 * n + n, w.qkv.data() + i * 3 * n + 2 * n);
    self.k_cache = w.cache.keys(l);
    self.v_cache = w.cache.values(l);
    cached_attention(self);
    layer.self_out.forward(w.ctx.data(), rows, w.x_mid.data(), w.x.data());
    layer.self_norm.forward(w.x_mid.data(), w.x.data(), rows);

    layer.cross_q.forward(w.x.data(), rows, w.q.data(), nullptr);
    const float* kv = w.cross_kv.data() + l * w.source_tokens * 2 * n;
    cross.k_cache = kv;
    cross.v_cache = kv + n;
    cached_attention(cross);
    layer.cross_out.forward(w.ctx.data(), rows, w.x_mid.data(), w.x.data());
    layer.cross_norm.forward(w.x_mid.data(), w.x.data(), rows);

    layer.fc1.forward(w.x.data(), rows, w.inner.data(), nullptr);
    layer.fc2.forward(w.inner.data(), rows, w.x_mid.data(), w.x.data());
    layer.final_norm.forward(w.x_mid.data(), w.x.data(), rows);
  }
}

void Seq2SeqModel::logits(int64_t rows, float* out) { weights_->lm_head->forward(ws_->x.data(), rows, out, nullptr); }

void Seq2SeqModel::begin(const std::vector<std::vector<int32_t>>& sources, int64_t copies, int64_t max_new_tokens,
                         float* out) {
  const int64_t count = static_cast<int64_t>(sources.size()), rows = count * copies;
  // The decoder holds the start token and all new tokens but the last.
  start(sources, copies, max_new_tokens, std::max(count, rows), max_new_tokens);
  Workspace& w = *ws_;
  for (int64_t s = 0; s < count; ++s) {
    w.ids[s] = config_.decoder_start_token_id;
    w.positions[s] = 0;
    w.cache_rows[s] = s * copies;
  }
  run_decoder(count);
  for (int64_t s = 0; s < count; ++s) {
    w.cache.set_length(s * copies, 1);
    for (int64_t k = 1; k < copies; ++k) w.cache.copy_row(s * copies, s * copies + k, 1);
  }
  logits(count, out);
}

void Seq2SeqModel::step(const int32_t* rows, const int32_t* tokens, int64_t n, float* out) {
  Workspace& w = *ws_;
  if (n > w.cache.rows()) fail(ErrorKind::Internal, "Seq2SeqModel::step: more rows than begin() planned");
  for (int64_t i = 0; i < n; ++i) {
    const int64_t row = rows[i];
    if (row < 0 || row >= w.cache.rows() || w.cache.length(row) >= w.cache.positions())
      fail(ErrorKind::Internal, "Seq2SeqModel::step: cache row " + std::to_string(row) + " is full or out of range");
    if (tokens[i] < 0 || tokens[i] >= config_.decoder_vocab_size)
      fail(ErrorKind::Internal, "Seq2SeqModel::step: token " + std::to_string(tokens[i]) + " out of range");
    w.ids[i] = tokens[i];
    w.positions[i] = w.cache.length(row);
    w.cache_rows[i] = row;
  }
  run_decoder(n);
  for (int64_t i = 0; i < n; ++i) w.cache.set_length(rows[i], w.cache.length(rows[i]) + 1);
  logits(n, out);
}

// Beams reorder within one source's rows, so at most `copies` pairs arrive per call.
void Seq2SeqModel::copy_rows(const int32_t* dst, const int32_t* src, int64_t n) {
  if (n > ws_->copies) fail(ErrorKind::Internal, "Seq2SeqModel::copy_rows: more pairs than copies per source");
  ws_->cache.copy_rows(dst, src, n);
}

std::vector<float> Seq2SeqModel::encode(const std::vector<std::vector<int32_t>>& sources) {
  start(sources, 1, 1, static_cast<int64_t>(sources.size()), 1);
  Workspace& w = *ws_;
  const float* x = w.encoder_rows.buffer(0);
  return std::vector<float>(x, x + w.source_tokens * config_.d_model);
}

std::vector<float> Seq2SeqModel::forward(const std::vector<std::vector<int32_t>>& sources,
                                         const std::vector<std::vector<int32_t>>& decoder_ids) {
  if (decoder_ids.size() != sources.size())
    fail(ErrorKind::InvalidInput, "forward: one decoder sequence per source is needed");
  int64_t total = 0, longest = 1;
  for (size_t s = 0; s < decoder_ids.size(); ++s) {
    if (decoder_ids[s].empty() || static_cast<int64_t>(decoder_ids[s].size()) > config_.max_positions)
      fail(ErrorKind::InvalidInput, "forward: decoder sequence " + std::to_string(s) + " must have 1 to " +
                                        std::to_string(config_.max_positions) + " tokens");
    for (int32_t id : decoder_ids[s])
      if (id < 0 || id >= config_.decoder_vocab_size)
        fail(ErrorKind::InvalidInput, "forward: decoder token id " + std::to_string(id) + " is outside the vocabulary");
    total += static_cast<int64_t>(decoder_ids[s].size());
    longest = std::max<int64_t>(longest, static_cast<int64_t>(decoder_ids[s].size()));
  }
  start(sources, 1, longest, total, 1);
  Workspace& w = *ws_;
  int64_t i = 0;
  for (size_t s = 0; s < decoder_ids.size(); ++s)
    for (size_t t = 0; t < decoder_ids[s].size(); ++t, ++i) {
      w.ids[i] = decoder_ids[s][t];
      w.positions[i] = static_cast<int64_t>(t);
      w.cache_rows[i] = static_cast<int64_t>(s);
    }
  run_decoder(total);
  std::vector<float> out(static_cast<size_t>(total * config_.decoder_vocab_size));
  logits(total, out.data());
  return out;
}

}  // namespace packformer
