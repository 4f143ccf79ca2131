// AVX2 + FMA build of the GEMM micro-kernel (this file is compiled with -mavx2 -mfma).
// Everything here except the two entry points has internal linkage (see gemm_kernel.h).
#include <immintrin.h>

#include "backends/cpu/kernels/gemm_kernel.h"

namespace packformer::avx2 {
namespace {

constexpr int64_t kPrefetchSteps = 16;

// Adds the epilogue terms and stores one row of 16 (or fewer) values.
inline void finish_row(const MicroTile& t, int64_t i, __m256 v0, __m256 v1, __m256 bias0, __m256 bias1) {
  float* c = t.c + i * t.ldc;
  const float* r = t.residual != nullptr ? t.residual + i * t.ldr : nullptr;
  if (t.cols == kGemmNR) {
    if (t.accumulate) v0 = _mm256_add_ps(v0, _mm256_loadu_ps(c)), v1 = _mm256_add_ps(v1, _mm256_loadu_ps(c + 8));
    v0 = _mm256_add_ps(v0, bias0), v1 = _mm256_add_ps(v1, bias1);
    if (r != nullptr) v0 = _mm256_add_ps(v0, _mm256_loadu_ps(r)), v1 = _mm256_add_ps(v1, _mm256_loadu_ps(r + 8));
    _mm256_storeu_ps(c, v0);
    _mm256_storeu_ps(c + 8, v1);
    return;
  }
  alignas(32) float row[kGemmNR];
  _mm256_store_ps(row, v0);
  _mm256_store_ps(row + 8, v1);
  for (int64_t j = 0; j < t.cols; ++j) {
    float v = row[j];
    if (t.accumulate) v += c[j];
    if (t.bias != nullptr) v += t.bias[j];
    if (r != nullptr) v += r[j];
    c[j] = v;
  }
}

// R rows x 16 columns: 2R accumulators; rows are a template parameter so M tails (and
// M < 6, the small-batch case) do no wasted FMAs.
template <int R>
void tile(const MicroTile& t) {
  // C (and the residual) are read or written only after the k loop: start their cache misses
  // now so they overlap with it (large M: C is far out of cache between K blocks).
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc + kGemmNR - 1), _MM_HINT_T0);
    if (t.residual != nullptr) {
      _mm_prefetch(reinterpret_cast<const char*>(t.residual + i * t.ldr), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(t.residual + i * t.ldr + kGemmNR - 1), _MM_HINT_T0);
    }
  }
  __m256 acc0[R], acc1[R];
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  const float* a = t.a;
  const float* b = t.b;
  const int64_t kc = t.kc;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    // B is streamed once per row block; for small M it comes from DRAM/L3 and the hardware
    // prefetcher alone does not keep up: fetch kPrefetchSteps k-steps (cache lines) ahead.
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchSteps * kGemmNR), _MM_HINT_T0);
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
    }
    a += kGemmMR;
    b += kGemmNR;
  }
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  if (t.bias != nullptr) {
    if (t.cols == kGemmNR) {
      bias0 = _mm256_loadu_ps(t.bias), bias1 = _mm256_loadu_ps(t.bias + 8);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) finish_row(t, i, acc0[i], acc1[i], bias0, bias1);
}

}  // namespace

void gemm_micro_kernel(const MicroTile& t) {
  switch (t.rows) {
    case 1: tile<1>(t); break;
    case 2: tile<2>(t); break;
    case 3: tile<3>(t); break;
    case 4: tile<4>(t); break;
    case 5: tile<5>(t); break;
    default: tile<6>(t); break;
  }
}

}  // namespace packformer::avx2

