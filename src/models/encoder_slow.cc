// The slow path: exactly what eager PyTorch does, op by op, on a padded batch with an
// additive attention mask. Kept simple on purpose; every other path is tested against it, so
// it shares no code with them beyond the GEMM library (oneDNN): its embeddings and LayerNorm
// are its own, written plainly.
#include <algorithm>
#include <cmath>
#include <limits>

#include "models/encoder_forward.h"
#include "ops/activation.h"
#include "ops/gemm.h"
#include "ops/softmax.h"

namespace packformer {
namespace {

using Buffer = std::vector<float>;

void linear(const LinearWeights& l, const Buffer& x, Buffer& y, int64_t rows) {
  y.resize(static_cast<size_t>(rows * l.out));
  linear_forward(x.data(), l.weight.data(), l.bias.data(), y.data(), rows, l.out, l.in);
}

void add_inplace(Buffer& y, const Buffer& x) {
  for (size_t i = 0; i < y.size(); ++i) y[i] += x[i];
}

// LayerNorm of each row, statistics in double: y = (x - mean) / sqrt(var + eps) * gamma + beta.
// y may be x.
void layer_norm_rows(const Buffer& x, const LayerNormWeights& norm, float eps, Buffer& y, int64_t rows, int64_t n) {
  y.resize(x.size());
  // Rows in parallel: the slow path is the tutorial benchmark's baseline, kept as fast as
  // plain code allows.
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * n;
    float* out = y.data() + r * n;
    double mean = 0.0, variance = 0.0;
    for (int64_t i = 0; i < n; ++i) mean += in[i];
    mean /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) variance += (in[i] - mean) * (in[i] - mean);
    variance /= static_cast<double>(n);
    const double inverse = 1.0 / std::sqrt(variance + eps);
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>((in[i] - mean) * inverse * norm.gamma[i] + norm.beta[i]);
  }
}

// Position of token t: BERT counts from 0; RoBERTa-style models from pad_token_id + 1, and
// give padding the pad position (transformers' create_position_ids_from_input_ids).
int64_t position_of(const EncoderConfig& c, int64_t t, bool real) {
  if (!c.positions_after_padding) return t;
  return real ? c.pad_token_id + 1 + t : c.pad_token_id;
}

// transformers' MPNetEncoder.relative_position_bucket, written out on its own (the fast path
// has its own copy in layers/relative_position_bias.cc, so one cannot hide the other's error).
int64_t bucket_of(int64_t relative_position, int64_t num_buckets, int64_t max_distance) {
  int64_t bucket = 0;
  int64_t n = -relative_position;
  num_buckets /= 2;
  if (n < 0) bucket += num_buckets;
  n = n < 0 ? -n : n;
  const int64_t max_exact = num_buckets / 2;
  if (n < max_exact) return bucket + n;
  const int64_t large = max_exact + static_cast<int64_t>(std::log(static_cast<double>(n) / max_exact) /
                                                         std::log(static_cast<double>(max_distance) / max_exact) *
                                                         (num_buckets - max_exact));
  return bucket + std::min(large, num_buckets - 1);
}

// MPNetEncoder.compute_position_bias: [heads, T, T], bias[h][i][j] = table[bucket(j - i)][h],
// the same for every sequence of the batch. Empty for models without one.
Buffer relative_position_bias(const EncoderConfig& c, const EncoderWeights& w, int64_t max_len) {
  if (c.relative_attention_buckets == 0) return {};
  const int64_t heads = c.num_heads;
  Buffer bias(static_cast<size_t>(heads * max_len * max_len));
  for (int64_t i = 0; i < max_len; ++i)
    for (int64_t j = 0; j < max_len; ++j) {
      const int64_t bucket = bucket_of(j - i, c.relative_attention_buckets, c.relative_attention_max_distance);
      for (int64_t head = 0; head < heads; ++head)
        bias[(head * max_len + i) * max_len + j] = w.relative_attention_bias[bucket * heads + head];
    }
  return bias;
}

}  // namespace

