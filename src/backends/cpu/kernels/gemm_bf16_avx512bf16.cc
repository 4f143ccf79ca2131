// AVX512_BF16 build of the bf16 micro-kernel (compiled with the AVX-512 flags plus
// -mavx512bf16 -mavx512vnni; run only where isa.cc finds both flags): vdpbf16ps multiplies a
// broadcast pair of bf16 activations by 16 columns' pairs of bf16 weights and adds both
// products to fp32 accumulators, twice the multiply-adds per instruction of an fp32 FMA.
// It flushes subnormal inputs and results to zero (bf16 subnormals are below 1.2e-38).
#include <immintrin.h>

#include "backends/cpu/kernels/gemm_lowp_kernel.h"

namespace packformer::avx512bf16 {
#include "backends/cpu/kernels/gemm_lowp_avx512_epilogue.h"

namespace {

static_assert(kLowpNR == 32, "the tile is two zmm registers wide");

constexpr int64_t kPrefetchSteps = 8;
constexpr int64_t kL2PrefetchSteps = 64;

template <int R>
struct Bf16Tile {
  static void run(const MicroTileBf16& t) {
    constexpr int S = independent_sums(R);
    __m512 acc0[S][R], acc1[S][R];
#pragma GCC unroll 16
    for (int s = 0; s < S; ++s)
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) acc0[s][i] = acc1[s][i] = _mm512_setzero_ps();
    const int32_t* a = static_cast<const int32_t*>(t.a);  // one word = row i's pair
    const uint32_t* b = t.b;
    // One pair of k into the sums of set s.
    const auto step = [&](int s) __attribute__((always_inline)) {
      const char* ahead = reinterpret_cast<const char*>(b);
      _mm_prefetch(ahead + kPrefetchSteps * 128, _MM_HINT_T0);
      _mm_prefetch(ahead + kPrefetchSteps * 128 + 64, _MM_HINT_T0);
      _mm_prefetch(ahead + kL2PrefetchSteps * 128, _MM_HINT_T1);
      _mm_prefetch(ahead + kL2PrefetchSteps * 128 + 64, _MM_HINT_T1);
      const __m512bh w0 = (__m512bh)_mm512_loadu_si512(b), w1 = (__m512bh)_mm512_loadu_si512(b + 16);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m512bh ai = (__m512bh)_mm512_set1_epi32(a[i]);
        acc0[s][i] = _mm512_dpbf16_ps(acc0[s][i], ai, w0);
        acc1[s][i] = _mm512_dpbf16_ps(acc1[s][i], ai, w1);
      }
      a += kLowpMR;
      b += kLowpNR;
    };
    int64_t p = 0;
#pragma GCC unroll 2
    for (; p + S <= t.kp; p += S)
#pragma GCC unroll 16
      for (int s = 0; s < S; ++s) step(s);
    for (; p < t.kp; ++p) step(0);
#pragma GCC unroll 16
    for (int s = 1; s < S; ++s)
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) acc0[0][i] = _mm512_add_ps(acc0[0][i], acc0[s][i]), acc1[0][i] = _mm512_add_ps(acc1[0][i], acc1[s][i]);
    __m512 bias0, bias1;
    load_bias(t.bias, t.cols, bias0, bias1);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) finish_float_row(t, i, acc0[0][i], acc1[0][i], bias0, bias1);
  }
};

}  // namespace

void gemm_bf16_micro_kernel(const MicroTileBf16& t) { dispatch_rows<Bf16Tile>(t); }

}  // namespace packformer::avx512bf16
