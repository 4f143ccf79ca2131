// The execution paths of an encoder. Each takes a validated batch and fills the packed
// hidden states of EncoderOutput (rows of real tokens only); heads are applied afterwards.
#pragma once

#include "models/encoder_model.h"
#include "packformer/encoder.h"

namespace packformer {

// The reference: padded [B, T, H], plain ops, the full [B, heads, T, T] score tensor.
void run_slow_path(const EncoderModel& model, const EncoderInput& input, EncoderOutput& output);

// Pooler, classifier and sentence pooling on the packed hidden states.
void apply_heads(const EncoderModel& model, unsigned outputs, EncoderOutput& output);

}  // namespace packformer
