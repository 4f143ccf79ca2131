// Gpt2Model's per-layer weights and its workspace, shared by gpt2.cc (loading) and
// gpt2_forward.cc (forward pass and KV cache).
#pragma once

#include <memory>
#include <vector>

#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "models/gpt2.h"

namespace packformer {

struct Gpt2Model::Layer {
  LayerNorm ln_1;
  Linear c_attn;  // [3 * n_embd, n_embd] after the Conv1D transpose: q | k | v
  Linear c_proj;  // bias + residual epilogue
  LayerNorm ln_2;
  Linear c_fc;         // bias + activation epilogue
  Linear mlp_c_proj;   // bias + residual epilogue
};

struct Gpt2Model::Weights {
  std::vector<Layer> layers;
  FloatTensor wte, wpe;  // views into the model file, or converted once (loader/float_tensor.h)
  LayerNorm ln_f;
  std::unique_ptr<Linear> lm_head;
};

// Per-row activations of one forward call, grown when a call needs more, never shrunk: a warm
// model allocates nothing. The token rows and the KV cache belong to DecoderOnlyModel.
struct Gpt2Model::Workspace {
  std::vector<float> x, normed, qkv, context, x_mid, inner, last;
};

}  // namespace packformer
