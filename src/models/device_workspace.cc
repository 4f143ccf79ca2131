#include "models/device_workspace.h"

#include <string>

#include "packformer/error.h"

namespace packformer {
namespace {

size_t align_up(size_t bytes) { return (bytes + kDeviceAlignment - 1) / kDeviceAlignment * kDeviceAlignment; }

}  // namespace

DeviceWorkspacePlan plan_device_workspace(const EncoderConfig& config, size_t element_bytes, int64_t rows,
                                          int64_t batch) {
  if (rows < 1 || batch < 1 || batch > rows)
    fail(ErrorKind::InvalidInput, "device workspace: need 1 <= batch <= rows, got batch " + std::to_string(batch) +
                                      " and rows " + std::to_string(rows));
  if (element_bytes != 2 && element_bytes != 4)
    fail(ErrorKind::Internal, "device workspace: element size must be 2 or 4 bytes");
  DeviceWorkspacePlan plan;
  plan.rows = rows;
  plan.batch = batch;
  plan.element_bytes = element_bytes;
  const size_t r = static_cast<size_t>(rows), h = static_cast<size_t>(config.hidden_size);
  size_t next = 0;
  const auto take = [&next](size_t bytes) {
    DeviceSlice slice{next, bytes};
    next = align_up(next + bytes);
    return slice;
  };
  plan.x = take(r * h * element_bytes);
  plan.qkv = take(r * 3 * h * element_bytes);
  plan.context = take(r * h * element_bytes);
  plan.sum = take(r * h * element_bytes);
  plan.x1 = take(r * h * element_bytes);
  plan.intermediate = take(r * static_cast<size_t>(config.intermediate_size) * element_bytes);
  plan.hidden_f32 = take(r * h * sizeof(float));

  IndexLayout& l = plan.layout;
  l.token_ids = 0;
  l.positions = rows;
  l.type_ids = 2 * rows;
  l.row_start = 3 * rows;
  l.query_rows = 3 * rows + batch;
  l.key_rows = 3 * rows + 2 * batch;
  l.output_rows = 3 * rows + 3 * batch;
  l.count = 4 * rows + 3 * batch;
  plan.indices = take(static_cast<size_t>(l.count) * sizeof(int32_t));
  plan.device_bytes = next;
  plan.pinned_input_bytes = static_cast<size_t>(l.count) * sizeof(int32_t);
  plan.pinned_output_bytes = r * h * sizeof(float);
  return plan;
}

}  // namespace packformer
