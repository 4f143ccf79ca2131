// LlamaModel's per-layer weights and its workspace, shared by llama.cc (loading) and
// llama_forward.cc (forward pass and KV cache).
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "layers/gated_feed_forward.h"
#include "layers/linear.h"
#include "layers/rms_norm.h"
#include "layers/rotary.h"
#include "layers/row_buffers.h"
#include "models/llama.h"

namespace packformer {

struct LlamaModel::Layer {
  RMSNorm input_norm;
  Linear qkv;     // [q_width + 2 * kv_width, hidden]: q | k | v, bias optional
  RMSNorm q_norm, k_norm;  // qwen3 only (size head_dim); empty otherwise
  Linear o_proj;  // residual epilogue, bias optional
  RMSNorm post_attention_norm;
  GatedFeedForward mlp;
};

struct LlamaModel::Weights {
  std::vector<Layer> layers;
  FloatTensor embed_tokens;  // [vocab, hidden], a view of the file where it allows
  RMSNorm norm;
  std::unique_ptr<Linear> lm_head;
  Rotary rotary;  // cos/sin for positions [0, max_position_embeddings)
};

// Per-row activations, one arena grown when a call needs more, never shrunk: a warm model
// allocates nothing. planned_bytes() counts the same declarations.
enum LlamaBuffer { kX, kNormed, kQkv, kContext, kXMid, kLast, kFfnGateUp, kFfnInner, kLlamaBufferCount };
std::array<RowBuffer, kLlamaBufferCount> llama_row_buffers(const LlamaConfig& c);

struct LlamaModel::Workspace {
  RowArena arena;
  std::array<float*, kLlamaBufferCount> buffer{};
};

}  // namespace packformer
