#include "models/fast_encoder.h"

#include <algorithm>
#include <cmath>

#include "backends/cpu/attention.h"
#include "models/embeddings.h"
#include "models/input_checks.h"
#include "ops/layer_norm.h"
#include "packformer/profiler.h"

namespace packformer {
namespace {

std::vector<float> concat(const FloatTensor& a, const FloatTensor& b, const FloatTensor& c) {
  std::vector<float> out;
  out.reserve(a.size() + b.size() + c.size());
  out.insert(out.end(), a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), c.begin(), c.end());
  return out;
}

double gemm_flops(int64_t rows, const PackedLinear& l) { return 2.0 * rows * l.in() * l.out(); }

}  // namespace

FastEncoder::FastEncoder(const EncoderModel& model) : model_(model) {
  const EncoderConfig& c = model.config;
  layers_.reserve(model.weights.layers.size());
  for (const EncoderLayerWeights& w : model.weights.layers) {
    // Q, K and V in one GEMM: their weights stacked as one [3 * hidden, hidden] matrix.
    layers_.push_back(Layer{
        PackedLinear(concat(w.query.weight, w.key.weight, w.value.weight), concat(w.query.bias, w.key.bias, w.value.bias),
                     c.hidden_size, 3 * c.hidden_size, Epilogue::Bias),
        PackedLinear(w.attention_output.weight, w.attention_output.bias, c.hidden_size, c.hidden_size,
                     Epilogue::BiasResidual),
        PackedLinear(w.intermediate.weight, w.intermediate.bias, c.hidden_size, c.intermediate_size,
                     Epilogue::BiasActivation, c.activation),
        PackedLinear(w.output.weight, w.output.bias, c.intermediate_size, c.hidden_size, Epilogue::BiasResidual),
        &w,
    });
    // The packed copies are what the fast path reads: the file's pages of these matrices leave
    // resident memory (the reference path reads them again from the file if it runs), so the
    // weights are held once.
    for (const LinearWeights* linear : {&w.query, &w.key, &w.value, &w.attention_output, &w.intermediate, &w.output})
      linear->weight.release_pages();
  }
}

FastEncoder::~FastEncoder() = default;

size_t FastWorkspace::bytes() const {
  return sizeof(float) * (x.size() + qkv.size() + context.size() + sum.size() + x1.size() + intermediate.size());
}

void FastEncoder::plan(int64_t rows, int64_t batch, FastWorkspace& ws) const {
  const EncoderConfig& c = model_.config;
  const size_t r = static_cast<size_t>(rows), h = static_cast<size_t>(c.hidden_size);
  ensure_size(ws.x, r * h);
  ensure_size(ws.qkv, r * 3 * h);
  ensure_size(ws.context, r * h);
  ensure_size(ws.sum, r * h);
  ensure_size(ws.x1, r * h);
  ensure_size(ws.intermediate, r * static_cast<size_t>(c.intermediate_size));
  ensure_size(ws.row_start, static_cast<size_t>(batch));
  ensure_size(ws.query_rows, static_cast<size_t>(batch));
  ensure_size(ws.key_rows, static_cast<size_t>(batch));
}

// Embedding sum and LayerNorm in one pass over each row.
void FastEncoder::embed(const EncoderInput& input, bool packed, int64_t max_len, FastWorkspace& ws) const {
  const EncoderConfig& c = model_.config;
  const int64_t h = c.hidden_size, batch = static_cast<int64_t>(input.ids.size());
  const auto& norm = model_.weights.embedding_norm;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    const auto& ids = input.ids[b];
    const int64_t len = static_cast<int64_t>(ids.size());
    for (int64_t t = 0; t < len; ++t) {
      float* row = ws.x.data() + (ws.row_start[b] + t) * h;
      const int32_t type = input.type_ids.empty() ? 0 : input.type_ids[b][t];
      embedding_sum(model_, ids[t], position_id(c, t), type, row);
      layer_norm_row(row, norm.gamma.data(), norm.beta.data(), row, h, c.layer_norm_eps);
    }
    if (!packed) std::fill(ws.x.data() + (ws.row_start[b] + len) * h, ws.x.data() + (b + 1) * max_len * h, 0.0f);
  }
}

