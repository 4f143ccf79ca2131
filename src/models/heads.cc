// Heads on top of the encoder: the pooler, the sequence-classification heads and
// sentence-transformers pooling. They read the packed hidden states, so every path shares them.
#include <algorithm>
#include <cmath>

#include "models/encoder_forward.h"
#include "ops/activation.h"
#include "ops/gemm.h"

namespace packformer {
namespace {

// Row 0 ([CLS] / <s>) of each sequence, as a [B, H] matrix.
std::vector<float> first_tokens(const EncoderOutput& output) {
  const int64_t h = output.hidden_size, batch = output.batch_size();
  std::vector<float> cls(static_cast<size_t>(batch * h));
  for (int64_t b = 0; b < batch; ++b)
    std::copy_n(output.hidden_states.data() + output.offsets[b] * h, h, cls.data() + b * h);
  return cls;
}

std::vector<float> dense(const LinearWeights& l, const std::vector<float>& x, int64_t rows) {
  std::vector<float> y(static_cast<size_t>(rows * l.out));
  linear_forward(x.data(), l.weight.data(), l.bias.data(), y.data(), rows, l.out, l.in);
  return y;
}

std::vector<float> dense(const LinearWeights& l, const std::vector<float>& x, int64_t rows, Activation after) {
  std::vector<float> y = dense(l, x, rows);
  for (float& value : y) value = activate(after, value);
  return y;
}

std::vector<float> sentence_pool(const EncoderModel& model, const EncoderOutput& output) {
  const SentencePooling& pooling = model.config.sentence;
  const int64_t h = output.hidden_size, batch = output.batch_size();
  std::vector<float> out(static_cast<size_t>(batch * h), 0.0f);
  for (int64_t b = 0; b < batch; ++b) {
    const float* rows = output.hidden_states.data() + output.offsets[b] * h;
    const int64_t len = output.offsets[b + 1] - output.offsets[b];
    float* e = out.data() + b * h;
    switch (pooling.mode) {
      case PoolingMode::Cls: std::copy_n(rows, h, e); break;
      case PoolingMode::Max:
        std::copy_n(rows, h, e);
        for (int64_t t = 1; t < len; ++t)
          for (int64_t i = 0; i < h; ++i) e[i] = std::max(e[i], rows[t * h + i]);
        break;
      case PoolingMode::Mean:
      case PoolingMode::MeanSqrtLen: {
        for (int64_t t = 0; t < len; ++t)
          for (int64_t i = 0; i < h; ++i) e[i] += rows[t * h + i];
        const float divisor = pooling.mode == PoolingMode::Mean ? static_cast<float>(len)
                                                                 : std::sqrt(static_cast<float>(len));
        for (int64_t i = 0; i < h; ++i) e[i] /= divisor;
        break;
      }
    }
    if (pooling.normalize) {
      // torch.nn.functional.normalize: x / max(||x||, 1e-12)
      float norm = 0.0f;
      for (int64_t i = 0; i < h; ++i) norm += e[i] * e[i];
      const float inv = 1.0f / std::max(std::sqrt(norm), 1e-12f);
      for (int64_t i = 0; i < h; ++i) e[i] *= inv;
    }
  }
  return out;
}

}  // namespace

void apply_heads(const EncoderModel& model, unsigned outputs, EncoderOutput& output) {
  const EncoderWeights& w = model.weights;
  const int64_t batch = output.batch_size();
  const bool want_pooler = (outputs & kPoolerOutput) && w.has_pooler;
  const bool want_logits = (outputs & kLogits) && model.config.classifier != ClassifierHead::None;
  if (want_pooler || want_logits) {
    const std::vector<float> cls = first_tokens(output);
    const ClassifierHead head = model.config.classifier;
    if (head == ClassifierHead::DenseTanhOut || head == ClassifierHead::DenseReluOut) {
      if (want_pooler) output.pooler_output = dense(w.pooler, cls, batch, Activation::Tanh);
      const Activation between = head == ClassifierHead::DenseTanhOut ? Activation::Tanh : Activation::Relu;
      if (want_logits) output.logits = dense(w.classifier, dense(w.classifier_dense, cls, batch, between), batch);
    } else {
      std::vector<float> pooled = dense(w.pooler, cls, batch, Activation::Tanh);
      if (want_logits) output.logits = dense(w.classifier, pooled, batch);
      if (want_pooler) output.pooler_output = std::move(pooled);
    }
  }
  if (outputs & kSentenceEmbedding) output.sentence_embeddings = sentence_pool(model, output);
}

}  // namespace packformer
