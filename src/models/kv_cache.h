// A decoder's self-attention KV cache: for each layer, keys and values of every cache row at
// up to `positions` positions ([layer][row][position][width]), and each row's length. Planned
// once per generate call for every row at its maximum length, so decode steps allocate
// nothing. Rows are copied when beams are reordered (copy_rows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace packformer {

class KvCache {
 public:
  // Grows the storage to hold layers x rows x positions x width keys and values (never
  // shrinks) and sets every row's length to 0.
  void plan(int64_t layers, int64_t rows, int64_t positions, int64_t width);
  // The bytes plan() and the staging area of copy_rows (at most `copied_rows` rows at once:
  // beam search copies the beams of one prompt) need; saturating.
  static uint64_t planned_bytes(int64_t layers, int64_t rows, int64_t positions, int64_t width, int64_t copied_rows);

  float* keys(int64_t layer) { return k_.data() + layer * layer_stride(); }
  float* values(int64_t layer) { return v_.data() + layer * layer_stride(); }
  int64_t rows() const { return rows_; }
  int64_t positions() const { return positions_; }
  int64_t row_stride() const { return positions_ * width_; }  // floats between rows of a layer
  int64_t length(int64_t row) const { return length_[static_cast<size_t>(row)]; }
  void set_length(int64_t row, int64_t length) { length_[static_cast<size_t>(row)] = length; }

  // Stores one token's key and value (width floats each) at (layer, row, position).
  void write(int64_t layer, int64_t row, int64_t position, const float* key, const float* value);
  // Row `to` becomes a copy of the first `length` positions of row `from` (every layer).
  void copy_row(int64_t from, int64_t to, int64_t length);
  // Row dst[i] becomes what row src[i] held before the call, for every i at once (a row may be
  // copied into several rows, and rows may swap). Sources that another pair overwrites are
  // staged first; the staging area grows at most once per cache size, never per token.
  void copy_rows(const int32_t* dst, const int32_t* src, int64_t n);

 private:
  int64_t layer_stride() const { return rows_ * positions_ * width_; }
  void stage(int64_t row, int64_t length, int64_t slot, bool to_staging);

  std::vector<float> k_, v_, staging_;
  std::vector<int64_t> length_, staged_length_;
  int64_t layers_ = 0, rows_ = 0, positions_ = 0, width_ = 0;
};

}  // namespace packformer
