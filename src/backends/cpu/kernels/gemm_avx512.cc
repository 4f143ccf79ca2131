// AVX-512 (F/BW/VL/DQ) build of the GEMM micro-kernel: this file is compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma. Everything here except the entry point
// has internal linkage (see gemm_kernel.h).
#include <immintrin.h>

#include "backends/cpu/kernels/gemm_kernel.h"

namespace packformer::avx512 {
namespace {

static_assert(kGemmNR == 32, "the tile is two zmm registers wide");

// B panels are streamed once per row block; with few rows they come from DRAM/L3 faster than
// the hardware prefetcher alone fetches them. Each k step reads two cache lines of B: fetch
// them kPrefetchSteps ahead into L1 and kL2PrefetchSteps (8 KiB) ahead into L2. The L2 one
// is worth +5% at M = 4 with K = 3072 (weights from L3); 32 steps into L1 alone gained nothing.
constexpr int64_t kPrefetchSteps = 8;
constexpr int64_t kL2PrefetchSteps = 64;

// Lanes [0, n) of a 16-lane register, for the partial columns of the last panel.
inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1);
}

// R rows x 32 columns: 2R accumulators; rows are a template parameter so M tails (and M < 8,
// the small-batch case) do no wasted FMAs.
template <int R>
void tile(const MicroTile& t) {
  // C (and the residual) are read or written only after the k loop: start their cache misses
  // now so they overlap with it (large M: C is far out of cache between K blocks).
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc + kGemmNR - 1), _MM_HINT_T0);
    if (t.residual != nullptr) {
      _mm_prefetch(reinterpret_cast<const char*>(t.residual + i * t.ldr), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(t.residual + i * t.ldr + kGemmNR - 1), _MM_HINT_T0);
    }
  }
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
  const float* a = t.a;
  const float* b = t.b;
  const int64_t kc = t.kc;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchSteps * kGemmNR), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchSteps * kGemmNR + 16), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + kL2PrefetchSteps * kGemmNR), _MM_HINT_T1);
    _mm_prefetch(reinterpret_cast<const char*>(b + kL2PrefetchSteps * kGemmNR + 16), _MM_HINT_T1);
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);  // folded into the FMA as an embedded broadcast
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += kGemmMR;
    b += kGemmNR;
  }
  // Epilogue with masked loads and stores: partial panels need no scalar path (masked-off
  // lanes are neither read nor written, so nothing past the row is touched).
  const __mmask16 m0 = lanes(t.cols), m1 = lanes(t.cols - 16);
  __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
  if (t.bias != nullptr) bias0 = _mm512_maskz_loadu_ps(m0, t.bias), bias1 = _mm512_maskz_loadu_ps(m1, t.bias + 16);
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    float* c = t.c + i * t.ldc;
    __m512 v0 = acc0[i], v1 = acc1[i];
    if (t.accumulate) v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, c)), v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, c + 16));
    v0 = _mm512_add_ps(v0, bias0), v1 = _mm512_add_ps(v1, bias1);
    if (t.residual != nullptr) {
      const float* r = t.residual + i * t.ldr;
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, r)), v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, r + 16));
    }
    _mm512_mask_storeu_ps(c, m0, v0);
    _mm512_mask_storeu_ps(c + 16, m1, v1);
  }
}

}  // namespace

void gemm_micro_kernel(const MicroTile& t) {
  static_assert(kGemmMR <= 14, "28 accumulators + 2 B registers: 14 rows fill the 32 zmm registers");
  switch (t.rows) {
#define PACKFORMER_TILE_CASE(r) \
  case r:                       \
    if constexpr (r <= kGemmMR) tile<r>(t); \
    break;
    PACKFORMER_TILE_CASE(1)
    PACKFORMER_TILE_CASE(2)
    PACKFORMER_TILE_CASE(3)
    PACKFORMER_TILE_CASE(4)
    PACKFORMER_TILE_CASE(5)
    PACKFORMER_TILE_CASE(6)
    PACKFORMER_TILE_CASE(7)
    PACKFORMER_TILE_CASE(8)
    PACKFORMER_TILE_CASE(9)
    PACKFORMER_TILE_CASE(10)
    PACKFORMER_TILE_CASE(11)
    PACKFORMER_TILE_CASE(12)
    PACKFORMER_TILE_CASE(13)
#undef PACKFORMER_TILE_CASE
    default: tile<kGemmMR>(t); break;
  }
}

}  // namespace packformer::avx512
