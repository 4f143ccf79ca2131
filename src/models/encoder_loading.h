// What every encoder architecture file (bert.cc, distilbert.cc, ...) uses to fill an
// EncoderModel: the bounds on config.json's sizes and the weight-scope loaders.
#pragma once

#include <cstdint>
#include <string>

#include "loader/weight_store.h"
#include "models/encoder_model.h"

namespace packformer::encoder_loading {

constexpr int64_t kMaxDim = 1 << 16;    // hidden / intermediate sizes, heads
constexpr int64_t kMaxVocab = 1 << 22;  // 4M tokens
constexpr int64_t kMaxPositions = 1 << 16;
constexpr int64_t kMaxLayers = 256;

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
