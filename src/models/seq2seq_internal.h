// Seq2SeqModel's weights and workspace, shared by seq2seq.cc (config and loading) and
// seq2seq_forward.cc (encoder, decoder, caches).
#pragma once

#include <memory>
#include <vector>

#include "backends/cpu/packed_linear.h"
#include "models/kv_cache.h"
#include "models/seq2seq.h"

namespace packformer {

struct LayerNormParams {
  std::vector<float> gamma, beta;
};

struct Seq2SeqModel::EncoderLayer {
  PackedLinear qkv;         // q | k | v in one GEMM
  PackedLinear out;         // bias + residual
  LayerNormParams attention_norm;
  PackedLinear fc1;         // bias + activation
  PackedLinear fc2;         // bias + residual
  LayerNormParams final_norm;
};

struct Seq2SeqModel::DecoderLayer {
  PackedLinear self_qkv;    // q | k | v of the decoder tokens
  PackedLinear self_out;
  LayerNormParams self_norm;
  PackedLinear cross_q;     // queries from the decoder
  PackedLinear cross_kv;    // k | v from the encoder output, once per source
  PackedLinear cross_out;
  LayerNormParams cross_norm;
  PackedLinear fc1, fc2;
  LayerNormParams final_norm;
};

struct Seq2SeqModel::Weights {
  std::vector<float> encoder_tokens, decoder_tokens;        // decoder_tokens empty: shared
  std::vector<float> encoder_positions, decoder_positions;  // decoder_positions empty: shared
  LayerNormParams encoder_embedding_norm, decoder_embedding_norm;  // BART's layernorm_embedding
  std::vector<EncoderLayer> encoder;
  std::vector<DecoderLayer> decoder;
  std::unique_ptr<PackedLinear> lm_head;  // tied embeddings, final_logits_bias in the epilogue

  const float* decoder_token_table() const { return decoder_tokens.empty() ? encoder_tokens.data() : decoder_tokens.data(); }
  const float* decoder_position_table() const {
    return decoder_positions.empty() ? encoder_positions.data() : decoder_positions.data();
  }
};

// Grown when a call needs more, never shrunk: a warm model allocates nothing.
struct Seq2SeqModel::Workspace {
  // Encoder: every source token of the call, packed.
  std::vector<float> ex, eqkv, ectx, esum, einner;
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
