// The decoder attention kernel body, compiled once per ISA (decoder_attention_generic.cc,
// decoder_attention_avx2.cc, decoder_attention_avx512.cc). Included inside the namespace that
// names the variant, after decoder_attention_prelude.h and a definition of kVecFloats (the
// variant's vector width); everything but cached_attend has internal linkage.
//
// One query against its keys in tiles of kKeyTile, online softmax: the tile's scores (four
// keys at a time, vectorised along the head), its max, then the running sum and the output
// rescaled once per tile. Exact std::exp: decode rows are tiny next to the GEMMs, and exact
// exponentials keep the results close to PyTorch's. Nothing is allocated.
namespace {

typedef float Vec __attribute__((vector_size(kVecFloats * sizeof(float)), aligned(4)));

constexpr int64_t kKeyTile = 64;
constexpr int64_t kKeyBlock = 4;  // keys scored at once: independent accumulators hide FMA latency

inline Vec load(const float* p) { return *reinterpret_cast<const Vec*>(p); }
inline void store(float* p, Vec v) { *reinterpret_cast<Vec*>(p) = v; }

inline float sum_lanes(Vec v) {
  float s = 0.0f;
  for (int64_t l = 0; l < kVecFloats; ++l) s += v[l];
  return s;
}

// scores[r] = q . keys[r] for kKeyBlock keys; `vec_end` = head_dim rounded down to kVecFloats.
inline void score_block(const float* q, const float* const* key_rows, int64_t head_dim, int64_t vec_end,
                        float* scores) {
  Vec acc[kKeyBlock] = {};
  for (int64_t d = 0; d < vec_end; d += kVecFloats) {
    const Vec qv = load(q + d);
    for (int64_t r = 0; r < kKeyBlock; ++r) acc[r] += qv * load(key_rows[r] + d);
  }
  for (int64_t r = 0; r < kKeyBlock; ++r) {
    float dot = sum_lanes(acc[r]);
    for (int64_t d = vec_end; d < head_dim; ++d) dot += q[d] * key_rows[r][d];
    scores[r] = dot;
  }
}

inline float score_one(const float* q, const float* k, int64_t head_dim, int64_t vec_end) {
  Vec acc = {};
  for (int64_t d = 0; d < vec_end; d += kVecFloats) acc += load(q + d) * load(k + d);
  float dot = sum_lanes(acc);
  for (int64_t d = vec_end; d < head_dim; ++d) dot += q[d] * k[d];
  return dot;
}

// out[0..head_dim) = out * correction + sum_j p[j] * values[j]
inline void accumulate_values(float* out, float correction, const float* p, const float* values, int64_t key_stride,
                              int64_t n, int64_t head_dim, int64_t vec_end) {
  for (int64_t d = 0; d < vec_end; d += kVecFloats) {
    Vec acc = load(out + d) * correction;
    for (int64_t j = 0; j < n; ++j) acc += p[j] * load(values + j * key_stride + d);
    store(out + d, acc);
  }
  for (int64_t d = vec_end; d < head_dim; ++d) {
    float acc = out[d] * correction;
    for (int64_t j = 0; j < n; ++j) acc += p[j] * values[j * key_stride + d];
    out[d] = acc;
  }
}

}  // namespace

void cached_attend(const CachedAttendArgs& a) {
  const int64_t vec_end = a.head_dim - a.head_dim % kVecFloats;
  float scores[kKeyTile];
  float acc[kMaxDecoderHeadDim];  // the output stays unwritten until the end: it may alias q
  for (int64_t d = 0; d < a.head_dim; ++d) acc[d] = 0.0f;
  float running_max = -__builtin_inff();
  float running_sum = 0.0f;
  for (int64_t start = 0; start < a.keys_n; start += kKeyTile) {
    const int64_t n = a.keys_n - start < kKeyTile ? a.keys_n - start : kKeyTile;
    const float* keys = a.keys + start * a.key_stride;
    int64_t j = 0;
    for (; j + kKeyBlock <= n; j += kKeyBlock) {
      const float* rows[kKeyBlock];
      for (int64_t r = 0; r < kKeyBlock; ++r) rows[r] = keys + (j + r) * a.key_stride;
      score_block(a.q, rows, a.head_dim, vec_end, scores + j);
    }
    for (; j < n; ++j) scores[j] = score_one(a.q, keys + j * a.key_stride, a.head_dim, vec_end);
    float tile_max = -__builtin_inff();
    for (j = 0; j < n; ++j) {
      scores[j] *= a.scale;
      tile_max = tile_max > scores[j] ? tile_max : scores[j];
    }
    const float new_max = running_max > tile_max ? running_max : tile_max;
    const float correction = std::exp(running_max - new_max);  // 0 on the first tile
    running_sum *= correction;
    for (j = 0; j < n; ++j) {
      scores[j] = std::exp(scores[j] - new_max);
      running_sum += scores[j];
    }
    accumulate_values(acc, correction, scores, a.values + start * a.key_stride, a.key_stride, n, a.head_dim,
                      vec_end);
    running_max = new_max;
  }
  const float inv = 1.0f / running_sum;
  for (int64_t d = 0; d < a.head_dim; ++d) a.out[d] = acc[d] * inv;
}
