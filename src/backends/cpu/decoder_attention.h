// Attention of decoder queries over a KV cache: each query reads the first `key_count` keys
// and values of one cache row. Causal prefill is this with key_count = position + 1 (the
// prompt's keys are written to the cache first); a decode step is one query per row with
// key_count = the row's length. Keys are folded in tiles with an online softmax, so no score
// buffer exists and nothing is allocated. Cross-attention is the same with the encoder's keys
// and values as the "cache" (key_count = the source length). Grouped-query attention (Llama,
// Mistral, Qwen): `kv_heads` < heads, query head h reads key/value head h / (heads / kv_heads);
// a sliding window (Mistral) limits each query to its last `window` keys.
#pragma once

#include <cstdint>

#include "backends/cpu/kernels/decoder_attention_kernel.h"  // kMaxDecoderHeadDim

namespace packformer {

struct CachedAttentionArgs {
  const float* q = nullptr;  // query rows, [heads * head_dim] each
  int64_t q_stride = 0;      // floats between query rows
  float* out = nullptr;      // output rows, [heads * head_dim] each
  int64_t out_stride = 0;
  const float* k_cache = nullptr;  // [cache rows][positions][key_stride]: kv_heads * head_dim keys each
  const float* v_cache = nullptr;  // same layout as k_cache
  int64_t cache_row_stride = 0;    // floats between cache rows (positions * key_stride)
  int64_t key_stride = 0;          // floats between positions of a row; 0 = kv_heads * head_dim
                                   // (larger when keys and values interleave in one buffer)
  int64_t heads = 0, head_dim = 0;
  int64_t kv_heads = 0;  // key/value heads, dividing heads; 0 = heads (multi-head attention)
  int64_t window = 0;    // > 0: query i attends keys key_count[i] - window .. key_count[i] only
  float scale = 1.0f;
  int64_t queries = 0;
  const int64_t* cache_row = nullptr;  // cache row read by query i
  const int64_t* key_count = nullptr;  // keys 0 .. key_count[i) are attended by query i (>= 1)
};

void cached_attention(const CachedAttentionArgs& args);

}  // namespace packformer
