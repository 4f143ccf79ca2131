// The memory plan of a device encoder: one device allocation holding every activation buffer
// and the per-call index arrays, sized from the largest batch (rows, sequences) it must
// serve, and the pinned host buffers mirroring the index arrays and the fp32 output. Planned
// on the host, so its sizes are testable without a GPU; the CUDA encoder allocates it once
// and re-plans only when a larger batch arrives.
#pragma once

#include <cstddef>
#include <cstdint>

#include "models/encoder_model.h"

namespace packformer {

struct DeviceSlice {
  size_t offset = 0;  // bytes from the start of the allocation (a multiple of kDeviceAlignment)
  size_t bytes = 0;
};

constexpr size_t kDeviceAlignment = 256;

// Index arrays (int32), in this order in both the device slice `indices` and the pinned
// host copy, so that one copy moves all of them.
struct IndexLayout {
  int64_t token_ids = 0, positions = 0, type_ids = 0;  // [rows] each; token id -1 = a padding row
  int64_t row_start = 0, query_rows = 0, key_rows = 0; // [batch] each
  int64_t output_rows = 0;                             // [rows]: source row of each real token, packed order
  int64_t count = 0;                                   // int32 elements in all
};

struct DeviceWorkspacePlan {
  int64_t rows = 0, batch = 0;
  size_t element_bytes = 4;  // 4 = fp32, 2 = fp16 / bf16 activations
  // Activations, in the compute dtype.
  DeviceSlice x, qkv, context, sum, x1, intermediate;
  DeviceSlice hidden_f32;  // [rows, hidden] fp32: the real rows, packed, for the copy to the host
  DeviceSlice indices;
  IndexLayout layout;
  size_t device_bytes = 0;
  size_t pinned_input_bytes = 0, pinned_output_bytes = 0;
};

// Throws InvalidInput for rows < 1, batch < 1 or batch > rows.
DeviceWorkspacePlan plan_device_workspace(const EncoderConfig& config, size_t element_bytes, int64_t rows,
                                          int64_t batch);

// Whether `plan` can serve a call of `rows` rows and `batch` sequences without re-planning.
inline bool plan_fits(const DeviceWorkspacePlan& plan, int64_t rows, int64_t batch) {
  return rows <= plan.rows && batch <= plan.batch;
}

}  // namespace packformer
