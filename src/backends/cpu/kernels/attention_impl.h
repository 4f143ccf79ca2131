// The attention kernel body, compiled once per ISA (attention_avx2.cc, attention_generic.cc).
// Included inside the namespace that names the variant, after attention_prelude.h; it
// includes nothing itself, and everything it defines has internal linkage, so the variants'
// code can never be mixed up by the linker.
namespace {

#include "backends/cpu/kernels/fast_exp.h"

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

constexpr int64_t kQueryTile = 16;
constexpr int64_t kKeyTile = 64;

// Scratch of one thread: K of one head transposed, and the running tile state.
struct Scratch {
  alignas(64) float kt[kMaxHeadDim * kKeyTile];
  alignas(64) float scores[kQueryTile * kKeyTile];
  alignas(64) float acc[kQueryTile * kMaxHeadDim];
  float row_max[kQueryTile], row_sum[kQueryTile];
};

void attend_head(const AttentionArgs& a, int64_t b, int64_t head, Scratch& s) {
  const int64_t d = a.head_dim, hidden = a.heads * d;
  const float* base = a.qkv + a.row_start[b] * a.qkv_stride + head * d;
  const float* keys = base + hidden;
  const float* values = base + 2 * hidden;
  const int64_t n_keys = a.key_rows[b];

  for (int64_t q0 = 0; q0 < a.query_rows[b]; q0 += kQueryTile) {
    const int64_t nq = min64(kQueryTile, a.query_rows[b] - q0);
    for (int64_t i = 0; i < nq; ++i) {
      s.row_max[i] = -INFINITY;
      s.row_sum[i] = 0.0f;
      for (int64_t c = 0; c < d; ++c) s.acc[i * d + c] = 0.0f;
    }
    for (int64_t k0 = 0; k0 < n_keys; k0 += kKeyTile) {
      const int64_t nk = min64(kKeyTile, n_keys - k0);
      for (int64_t c = 0; c < d; ++c) {
        float* row = s.kt + c * kKeyTile;
        for (int64_t j = 0; j < nk; ++j) row[j] = keys[(k0 + j) * a.qkv_stride + c];
        for (int64_t j = nk; j < kKeyTile; ++j) row[j] = 0.0f;
      }
      for (int64_t i = 0; i < nq; ++i) {
        const float* q = base + (q0 + i) * a.qkv_stride;
        float* score = s.scores + i * kKeyTile;
        float tile[kKeyTile] = {};
        for (int64_t c = 0; c < d; ++c) {
          const float qc = q[c] * a.scale;
          const float* kt = s.kt + c * kKeyTile;
#pragma omp simd
          for (int64_t j = 0; j < kKeyTile; ++j) tile[j] += qc * kt[j];
        }
        float tile_max = s.row_max[i];
        for (int64_t j = 0; j < nk; ++j) tile_max = tile[j] > tile_max ? tile[j] : tile_max;
        const float rescale = fast_exp(s.row_max[i] - tile_max);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j < kKeyTile; ++j) {
          score[j] = j < nk ? fast_exp(tile[j] - tile_max) : 0.0f;
          sum += score[j];
        }
        s.row_max[i] = tile_max;
        s.row_sum[i] = s.row_sum[i] * rescale + sum;
        float* acc = s.acc + i * d;
#pragma omp simd
        for (int64_t c = 0; c < d; ++c) acc[c] *= rescale;
        for (int64_t j = 0; j < nk; ++j) {
          const float p = score[j];
          const float* v = values + (k0 + j) * a.qkv_stride;
#pragma omp simd
          for (int64_t c = 0; c < d; ++c) acc[c] += p * v[c];
        }
      }
    }
    for (int64_t i = 0; i < nq; ++i) {
      float* out = a.out + (a.row_start[b] + q0 + i) * a.out_stride + head * d;
      const float inv = 1.0f / s.row_sum[i];
      for (int64_t c = 0; c < d; ++c) out[c] = s.acc[i * d + c] * inv;
    }
  }
}

}  // namespace

void attention_varlen(const AttentionArgs& a) {
  const int64_t work = a.batch * a.heads;
#pragma omp parallel
  {
    // One scratch per thread, in thread-local storage: nothing is allocated per call.
    static thread_local Scratch scratch;
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < work; ++item) attend_head(a, item / a.heads, item % a.heads, scratch);
  }
}
