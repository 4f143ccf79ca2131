#include "models/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "core/memory_limit.h"
#include "models/input_checks.h"
#include "packformer/error.h"

namespace packformer {
void KvCache::plan(int64_t layers, int64_t rows, int64_t positions, int64_t width) {
  layers_ = layers;
  rows_ = rows;
  positions_ = positions;
  width_ = width;
  const size_t size = static_cast<size_t>(layers * rows * positions * width);
  ensure_size(k_, size);
  ensure_size(v_, size);
  ensure_size(length_, static_cast<size_t>(rows));
  std::fill(length_.begin(), length_.begin() + rows, 0);
}

uint64_t KvCache::planned_bytes(int64_t layers, int64_t rows, int64_t positions, int64_t width,
                               int64_t copied_rows) {
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const uint64_t row_floats = saturating_mul(saturating_mul(u(layers), 2), saturating_mul(u(positions), u(width)));
  const uint64_t staged_rows = copied_rows > 1 ? u(copied_rows) : 0;
  const uint64_t floats = saturating_mul(saturating_add(u(rows), staged_rows), row_floats);
  return saturating_add(saturating_mul(floats, sizeof(float)),
                        saturating_mul(saturating_add(u(rows), staged_rows), sizeof(int64_t)));
}

void KvCache::write(int64_t layer, int64_t row, int64_t position, const float* key, const float* value) {
  const int64_t at = layer * layer_stride() + row * row_stride() + position * width_;
  std::memcpy(k_.data() + at, key, static_cast<size_t>(width_) * sizeof(float));
  std::memcpy(v_.data() + at, value, static_cast<size_t>(width_) * sizeof(float));
}

void KvCache::copy_row(int64_t from, int64_t to, int64_t length) {
  const size_t bytes = static_cast<size_t>(length * width_) * sizeof(float);
  for (int64_t l = 0; l < layers_; ++l) {
    const int64_t base = l * layer_stride();
    std::memcpy(k_.data() + base + to * row_stride(), k_.data() + base + from * row_stride(), bytes);
    std::memcpy(v_.data() + base + to * row_stride(), v_.data() + base + from * row_stride(), bytes);
  }
  length_[static_cast<size_t>(to)] = length;
}

void KvCache::stage(int64_t row, int64_t length, int64_t slot, bool to_staging) {
  const size_t bytes = static_cast<size_t>(length * width_) * sizeof(float);
  for (int64_t l = 0; l < layers_; ++l) {
    float* k = k_.data() + l * layer_stride() + row * row_stride();
    float* v = v_.data() + l * layer_stride() + row * row_stride();
    float* staged = staging_.data() + ((slot * layers_ + l) * 2) * row_stride();
    if (to_staging) {
      std::memcpy(staged, k, bytes);
      std::memcpy(staged + row_stride(), v, bytes);
    } else {
      std::memcpy(k, staged, bytes);
      std::memcpy(v, staged + row_stride(), bytes);
    }
  }
}

void KvCache::copy_rows(const int32_t* dst, const int32_t* src, int64_t n) {
  // Sized here, not in plan(): only beam search copies rows.
  ensure_size(staging_, static_cast<size_t>(n * layers_ * 2 * row_stride()));
  ensure_size(staged_length_, static_cast<size_t>(n));
  const auto overwritten = [&](int64_t row) {
    for (int64_t j = 0; j < n; ++j)
      if (dst[j] == row && dst[j] != src[j]) return true;
    return false;
  };
  for (int64_t i = 0; i < n; ++i) {
    if (dst[i] < 0 || dst[i] >= rows_ || src[i] < 0 || src[i] >= rows_)
      fail(ErrorKind::Internal, "KvCache::copy_rows: row out of range");
    staged_length_[i] = length(src[i]);
    if (dst[i] != src[i] && overwritten(src[i])) stage(src[i], staged_length_[i], i, true);
  }
  for (int64_t i = 0; i < n; ++i) {
    if (dst[i] == src[i]) continue;
    if (overwritten(src[i])) {
      stage(dst[i], staged_length_[i], i, false);
      set_length(dst[i], staged_length_[i]);
    } else {
      copy_row(src[i], dst[i], staged_length_[i]);
    }
  }
}

}  // namespace packformer
