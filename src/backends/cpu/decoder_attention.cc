#include "backends/cpu/decoder_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "packformer/error.h"

namespace packformer {
namespace {

constexpr int64_t kKeyTile = 64;

// One (query, head): scores of a key tile, the tile's max, then the running sum and output
// rescaled once per tile (online softmax). Exact std::exp: this serves tiny rows (decode) where
// its cost is small next to the GEMMs, and keeps results close to PyTorch's.
void attend_one(const float* q, const float* keys, const float* values, int64_t key_stride, int64_t keys_n,
                int64_t head_dim, float scale, float* out) {
  float acc[kMaxDecoderHeadDim];
  float scores[kKeyTile];
  std::fill_n(acc, head_dim, 0.0f);
  float running_max = -std::numeric_limits<float>::infinity();
  float running_sum = 0.0f;
  for (int64_t start = 0; start < keys_n; start += kKeyTile) {
    const int64_t n = std::min(kKeyTile, keys_n - start);
    float tile_max = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) {
      const float* k = keys + (start + j) * key_stride;
      float dot = 0.0f;
      for (int64_t d = 0; d < head_dim; ++d) dot += q[d] * k[d];
      scores[j] = dot * scale;
      tile_max = std::max(tile_max, scores[j]);
    }
    const float new_max = std::max(running_max, tile_max);
    const float correction = std::exp(running_max - new_max);  // 0 on the first tile
    running_sum *= correction;
    for (int64_t d = 0; d < head_dim; ++d) acc[d] *= correction;
    for (int64_t j = 0; j < n; ++j) {
      const float p = std::exp(scores[j] - new_max);
      running_sum += p;
      const float* v = values + (start + j) * key_stride;
      for (int64_t d = 0; d < head_dim; ++d) acc[d] += p * v[d];
    }
    running_max = new_max;
  }
  const float inv = 1.0f / running_sum;
  for (int64_t d = 0; d < head_dim; ++d) out[d] = acc[d] * inv;
}

}  // namespace

void cached_attention(const CachedAttentionArgs& a) {
  if (a.head_dim < 1 || a.head_dim > kMaxDecoderHeadDim)
    fail(ErrorKind::Unsupported, "cached_attention: head size " + std::to_string(a.head_dim) +
                                     " is not supported (1.." + std::to_string(kMaxDecoderHeadDim) + ")");
  const int64_t kv_heads = a.kv_heads > 0 ? a.kv_heads : a.heads;
  if (a.heads % kv_heads != 0)
    fail(ErrorKind::Internal, "cached_attention: " + std::to_string(a.heads) + " heads are not a multiple of " +
                                  std::to_string(kv_heads) + " key/value heads");
  const int64_t group = a.heads / kv_heads;
  const int64_t key_stride = a.key_stride > 0 ? a.key_stride : kv_heads * a.head_dim;
  const int64_t work = a.queries * a.heads;
  const auto one = [&a, key_stride, group](int64_t w) {
    const int64_t i = w / a.heads, h = w % a.heads;
    const int64_t count = a.key_count[i];
    const int64_t first = a.window > 0 ? std::max<int64_t>(0, count - a.window) : 0;
    const int64_t offset = a.cache_row[i] * a.cache_row_stride + first * key_stride + (h / group) * a.head_dim;
    attend_one(a.q + i * a.q_stride + h * a.head_dim, a.k_cache + offset, a.v_cache + offset, key_stride,
               count - first, a.head_dim, a.scale, a.out + i * a.out_stride + h * a.head_dim);
  };
  // A plain branch, not an OpenMP if() clause: a one-thread parallel region makes libgomp
  // rebuild its team, which allocates on every call.
  if (work == 1) {
    one(0);
    return;
  }
#pragma omp parallel for schedule(static, 1)
  for (int64_t w = 0; w < work; ++w) one(w);
}

}  // namespace packformer
