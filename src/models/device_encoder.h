// An execution path that runs on an accelerator (today: CUDA). Encoder holds one when its
// EncoderOptions::device is not the CPU and sends fast-path calls to it; the slow path (the
// reference) and the heads stay on the CPU.
#pragma once

#include <cstddef>
#include <memory>

#include "models/encoder_model.h"
#include "packformer/device.h"
#include "packformer/encoder.h"

namespace packformer {

class Profiler;

class DeviceEncoder {
 public:
  virtual ~DeviceEncoder() = default;
  // Fills output.hidden_states (fp32, real tokens only; output.offsets must be set).
  // packed = sparsity on. With a profiler, each op is synchronised and timed.
  virtual void run(const EncoderInput& input, bool packed, EncoderOutput& output, Profiler* profiler) = 0;
  // Device bytes held: weights plus the planned workspace.
  virtual size_t device_bytes() const = 0;
  virtual std::string description() const = 0;  // e.g. "cuda:0 (NVIDIA H100 80GB HBM3), fp16"
};

// Uploads the model's weights, converted once to `dtype`. Throws Unsupported when packformer
// was built without CUDA, InvalidInput when the device does not exist.
std::unique_ptr<DeviceEncoder> make_cuda_encoder(const EncoderModel& model, int device_index, Precision dtype);

}  // namespace packformer
