// What an Encoder holds after load: the model's configuration, weights (packed for the fast
// path) and tokenizer. Immutable once built and shared (shared_ptr) by the Encoder and every
// EncoderSession made from it, so the weights are in memory once however many sessions run.
#pragma once

#include <memory>
#include <mutex>

#include "models/device_encoder.h"
#include "models/encoder_model.h"
#include "models/fast_encoder.h"
#include "packformer/encoder.h"
#include "packformer/tokenizer.h"

namespace packformer {

struct EncoderCore {
  EncoderModel model;
  ModelInfo info;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<FastEncoder> fast;  // packed weights (device cpu)
  // The fast path on an accelerator (device cuda). It plans its device memory once for all
  // callers, so sessions take turns on it (device_mutex) until each session has its own.
  std::unique_ptr<DeviceEncoder> device;
  mutable std::mutex device_mutex;
  uint64_t memory_limit = 0;
  int threads = 0;  // EncoderOptions::threads, resolved: sessions made without a count use it
};

}  // namespace packformer
