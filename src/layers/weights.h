// What a layer is built from: views of one layer's weights as the model file stores them
// (Hugging Face layout: Linear weights [out, in]). Architecture files fill them from a model
// folder's tensor names; the layers pack or read them.
#pragma once

#include <cstdint>

#include "loader/float_tensor.h"

namespace packformer {

struct LinearWeights {
  FloatTensor weight;  // [out, in]
  FloatTensor bias;    // [out], empty when the layer has none
  int64_t in = 0, out = 0;
};

struct LayerNormWeights {
  FloatTensor gamma, beta;
};

}  // namespace packformer
