// The per-row activation buffers of a forward pass, planned from what the layers declare:
// each buffer holds `width` floats per row. One arena holds them all, grown to the largest
// batch seen and reused, so a warm session allocates nothing; the --max-memory check adds up
// the same declarations (models/memory_plan.cc), so the two cannot disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace packformer {

struct RowBuffer {
  const char* name;
  int64_t width;  // floats per row
};

// Floats one row needs across `buffers`.
int64_t floats_per_row(std::span<const RowBuffer> buffers);

class RowArena {
 public:
  // Lays out `buffers` for `rows` rows; grows the arena when it is too small, never shrinks it.
  void plan(std::span<const RowBuffer> buffers, int64_t rows);
  // Buffer i of the last plan: rows x buffers[i].width floats.
  float* buffer(size_t i) { return data_.data() + offsets_[i]; }
  size_t bytes() const { return data_.size() * sizeof(float); }

 private:
  std::vector<float> data_;
  std::vector<size_t> offsets_;
};

}  // namespace packformer
