#include "layers/row_buffers.h"

namespace packformer {

int64_t floats_per_row(std::span<const RowBuffer> buffers) {
  int64_t floats = 0;
  for (const RowBuffer& b : buffers) floats += b.width;
  return floats;
}

void RowArena::plan(std::span<const RowBuffer> buffers, int64_t rows) {
  offsets_.resize(buffers.size());
  size_t offset = 0;
  for (size_t i = 0; i < buffers.size(); ++i) {
    offsets_[i] = offset;
    offset += static_cast<size_t>(rows) * static_cast<size_t>(buffers[i].width);
  }
  if (data_.size() < offset) {
    // Exactly `offset` floats, the old buffer freed first: resize() alone may reserve twice the
    // size and copy, holding more than the memory check counted.
    std::vector<float>().swap(data_);
    data_.resize(offset);
  }
}

}  // namespace packformer
