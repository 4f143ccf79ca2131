// Position numbering and the embedding sum shared by every path.
#pragma once

#include <cstdint>

#include "models/encoder_model.h"

namespace packformer {

// Position id of token t of a sequence: BERT counts from 0, RoBERTa-style models from
// pad_token_id + 1 (transformers' create_position_ids_from_input_ids).
inline int64_t position_id(const EncoderConfig& config, int64_t t) {
  return config.positions_after_padding ? config.pad_token_id + 1 + t : t;
}

// out[h] = word[id] + position[pos] + token_type[type] (no LayerNorm).
void embedding_sum(const EncoderModel& model, int32_t id, int64_t position, int32_t type_id, float* out);

}  // namespace packformer
