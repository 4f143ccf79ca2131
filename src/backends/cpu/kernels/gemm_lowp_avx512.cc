// AVX-512 (F/BW/VL/DQ) build of the bf16 and int8 micro-kernels for CPUs without AVX512_BF16
// or AVX512_VNNI (this file is compiled with the flags of gemm_avx512.cc): bf16 weights are
// widened to fp32 in registers (two logic ops per 16 pairs) and multiplied by fp32 FMAs;
// int8 values travel as s16 pairs and are multiplied by vpmaddwd, which sums each pair into
// 32 bits (at most 2 * 255 * 127: no saturation, where vpmaddubsw's 16-bit sums would).
#include <immintrin.h>

#include "backends/cpu/kernels/gemm_lowp_kernel.h"

namespace packformer::avx512 {
#include "backends/cpu/kernels/gemm_lowp_avx512_epilogue.h"

namespace {

static_assert(kLowpNR == 32, "the tile is two zmm registers wide");

// Each k step reads two cache lines of B (32 words): fetched this many steps ahead into L1
// and into L2, as the fp32 kernel does.
constexpr int64_t kPrefetchSteps = 8;
constexpr int64_t kL2PrefetchSteps = 64;

inline void prefetch_b(const void* b) {
  const char* p = static_cast<const char*>(b);
  _mm_prefetch(p + kPrefetchSteps * 128, _MM_HINT_T0);
  _mm_prefetch(p + kPrefetchSteps * 128 + 64, _MM_HINT_T0);
  _mm_prefetch(p + kL2PrefetchSteps * 128, _MM_HINT_T1);
  _mm_prefetch(p + kL2PrefetchSteps * 128 + 64, _MM_HINT_T1);
}

template <int R>
struct Bf16Tile {
  static void run(const MicroTileBf16& t) {
    __m512 acc0[R], acc1[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
    const float* a = static_cast<const float*>(t.a);
    const uint32_t* b = t.b;
    const __m512i high = _mm512_set1_epi32(static_cast<int>(0xFFFF0000u));
#pragma GCC unroll 2
    for (int64_t p = 0; p < t.kp; ++p) {
      prefetch_b(b);
      const __m512i w0 = _mm512_loadu_si512(b), w1 = _mm512_loadu_si512(b + 16);
      // Pair word = low bf16 (even k) | high bf16 (odd k) << 16; a bf16 is an fp32's top half.
      // (maskz_slli: the unmasked form makes GCC 12 warn -Wmaybe-uninitialized.)
      const __m512 even0 = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xFFFF, w0, 16));
      const __m512 even1 = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xFFFF, w1, 16));
      const __m512 odd0 = _mm512_castsi512_ps(_mm512_and_si512(w0, high));
      const __m512 odd1 = _mm512_castsi512_ps(_mm512_and_si512(w1, high));
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
        acc0[i] = _mm512_fmadd_ps(ai, even0, acc0[i]);
        acc1[i] = _mm512_fmadd_ps(ai, even1, acc1[i]);
      }
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m512 ai = _mm512_set1_ps(a[kLowpMR + i]);
        acc0[i] = _mm512_fmadd_ps(ai, odd0, acc0[i]);
        acc1[i] = _mm512_fmadd_ps(ai, odd1, acc1[i]);
      }
      a += 2 * kLowpMR;
      b += kLowpNR;
    }
    __m512 bias0, bias1;
    load_bias(t.bias, t.cols, bias0, bias1);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) finish_float_row(t, i, acc0[i], acc1[i], bias0, bias1);
  }
};

template <int R>
struct Int8Tile {
  static void run(const MicroTileInt8& t) {
    __m512i acc0[R], acc1[R];
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm512_setzero_si512();
    const int32_t* a = static_cast<const int32_t*>(t.a);  // one word = row i's two s16
    const int16_t* b = static_cast<const int16_t*>(t.b);
#pragma GCC unroll 2
    for (int64_t g = 0; g < t.groups; ++g) {
      prefetch_b(b);
      const __m512i w0 = _mm512_loadu_si512(b), w1 = _mm512_loadu_si512(b + 32);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m512i ai = _mm512_set1_epi32(a[i]);
        acc0[i] = _mm512_add_epi32(acc0[i], _mm512_madd_epi16(ai, w0));
        acc1[i] = _mm512_add_epi32(acc1[i], _mm512_madd_epi16(ai, w1));
      }
      a += kLowpMR;
      b += 2 * kLowpNR;
    }
    __m512 bias0, bias1;
    load_bias(t.bias, t.cols, bias0, bias1);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) finish_int8_row(t, i, acc0[i], acc1[i], bias0, bias1);
  }
};

}  // namespace

void gemm_bf16_micro_kernel(const MicroTileBf16& t) { dispatch_rows<Bf16Tile>(t); }
void gemm_int8_micro_kernel(const MicroTileInt8& t) { dispatch_rows<Int8Tile>(t); }

}  // namespace packformer::avx512