void run_slow_path(const EncoderModel& model, const EncoderInput& input, EncoderOutput& output) {
  const EncoderConfig& c = model.config;
  const int64_t batch = static_cast<int64_t>(input.ids.size());
  int64_t max_len = 0;
  for (const auto& seq : input.ids) max_len = std::max<int64_t>(max_len, static_cast<int64_t>(seq.size()));
  const int64_t h = c.hidden_size, heads = c.num_heads, d = c.head_size(), rows = batch * max_len;

  // Embeddings of the padded batch: padding positions hold the pad token, as in transformers.
  const EncoderWeights& w = model.weights;
  Buffer x(static_cast<size_t>(rows * h));
  for (int64_t b = 0; b < batch; ++b) {
    const auto& ids = input.ids[b];
    const int64_t len = static_cast<int64_t>(ids.size());
    for (int64_t t = 0; t < max_len; ++t) {
      const bool real = t < len;
      const int64_t id = real ? ids[t] : c.pad_token_id;
      const int64_t type = real && !input.type_ids.empty() ? input.type_ids[b][t] : 0;
      const int64_t pos = position_of(c, t, real);
      for (int64_t i = 0; i < h; ++i) {
        float sum = w.word_embeddings[id * h + i] + w.position_embeddings[pos * h + i];
        if (!w.token_type_embeddings.empty()) sum += w.token_type_embeddings[type * h + i];
        x[(b * max_len + t) * h + i] = sum;
      }
    }
  }
  layer_norm_rows(x, w.embedding_norm, c.layer_norm_eps, x, rows, h);

  // Additive key mask: 0 for real tokens, the lowest float for padding (as transformers does).
  Buffer mask(static_cast<size_t>(batch * max_len), 0.0f);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = static_cast<int64_t>(input.ids[b].size()); t < max_len; ++t)
      mask[b * max_len + t] = std::numeric_limits<float>::lowest();

  const Buffer position_bias = relative_position_bias(c, w, max_len);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  Buffer q, k, v, context(static_cast<size_t>(rows * h)), scores(static_cast<size_t>(batch * heads * max_len * max_len));
  Buffer attention, attention_norm, intermediate, ffn;
  for (const EncoderLayerWeights& layer : model.weights.layers) {
    linear(layer.query, x, q, rows);
    linear(layer.key, x, k, rows);
    linear(layer.value, x, v, rows);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t head = 0; head < heads; ++head) {
        float* s = scores.data() + (b * heads + head) * max_len * max_len;
        const int64_t offset = b * max_len * h + head * d;
        sgemm(true, max_len, max_len, d, scale, q.data() + offset, h, k.data() + offset, h, 0.0f, s, max_len);
        if (!position_bias.empty())  // added to the scaled scores, before the mask (as transformers)
          for (int64_t i = 0; i < max_len * max_len; ++i) s[i] += position_bias[head * max_len * max_len + i];
        for (int64_t i = 0; i < max_len; ++i)
          for (int64_t j = 0; j < max_len; ++j) s[i * max_len + j] += mask[b * max_len + j];
      }
    }
    softmax_rows(scores.data(), batch * heads * max_len, max_len);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t head = 0; head < heads; ++head) {
        const float* p = scores.data() + (b * heads + head) * max_len * max_len;
        const int64_t offset = b * max_len * h + head * d;
        sgemm(false, max_len, d, max_len, 1.0f, p, max_len, v.data() + offset, h, 0.0f, context.data() + offset, h);
      }
    }
    linear(layer.attention_output, context, attention, rows);
    add_inplace(attention, x);
    layer_norm_rows(attention, layer.attention_norm, c.layer_norm_eps, attention_norm, rows, h);
    linear(layer.intermediate, attention_norm, intermediate, rows);
    activate_inplace(c.activation, intermediate.data(), intermediate.size());
    linear(layer.output, intermediate, ffn, rows);
    add_inplace(ffn, attention_norm);
    layer_norm_rows(ffn, layer.output_norm, c.layer_norm_eps, x, rows, h);
  }

  // Keep the real tokens only.
  output.hidden_states.resize(static_cast<size_t>(output.offsets.back() * h));
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = static_cast<int64_t>(input.ids[b].size());
    std::copy_n(x.data() + b * max_len * h, len * h, output.hidden_states.data() + output.offsets[b] * h);
  }
}

}  // namespace packformer