// Vectorised activations for the epilogue. Accuracy targets: relative error ~2e-7 (1e-7
// absolute where the result is near 0), so the result matches activate() to 1e-6 relative.
namespace packformer::avx2 {
namespace {

inline __m256 splat(float v) { return _mm256_set1_ps(v); }

// e^x: x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two for an exact product), degree-6
// Taylor polynomial for e^r (relative error < 2e-7), 2^n built in the exponent bits.
inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, splat(-87.0f)), splat(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, splat(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, splat(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, splat(1.428606765330187045e-06f), r);
  __m256 p = splat(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, splat(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, splat(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, splat(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, splat(0.5f));
  p = _mm256_fmadd_ps(p, r, splat(1.0f));
  p = _mm256_fmadd_ps(p, r, splat(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// erfc(a) for a >= 0: t = 1 / (1 + a/2), erfc = t exp(-a^2 + P(t)), the Chebyshev-fitted form
// from Numerical Recipes (fractional error < 1.2e-7 everywhere, so no cancellation near 0).
inline __m256 erfc_nonneg_ps(__m256 a) {
  const __m256 t = _mm256_div_ps(splat(1.0f), _mm256_fmadd_ps(splat(0.5f), a, splat(1.0f)));
  __m256 p = splat(0.17087277f);
  p = _mm256_fmadd_ps(p, t, splat(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, splat(1.48851587f));
  p = _mm256_fmadd_ps(p, t, splat(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, splat(0.27886807f));
  p = _mm256_fmadd_ps(p, t, splat(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, splat(0.09678418f));
  p = _mm256_fmadd_ps(p, t, splat(0.37409196f));
  p = _mm256_fmadd_ps(p, t, splat(1.00002368f));
  p = _mm256_fmadd_ps(p, t, splat(-1.26551223f));
  return _mm256_mul_ps(t, exp_ps(_mm256_fnmadd_ps(a, a, p)));
}

// GELU(x) = x/2 (1 + erf(x/sqrt2)) = x/2 erfc(-x/sqrt2): x/2 erfc(|z|) for x < 0, else x (1 - erfc(z)/2).
inline __m256 gelu_ps(__m256 x) {
  const __m256 a = _mm256_andnot_ps(splat(-0.0f), _mm256_mul_ps(x, splat(0.70710678118654752f)));
  const __m256 e = erfc_nonneg_ps(a);
  const __m256 negative = _mm256_mul_ps(_mm256_mul_ps(splat(0.5f), x), e);
  const __m256 positive = _mm256_mul_ps(x, _mm256_fnmadd_ps(splat(0.5f), e, splat(1.0f)));
  return _mm256_blendv_ps(positive, negative, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

// x / (1 + e^(-s x)): SiLU (s = 1), QuickGELU (s = 1.702), and GELU-tanh's x/2 (1 + tanh u)
// = x / (1 + e^(-2u)) with its own argument.
inline __m256 sigmoid_times_ps(__m256 x, __m256 arg) {
  return _mm256_div_ps(x, _mm256_add_ps(splat(1.0f), exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), arg))));
}

inline __m256 gelu_tanh_ps(__m256 x) {
  const __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
  const __m256 u = _mm256_mul_ps(splat(0.7978845608028654f), _mm256_fmadd_ps(splat(0.044715f), x3, x));
  return sigmoid_times_ps(x, _mm256_add_ps(u, u));
}

// tanh: odd Taylor series to x^13 for |x| < 0.3 (truncation < 1e-9 relative), otherwise
// sign(x) (1 - 2 / (e^(2|x|) + 1)).
inline __m256 tanh_ps(__m256 x) {
  const __m256 sign = _mm256_and_ps(x, splat(-0.0f));
  const __m256 a = _mm256_andnot_ps(splat(-0.0f), x);
  const __m256 e = exp_ps(_mm256_add_ps(a, a));
  const __m256 large = _mm256_sub_ps(splat(1.0f), _mm256_div_ps(splat(2.0f), _mm256_add_ps(e, splat(1.0f))));
  const __m256 a2 = _mm256_mul_ps(a, a);
  __m256 p = splat(21844.0f / 6081075.0f);
  p = _mm256_fmadd_ps(p, a2, splat(-1382.0f / 155925.0f));
  p = _mm256_fmadd_ps(p, a2, splat(62.0f / 2835.0f));
  p = _mm256_fmadd_ps(p, a2, splat(-17.0f / 315.0f));
  p = _mm256_fmadd_ps(p, a2, splat(2.0f / 15.0f));
  p = _mm256_fmadd_ps(p, a2, splat(-1.0f / 3.0f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, a2), a, a);
  const __m256 result = _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, splat(0.3f), _CMP_LT_OQ));
  return _mm256_or_ps(result, sign);
}

inline __m256 activate_ps(ActivationCode code, __m256 x) {
  switch (code) {
    case ActivationCode::Gelu: return gelu_ps(x);
    case ActivationCode::GeluTanh: return gelu_tanh_ps(x);
    case ActivationCode::Relu: return _mm256_max_ps(x, _mm256_setzero_ps());
    case ActivationCode::Silu: return sigmoid_times_ps(x, x);
    case ActivationCode::QuickGelu: return sigmoid_times_ps(x, _mm256_mul_ps(splat(1.702f), x));
    case ActivationCode::Tanh: return tanh_ps(x);
  }
  return x;
}

}  // namespace

void gemm_activate(ActivationCode code, float* data, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(data + i, activate_ps(code, _mm256_loadu_ps(data + i)));
  if (i < n) {  // the tail through a padded register
    alignas(32) float tail[8] = {};
    for (int64_t j = i; j < n; ++j) tail[j - i] = data[j];
    _mm256_store_ps(tail, activate_ps(code, _mm256_load_ps(tail)));
    for (int64_t j = i; j < n; ++j) data[j] = tail[j - i];
  }
}

}  // namespace packformer::avx2
