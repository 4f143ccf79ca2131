// What every encoder architecture file (bert.cc, distilbert.cc, ...) uses to fill an
// EncoderModel: the bounds on config.json's sizes and the weight-scope loaders.
#pragma once

#include <cstdint>
#include <string>

#include "loader/json_file.h"
#include "loader/weight_store.h"
#include "models/encoder_model.h"
#include "ops/activation.h"

namespace packformer::encoder_loading {

constexpr int64_t kMaxDim = 1 << 16;    // hidden / intermediate sizes, heads
constexpr int64_t kMaxVocab = 1 << 22;  // 4M tokens
constexpr int64_t kMaxPositions = 1 << 16;
constexpr int64_t kMaxLayers = 256;

// The sizes BERT's config.json names, which MPNet's repeats: vocab_size, hidden_size,
// num_hidden_layers, num_attention_heads, intermediate_size, max_position_embeddings,
// layer_norm_eps (1e-12) and hidden_act (gelu); hidden_size must split into the heads.
inline void read_bert_style_sizes(const JsonFile& json, EncoderConfig& c) {
  c.vocab_size = json.get_int("vocab_size", 1, kMaxVocab);
  c.hidden_size = json.get_int("hidden_size", 1, kMaxDim);
  c.num_layers = json.get_int("num_hidden_layers", 1, kMaxLayers);
  c.num_heads = json.get_int("num_attention_heads", 1, kMaxDim);
  c.intermediate_size = json.get_int("intermediate_size", 1, 4 * kMaxDim);
  c.max_position_embeddings = json.get_int("max_position_embeddings", 1, kMaxPositions);
  c.layer_norm_eps = static_cast<float>(json.get_number("layer_norm_eps", 1e-12));
  if (!(c.layer_norm_eps > 0.0f) || c.layer_norm_eps > 1.0f)
    json.invalid("layer_norm_eps", "expected a small positive number");
  c.activation = activation_from_name(json.get_string("hidden_act", "gelu"), json.path().string() + ": field 'hidden_act'");
  if (c.hidden_size % c.num_heads != 0)
    json.invalid("hidden_size", "must be a multiple of num_attention_heads (" + std::to_string(c.num_heads) + ")");
}

// NAME.weight [out, in] and NAME.bias [out].
inline LinearWeights linear(const WeightStore& store, const std::string& name, int64_t in, int64_t out) {
  LinearWeights l;
  l.in = in;
  l.out = out;
  l.weight = store.tensor(name + ".weight", {out, in});
  l.bias = store.tensor(name + ".bias", {out});
  return l;
}

// NAME.weight and NAME.bias, [size] each.
inline LayerNormWeights layer_norm(const WeightStore& store, const std::string& name, int64_t size) {
  return {store.tensor(name + ".weight", {size}), store.tensor(name + ".bias", {size})};
}

}  // namespace packformer::encoder_loading
