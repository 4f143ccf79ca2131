// Seq2SeqModel's weights and workspace, shared by seq2seq.cc (config and loading) and
// seq2seq_forward.cc (encoder, decoder, caches).
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "layers/encoder_layer.h"
#include "layers/layer_norm.h"
#include "layers/linear.h"
#include "layers/row_buffers.h"
#include "models/kv_cache.h"
#include "models/seq2seq.h"

namespace packformer {

struct Seq2SeqModel::DecoderLayer {
  Linear self_qkv;    // q | k | v of the decoder tokens
  Linear self_out;
  LayerNorm self_norm;
  Linear cross_q;     // queries from the decoder
  Linear cross_kv;    // k | v from the encoder output, once per source
  Linear cross_out;
  LayerNorm cross_norm;
  Linear fc1, fc2;
  LayerNorm final_norm;
};

struct Seq2SeqModel::Weights {
  // Views into the model file (or converted once); decoder_tokens / decoder_positions empty: shared.
  FloatTensor encoder_tokens, decoder_tokens;
  FloatTensor encoder_positions, decoder_positions;
  LayerNorm encoder_embedding_norm, decoder_embedding_norm;  // BART's layernorm_embedding
  std::vector<packformer::EncoderLayer> encoder;  // post-LN, as BERT's (layers/encoder_layer.h)
  std::vector<DecoderLayer> decoder;
  std::unique_ptr<Linear> lm_head;  // tied embeddings, final_logits_bias in the epilogue

  const float* decoder_token_table() const { return decoder_tokens.empty() ? encoder_tokens.data() : decoder_tokens.data(); }
  const float* decoder_position_table() const {
    return decoder_positions.empty() ? encoder_positions.data() : decoder_positions.data();
  }
};

// Grown when a call needs more, never shrunk: a warm model allocates nothing.
struct Seq2SeqModel::Workspace {
  // Encoder: every source token of the call, packed: the hidden states, then one encoder
  // layer's scratch (encoder_buffers() in seq2seq_forward.cc).
  RowArena encoder_rows;
  std::array<float*, EncoderLayer::kBufferCount> encoder_scratch{};
  std::vector<int32_t> eids;
  std::vector<int64_t> src_start, src_len, query_rows;  // per source
  // Cross-attention keys | values: [decoder layer][source token][2 * d_model].
  std::vector<float> cross_kv;
  int64_t source_count = 0, source_tokens = 0;
  // Decoder: token rows of one run (begin: one per source; step: one per live row).
  std::vector<float> x, x_mid, qkv, q, ctx, inner;
  std::vector<int32_t> ids;
  std::vector<int64_t> positions, cache_rows, key_counts, cross_rows, cross_counts;
  KvCache cache;  // decoder self-attention: [layer][row][position][d_model]
  int64_t copies = 1;
};

}  // namespace packformer
