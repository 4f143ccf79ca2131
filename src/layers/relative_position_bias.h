// MPNet's relative position bias (T5's bidirectional buckets): a learned [buckets, heads]
// table whose entry for bucket(key - query) is added to every layer's attention scores, after
// the 1/sqrt(d) scaling. It depends only on (head, key - query), so each batch gets one small
// per-head table indexed by the offset instead of a [heads, T, T] tensor.
#pragma once

#include <cstdint>

#include "layers/attention.h"
#include "loader/float_tensor.h"

namespace packformer {

// transformers' MPNetEncoder.relative_position_bucket: half of the buckets for keys before
// the query, half for keys after it; within a half, exact distances below half of its
// buckets, then logarithmic bins up to max_distance, and the last bin beyond.
int64_t relative_position_bucket(int64_t relative_position, int64_t num_buckets, int64_t max_distance);

class RelativePositionBias {
 public:
  // table [table_rows, heads]; buckets computed with num_buckets (<= table_rows) and max_distance.
  RelativePositionBias(FloatTensor table, int64_t heads, int64_t num_buckets, int64_t max_distance);

  // Floats fill() writes for sequences of at most max_len tokens.
  int64_t floats(int64_t max_len) const { return heads_ * (2 * max_len - 1); }
  // out[floats(max_len)]: per head, the bias of offsets -(max_len - 1) .. max_len - 1; the
  // returned view points attention at it.
  PositionBias fill(int64_t max_len, float* out) const;

 private:
  FloatTensor table_;
  int64_t heads_, num_buckets_, max_distance_;
};

}  // namespace packformer
