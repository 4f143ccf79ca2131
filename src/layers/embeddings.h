// BERT-style input embeddings: word + position + token type, then LayerNorm, one pass over
// each row. Rows are laid out as BatchRows says; padding rows (the padded layout) are zeros.
#pragma once

#include <cstdint>

#include "layers/attention.h"
#include "layers/layer_norm.h"
#include "packformer/encoder.h"

namespace packformer {

class Embeddings {
 public:
  // word [vocab, hidden], position [positions, hidden], token_type [types, hidden] or empty.
  // Token t of a sequence has position first_position + t (BERT 0; RoBERTa pad_token_id + 1).
  Embeddings(FloatTensor word, FloatTensor position, FloatTensor token_type, LayerNorm norm, int64_t first_position);

  // x [rows.rows, hidden]; ids and type ids were validated by the caller.
  void forward(const EncoderInput& input, const BatchRows& rows, float* x) const;

 private:
  FloatTensor word_, position_, token_type_;
  LayerNorm norm_;
  int64_t first_position_;
};

}  // namespace packformer
