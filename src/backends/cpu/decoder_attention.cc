#include "backends/cpu/decoder_attention.h"

#include <algorithm>
#include <string>

#include "backends/cpu/kernel_table.h"

#include "packformer/error.h"

namespace packformer {

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
  const auto attend = cpu_kernels().cached_attend;
  const auto one = [&a, attend, key_stride, group](int64_t w) {
    const int64_t i = w / a.heads, h = w % a.heads;
    const int64_t count = a.key_count[i];
    const int64_t first = a.window > 0 ? std::max<int64_t>(0, count - a.window) : 0;
    const int64_t offset = a.cache_row[i] * a.cache_row_stride + first * key_stride + (h / group) * a.head_dim;
    attend({a.q + i * a.q_stride + h * a.head_dim, a.k_cache + offset, a.v_cache + offset, key_stride, count - first,
            a.head_dim, a.scale, a.out + i * a.out_stride + h * a.head_dim});
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
