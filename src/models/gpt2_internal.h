// Gpt2Model's per-layer weights and its workspace, shared by gpt2.cc (loading) and
// gpt2_forward.cc (forward pass and KV cache).
#pragma once

#include <memory>
#include <vector>

#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "models/gpt2.h"
#include "models/kv_cache.h"

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

// Grown when a call needs more, never shrunk: a warm model allocates nothing.
struct Gpt2Model::Workspace {
  // Token rows of one forward call (prefill: every prompt token; step: one per live row).
  std::vector<float> x, normed, qkv, context, x_mid, inner, last;
  std::vector<int32_t> ids;
  std::vector<int64_t> positions, cache_rows, key_counts, last_rows;
  KvCache cache;  // [layer][cache row][position][n_embd]
  int64_t copies = 1;
};

}  // namespace packformer
