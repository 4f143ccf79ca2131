// AVX512_VNNI build of the int8 micro-kernel (compiled with the AVX-512 flags plus
// -mavx512vnni; run only where isa.cc finds the flag): vpdpbusd multiplies four u8 activations
// (q, broadcast) by four s8 weights in each of 16 columns and adds the four products to int32
// accumulators, without saturation. The epilogue subtracts zero_point x sum_k W[j][k].
#include <immintrin.h>

#include "backends/cpu/kernels/gemm_lowp_kernel.h"

namespace packformer::avx512vnni {
#include "backends/cpu/kernels/gemm_lowp_avx512_epilogue.h"

namespace {

static_assert(kLowpNR == 32, "the tile is two zmm registers wide");

constexpr int64_t kPrefetchSteps = 8;
constexpr int64_t kL2PrefetchSteps = 64;

template <int R>
struct Int8Tile {
  static void run(const MicroTileInt8& t) {
    constexpr int S = independent_sums(R);
    __m512i acc0[S][R], acc1[S][R];
#pragma GCC unroll 16
    for (int s = 0; s < S; ++s)
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) acc0[s][i] = acc1[s][i] = _mm512_setzero_si512();
    const int32_t* a = static_cast<const int32_t*>(t.a);  // one word = row i's four u8
    const int8_t* b = static_cast<const int8_t*>(t.b);
    // One group of four k into the sums of set s.
    const auto step = [&](int s) __attribute__((always_inline)) {
      _mm_prefetch(reinterpret_cast<const char*>(b) + kPrefetchSteps * 128, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b) + kPrefetchSteps * 128 + 64, _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b) + kL2PrefetchSteps * 128, _MM_HINT_T1);
      _mm_prefetch(reinterpret_cast<const char*>(b) + kL2PrefetchSteps * 128 + 64, _MM_HINT_T1);
      const __m512i w0 = _mm512_loadu_si512(b), w1 = _mm512_loadu_si512(b + 64);
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i) {
        const __m512i ai = _mm512_set1_epi32(a[i]);
        acc0[s][i] = _mm512_dpbusd_epi32(acc0[s][i], ai, w0);
        acc1[s][i] = _mm512_dpbusd_epi32(acc1[s][i], ai, w1);
      }
      a += kLowpMR;
      b += 4 * kLowpNR;
    };
    int64_t g = 0;
#pragma GCC unroll 2
    for (; g + S <= t.groups; g += S)
#pragma GCC unroll 16
      for (int s = 0; s < S; ++s) step(s);
    for (; g < t.groups; ++g) step(0);
#pragma GCC unroll 16
    for (int s = 1; s < S; ++s)
#pragma GCC unroll 8
      for (int i = 0; i < R; ++i)
        acc0[0][i] = _mm512_add_epi32(acc0[0][i], acc0[s][i]), acc1[0][i] = _mm512_add_epi32(acc1[0][i], acc1[s][i]);
    __m512 bias0, bias1;
    load_bias(t.bias, t.cols, bias0, bias1);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) finish_int8_row(t, i, acc0[0][i], acc1[0][i], bias0, bias1);
  }
};

}  // namespace

void gemm_int8_micro_kernel(const MicroTileInt8& t) { dispatch_rows<Int8Tile>(t); }

}  // namespace packformer::avx512vnni
