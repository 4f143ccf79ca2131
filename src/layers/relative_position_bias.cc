#include "layers/relative_position_bias.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace packformer {

int64_t relative_position_bucket(int64_t relative_position, int64_t num_buckets, int64_t max_distance) {
  const int64_t half = num_buckets / 2;
  const int64_t n = -relative_position;  // query - key: positive when the key comes first
  const int64_t base = n < 0 ? half : 0;
  const int64_t distance = std::llabs(n);
  const int64_t max_exact = half / 2;
  if (distance < max_exact) return base + distance;
  // Truncated as torch's .to(long) does; double and torch's float32 agree on every offset of
  // +-3000 (checked against transformers when the goldens were made).
  const double scaled = std::log(static_cast<double>(distance) / static_cast<double>(max_exact)) /
                        std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)) *
                        static_cast<double>(half - max_exact);
  return base + std::min(max_exact + static_cast<int64_t>(scaled), half - 1);
}

RelativePositionBias::RelativePositionBias(FloatTensor table, int64_t heads, int64_t num_buckets, int64_t max_distance)
    : table_(std::move(table)), heads_(heads), num_buckets_(num_buckets), max_distance_(max_distance) {}

PositionBias RelativePositionBias::fill(int64_t max_len, float* out) const {
  const int64_t stride = 2 * max_len - 1, center = max_len - 1;
  for (int64_t offset = -center; offset <= center; ++offset) {
    const float* row = table_.data() + relative_position_bucket(offset, num_buckets_, max_distance_) * heads_;
    for (int64_t h = 0; h < heads_; ++h) out[h * stride + center + offset] = row[h];
  }
  return {out, stride, center};
}

}  // namespace packformer