void FastEncoder::run(const EncoderInput& input, bool packed, EncoderOutput& output, Profiler* profiler,
                      FastWorkspace& ws) const {
  const EncoderConfig& c = model_.config;
  const int64_t batch = static_cast<int64_t>(input.ids.size()), h = c.hidden_size;
  int64_t max_len = 0;
  for (const auto& ids : input.ids) max_len = std::max<int64_t>(max_len, static_cast<int64_t>(ids.size()));
  const int64_t total = output.offsets.back();
  const int64_t rows = packed ? total : batch * max_len;
  plan(rows, batch, ws);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = static_cast<int64_t>(input.ids[b].size());
    ws.row_start[b] = packed ? output.offsets[b] : b * max_len;
    ws.query_rows[b] = packed ? len : max_len;
    ws.key_rows[b] = len;
  }

  {
    ScopedOp op(profiler, "embeddings+layer_norm", 0.0);
    embed(input, packed, max_len, ws);
  }
  AttentionArgs attention;
  attention.qkv = ws.qkv.data();
  attention.qkv_stride = 3 * h;
  attention.out = ws.context.data();
  attention.out_stride = h;
  attention.heads = c.num_heads;
  attention.head_dim = c.head_size();
  attention.scale = 1.0f / std::sqrt(static_cast<float>(c.head_size()));
  attention.batch = batch;
  attention.row_start = ws.row_start.data();
  attention.query_rows = ws.query_rows.data();
  attention.key_rows = ws.key_rows.data();
  double attention_flops = 0.0;
  for (int64_t b = 0; b < batch; ++b) attention_flops += 4.0 * ws.query_rows[b] * ws.key_rows[b] * h;

  // Profiled FLOPs count real rows only: padded rows are waste, not useful work.
  const auto norm_rows = [&](const float* in, const LayerNormWeights& norm, float* out) {
    layer_norm(in, norm.gamma.data(), norm.beta.data(), out, rows, h, c.layer_norm_eps);
  };
  for (const Layer& layer : layers_) {
    {
      ScopedOp op(profiler, "gemm_qkv", gemm_flops(total, layer.qkv));
      layer.qkv.forward(ws.x.data(), rows, ws.qkv.data(), nullptr);
    }
    {
      ScopedOp op(profiler, "attention", attention_flops);
      attention_varlen(attention);
    }
    {
      ScopedOp op(profiler, "gemm_out+bias+residual", gemm_flops(total, layer.attention_output));
      layer.attention_output.forward(ws.context.data(), rows, ws.sum.data(), ws.x.data());
    }
    {
      ScopedOp op(profiler, "layer_norm", 0.0);
      norm_rows(ws.sum.data(), layer.weights->attention_norm, ws.x1.data());
    }
    {
      ScopedOp op(profiler, "gemm_ffn1+bias+activation", gemm_flops(total, layer.intermediate));
      layer.intermediate.forward(ws.x1.data(), rows, ws.intermediate.data(), nullptr);
    }
    {
      ScopedOp op(profiler, "gemm_ffn2+bias+residual", gemm_flops(total, layer.output));
      layer.output.forward(ws.intermediate.data(), rows, ws.sum.data(), ws.x1.data());
    }
    {
      ScopedOp op(profiler, "layer_norm", 0.0);
      norm_rows(ws.sum.data(), layer.weights->output_norm, ws.x.data());
    }
  }

  ScopedOp op(profiler, "copy_out", 0.0);
  output.hidden_states.resize(static_cast<size_t>(total * h));
  if (packed) {
    std::copy_n(ws.x.data(), total * h, output.hidden_states.data());
  } else {
    for (int64_t b = 0; b < batch; ++b)
      std::copy_n(ws.x.data() + ws.row_start[b] * h, ws.key_rows[b] * h,
                  output.hidden_states.data() + output.offsets[b] * h);
  }
}

}  // namespace packformer
