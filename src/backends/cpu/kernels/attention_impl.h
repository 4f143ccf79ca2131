// The attention kernel body, compiled once per ISA (attention_generic.cc, attention_avx2.cc,
// attention_avx512.cc). Included inside the namespace that names the variant, after
// attention_prelude.h and a definition of kVecFloats (the variant's vector width); it
// includes nothing itself, and everything it defines has internal linkage, so the variants'
// code can never be mixed up by the linker.
//
// Per (sequence, head) and tile of kQueryTile queries, the scaled queries are transposed once;
// then for each tile of kKeyTile keys (W = kWidth, two vectors: 16 floats, 32 on AVX-512):
//   S^T = K Q^T   4 keys x W queries in registers, keys read in place from the QKV rows;
//   online softmax, vectorised across queries (column j of S^T holds one key for all queries);
//   O += P V      4 queries x W head columns in registers, values read in place when the head
//                 size is a multiple of W (else copied, padded with zeros).
// Nothing is allocated: scratch lives in thread-local storage.
namespace {

#include "backends/cpu/kernels/fast_exp.h"

// kVecFloats (defined by the including file, before this one) floats: 8 in the generic build
// (two SSE registers) and the AVX2 one (one ymm register), 16 in the AVX-512 one (one zmm).
typedef float Vec __attribute__((vector_size(kVecFloats * sizeof(float)), aligned(kVecFloats * sizeof(float))));
typedef float UnalignedVec __attribute__((vector_size(kVecFloats * sizeof(float)), aligned(4)));

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline Vec& vec_at(float* p) { return *reinterpret_cast<Vec*>(p); }
inline Vec load(const float* p) { return *reinterpret_cast<const UnalignedVec*>(p); }

constexpr int64_t kQueryTile = 32;
constexpr int64_t kKeyTile = 64;
constexpr int64_t kBlock = 4;   // keys (for S^T) or queries (for O) per register block
constexpr int64_t kWidth = 2 * kVecFloats;  // queries (for S^T) or head columns (for O) per register block
static_assert(kQueryTile % kWidth == 0, "score blocks tile the query tile");

struct Scratch {
  alignas(64) float qt[kMaxHeadDim * kQueryTile];  // scaled queries transposed, [column][query]
  alignas(64) float st[kKeyTile * kQueryTile];     // scores then probabilities, [key][query]
  alignas(64) float o[kQueryTile * kMaxHeadDim];   // unnormalised output, [query][dpad]
  alignas(64) float v[kKeyTile * kMaxHeadDim];     // values padded to dpad, when d % kWidth != 0
  alignas(64) float row_max[kQueryTile], row_sum[kQueryTile], rescale[kQueryTile];
};

alignas(64) const float kZeros[kMaxHeadDim] = {};

// st[j0..j0+4][i0..i0+16) = keys[j] . qt[:, i0..i0+16)
inline void score_block(Scratch& t, const float* const* key_rows, int64_t d, int64_t j0, int64_t i0) {
  Vec acc[kBlock][2] = {};
  for (int64_t c = 0; c < d; ++c) {
    const Vec q_lo = vec_at(t.qt + c * kQueryTile + i0), q_hi = vec_at(t.qt + c * kQueryTile + i0 + kVecFloats);
    for (int64_t r = 0; r < kBlock; ++r) {
      const float k = key_rows[r][c];
      acc[r][0] += k * q_lo;
      acc[r][1] += k * q_hi;
    }
  }
  for (int64_t r = 0; r < kBlock; ++r) {
    vec_at(t.st + (j0 + r) * kQueryTile + i0) = acc[r][0];
    vec_at(t.st + (j0 + r) * kQueryTile + i0 + kVecFloats) = acc[r][1];
  }
}

// o[i0..i0+4][c0..c0+16) += sum_j st[j][i] v[j][c0..c0+16)
inline void value_block(Scratch& t, const float* values, int64_t value_stride, int64_t dpad, int64_t nk, int64_t i0,
                        int64_t c0) {
  Vec acc[kBlock][2];
  for (int64_t r = 0; r < kBlock; ++r) {
    acc[r][0] = vec_at(t.o + (i0 + r) * dpad + c0);
    acc[r][1] = vec_at(t.o + (i0 + r) * dpad + c0 + kVecFloats);
  }
  for (int64_t j = 0; j < nk; ++j) {
    const float* v = values + j * value_stride + c0;
    const Vec v_lo = load(v), v_hi = load(v + kVecFloats);
    const float* p = t.st + j * kQueryTile + i0;
    for (int64_t r = 0; r < kBlock; ++r) {
      acc[r][0] += p[r] * v_lo;
      acc[r][1] += p[r] * v_hi;
    }
  }
  for (int64_t r = 0; r < kBlock; ++r) {
    vec_at(t.o + (i0 + r) * dpad + c0) = acc[r][0];
    vec_at(t.o + (i0 + r) * dpad + c0 + kVecFloats) = acc[r][1];
  }
}

// st[j][i] += bias[(k0 + j) - (q0 + i)] for the tile's real queries: the relative-position
// bias of query q0 + i and key k0 + j (`bias` points at offset 0 of this head's row).
inline void add_position_bias(Scratch& t, const float* bias, int64_t q0, int64_t k0, int64_t nq, int64_t nk) {
  for (int64_t j = 0; j < nk; ++j) {
    float* s = t.st + j * kQueryTile;
    const float* b = bias + (k0 + j - q0);
    for (int64_t i = 0; i < nq; ++i) s[i] += b[-i];
  }
}

// Folds the key tile's scores (rows 0..nk of st) into every query's running max and sum,
// vectorised across queries; st becomes probabilities and the partial outputs are rescaled.
inline void online_softmax(Scratch& t, int64_t nk, int64_t dpad) {
  for (int64_t i0 = 0; i0 < kQueryTile; i0 += kVecFloats) {
    const Vec old_max = vec_at(t.row_max + i0);
    Vec new_max = old_max;
    for (int64_t j = 0; j < nk; ++j) {
      const Vec s = vec_at(t.st + j * kQueryTile + i0);
      new_max = s > new_max ? s : new_max;
    }
    for (int64_t k = 0; k < kVecFloats; ++k) t.rescale[i0 + k] = fast_exp(old_max[k] - new_max[k]);
    vec_at(t.row_max + i0) = new_max;
  }
  alignas(64) float sums[kQueryTile] = {};
  for (int64_t j = 0; j < nk; ++j) {
    float* s = t.st + j * kQueryTile;
#pragma omp simd
    for (int64_t i = 0; i < kQueryTile; ++i) {
      s[i] = fast_exp(s[i] - t.row_max[i]);
      sums[i] += s[i];
    }
  }
  for (int64_t i = 0; i < kQueryTile; ++i) {
    t.row_sum[i] = t.row_sum[i] * t.rescale[i] + sums[i];
    float* o = t.o + i * dpad;
    const float rescale = t.rescale[i];
#pragma omp simd
    for (int64_t c = 0; c < dpad; ++c) o[c] *= rescale;
  }
}

void attend_head(const AttentionArgs& a, int64_t b, int64_t head, Scratch& t) {
  const int64_t d = a.head_dim, dpad = (d + kWidth - 1) / kWidth * kWidth, hidden = a.heads * d;
  const float* base = a.qkv + a.row_start[b] * a.qkv_stride + head * d;
  const float* keys = base + hidden;
  const float* values = base + 2 * hidden;
  const int64_t n_keys = a.key_rows[b];
  const bool values_in_place = d == dpad;
  const float* bias = a.position_bias ? a.position_bias + head * a.position_bias_stride + a.position_bias_center : nullptr;

  for (int64_t q0 = 0; q0 < a.query_rows[b]; q0 += kQueryTile) {
    const int64_t nq = min64(kQueryTile, a.query_rows[b] - q0);
    for (int64_t c = 0; c < d; ++c)
      for (int64_t i = 0; i < kQueryTile; ++i)
        t.qt[c * kQueryTile + i] = i < nq ? base[(q0 + i) * a.qkv_stride + c] * a.scale : 0.0f;
    for (int64_t i = 0; i < kQueryTile * dpad; ++i) t.o[i] = 0.0f;
    for (int64_t i = 0; i < kQueryTile; ++i) {
      t.row_max[i] = -INFINITY;
      t.row_sum[i] = 0.0f;
    }
    for (int64_t k0 = 0; k0 < n_keys; k0 += kKeyTile) {
      const int64_t nk = min64(kKeyTile, n_keys - k0);
      for (int64_t j0 = 0; j0 < nk; j0 += kBlock) {
        const float* key_rows[kBlock];
        for (int64_t r = 0; r < kBlock; ++r)
          key_rows[r] = j0 + r < nk ? keys + (k0 + j0 + r) * a.qkv_stride : kZeros;
        for (int64_t i0 = 0; i0 < kQueryTile; i0 += kWidth) score_block(t, key_rows, d, j0, i0);
      }
      if (bias) add_position_bias(t, bias, q0, k0, nq, nk);  // once per key tile, outside the score loops
      online_softmax(t, nk, dpad);

      const float* v = values + k0 * a.qkv_stride;
      int64_t v_stride = a.qkv_stride;
      if (!values_in_place) {  // pad each value row with zeros to dpad columns
        for (int64_t j = 0; j < nk; ++j)
          for (int64_t c = 0; c < dpad; ++c) t.v[j * dpad + c] = c < d ? v[j * a.qkv_stride + c] : 0.0f;
        v = t.v;
        v_stride = dpad;
      }
      const int64_t rows = (nq + kBlock - 1) / kBlock * kBlock;
      for (int64_t i0 = 0; i0 < rows; i0 += kBlock)
        for (int64_t c0 = 0; c0 < dpad; c0 += kWidth) value_block(t, v, v_stride, dpad, nk, i0, c0);
    }
    for (int64_t i = 0; i < nq; ++i) {
      float* out = a.out + (a.row_start[b] + q0 + i) * a.out_stride + head * d;
      const float inv = 1.0f / t.row_sum[i];
      for (int64_t c = 0; c < d; ++c) out[c] = t.o[i * dpad + c] * inv;
    }
  }
}

}  // namespace

void attention_varlen(const AttentionArgs& a) {
  const int64_t work = a.batch * a.heads;
#pragma omp parallel
  {
    static thread_local Scratch scratch;
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < work; ++item) attend_head(a, item / a.heads, item % a.heads, scratch);
  }
}
