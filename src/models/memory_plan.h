// The memory a batch needs, computed from its shape before anything is allocated, so that a
// batch too large for the machine is refused with a clear error instead of a crash mid-run.
#pragma once

#include <cstdint>

#include "core/memory_limit.h"
#include "models/encoder_model.h"
#include "packformer/encoder.h"

namespace packformer {

struct BatchShape {
  int64_t batch = 0;
  int64_t max_len = 0;  // longest sequence
  int64_t total = 0;    // real tokens in the batch
};

BatchShape batch_shape(const EncoderInput& input);

// Bytes of activations and outputs run() allocates for this batch on this path (the weights,
// loaded already, are not counted). Saturates at UINT64_MAX instead of overflowing.
uint64_t batch_memory_bytes(const EncoderConfig& config, const BatchShape& shape, const RunOptions& options);

// Throws ErrorKind::OutOfMemory, naming needed and allowed bytes, when `needed > limit`.
void check_memory(uint64_t needed, uint64_t limit, const RunOptions& options);

}  // namespace packformer
