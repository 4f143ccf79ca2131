#include "models/fast_encoder.h"

#include <algorithm>

#include "core/parallel_build.h"
#include "models/input_checks.h"
#include "packformer/profiler.h"

namespace packformer {

FastEncoder::FastEncoder(const EncoderModel& model, Precision dtype)
    : model_(model),
      dtype_(dtype),
      buffers_(buffers(model.config)),
      embeddings_(model.weights.word_embeddings, model.weights.position_embeddings,
                  model.weights.token_type_embeddings,
                  LayerNorm(model.weights.embedding_norm.gamma, model.weights.embedding_norm.beta,
                            model.config.layer_norm_eps),
                  model.config.first_position()) {
  EncoderLayerSpec spec = model.config.layer_spec();
  spec.dtype = dtype;
  const auto& weights = model.weights.layers;
  layers_ = parallel_build<EncoderLayer>(static_cast<int64_t>(weights.size()),
                                         [&](int64_t i) { return EncoderLayer(spec, weights[static_cast<size_t>(i)]); });
  const EncoderConfig& c = model.config;
  if (c.relative_attention_buckets > 0)
    position_bias_.emplace(model.weights.relative_attention_bias, c.num_heads, c.relative_attention_buckets,
                           c.relative_attention_max_distance);
}

FastEncoder::~FastEncoder() = default;

std::array<RowBuffer, FastEncoder::kBufferCount> FastEncoder::buffers(const EncoderConfig& config) {
  const auto layer = EncoderLayer::buffers(config.layer_spec());
  std::array<RowBuffer, kBufferCount> out = {RowBuffer{"hidden_states", config.hidden_size}};
  std::copy(layer.begin(), layer.end(), out.begin() + 1);
  return out;
}

void FastEncoder::run(const EncoderInput& input, bool packed, EncoderOutput& output, Profiler* profiler,
                      FastWorkspace& ws) const {
  const int64_t batch = static_cast<int64_t>(input.ids.size()), h = model_.config.hidden_size;
  int64_t max_len = 0;
  for (const auto& ids : input.ids) max_len = std::max<int64_t>(max_len, static_cast<int64_t>(ids.size()));
  const int64_t total = output.offsets.back();

  BatchRows rows;
  rows.batch = batch;
  rows.rows = packed ? total : batch * max_len;
  rows.real_rows = total;
  ws.arena.plan(buffers_, rows.rows);
  for (size_t i = 1; i < buffers_.size(); ++i) ws.scratch[i - 1] = ws.arena.buffer(i);
  ensure_size(ws.row_start, static_cast<size_t>(batch));
  ensure_size(ws.query_rows, static_cast<size_t>(batch));
  ensure_size(ws.key_rows, static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = static_cast<int64_t>(input.ids[b].size());
    ws.row_start[b] = packed ? output.offsets[b] : b * max_len;
    ws.query_rows[b] = packed ? len : max_len;
    ws.key_rows[b] = len;
  }
  rows.row_start = ws.row_start.data();
  rows.query_rows = ws.query_rows.data();
  rows.key_rows = ws.key_rows.data();

  float* x = ws.arena.buffer(0);
  {
    ScopedOp op(profiler, "embeddings+layer_norm", 0.0);
    embeddings_.forward(input, rows, x);
  }
  PositionBias bias;
  if (position_bias_) {
    ScopedOp op(profiler, "relative_position_bias", 0.0);
    ensure_size(ws.position_bias, static_cast<size_t>(position_bias_->floats(max_len)));
    bias = position_bias_->fill(max_len, ws.position_bias.data());
  }
  for (const EncoderLayer& layer : layers_) layer.forward(x, rows, ws.scratch.data(), profiler, bias);

  ScopedOp op(profiler, "copy_out", 0.0);
  output.hidden_states.resize(static_cast<size_t>(total * h));
  if (packed) {
    std::copy_n(x, total * h, output.hidden_states.data());
  } else {
    for (int64_t b = 0; b < batch; ++b)
      std::copy_n(x + ws.row_start[b] * h, ws.key_rows[b] * h, output.hidden_states.data() + output.offsets[b] * h);
  }
}

}  // namespace packformer
