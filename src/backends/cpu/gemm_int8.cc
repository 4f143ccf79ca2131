#include "backends/cpu/gemm_int8.h"

#include <emmintrin.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "backends/cpu/gemm_lowp_driver.h"
#include "packformer/error.h"

namespace packformer {
namespace {

using gemm_blocking::ceil_div;
using gemm_blocking::kMC;
using gemm_blocking::round_up;

struct Quantization {
  float scale, inverse;
};

// The weight rule of gemm_int8.h for a column whose largest magnitude is amax.
Quantization quantization(float amax) {
  if (!std::isfinite(amax)) return {NAN, 0.0f};
  const float inverse = 127.0f / amax;
  if (!(inverse <= FLT_MAX)) return {0.0f, 0.0f};  // amax = 0, or so small 127 / amax overflows
  return {amax / 127.0f, inverse};
}

// One weight as s8 (weights are finite; the clamp keeps a rounding past 127 in range).
inline int32_t quantize(float v, float inverse) {
  return static_cast<int32_t>(std::nearbyint(std::min(127.0f, std::max(-127.0f, v * inverse))));
}

struct RowQuantization {
  float scale, inverse;
  int32_t zero_point;
};

// The activation rule of gemm_int8.h for a row with extremes lo <= 0 <= hi (NaN: not finite).
// hi / 255 - lo / 255 rather than (hi - lo) / 255: the difference could overflow.
RowQuantization row_quantization(float lo, float hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {NAN, 0.0f, 0};
  const float scale = hi / 255.0f - lo / 255.0f, inverse = 1.0f / scale;
  if (!(inverse <= FLT_MAX)) return {0.0f, 0.0f, 0};  // all zeros, or so small 1 / scale overflows
  const float zero_point = std::min(255.0f, std::max(0.0f, std::nearbyint(-lo * inverse)));
  return {scale, inverse, static_cast<int32_t>(zero_point)};
}

// One activation as u8: x * inverse is within +-255 for x in [lo, hi] (clamped first, so a NaN
// or a rounding past it stays in range), rounded, shifted by the zero point, clamped to [0, 255].
inline int32_t quantize_u8(float v, float inverse, int32_t zero_point) {
  const int32_t q = static_cast<int32_t>(std::nearbyint(std::min(255.0f, std::max(-255.0f, v * inverse))));
  return std::min(255, std::max(0, q + zero_point));
}

// min(min v, 0) and max(max v, 0), or NaN for both when v holds an infinity or NaN. SSE2.
void row_range(const float* v, int64_t n, float& lo, float& hi) {
  const __m128 zero = _mm_setzero_ps();
  __m128 low = zero, high = zero, poison = zero;  // poison: sum of v * 0, NaN iff some v is not finite
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128 x = _mm_loadu_ps(v + i);
    low = _mm_min_ps(low, x);
    high = _mm_max_ps(high, x);
    poison = _mm_add_ps(poison, _mm_mul_ps(x, zero));
  }
  alignas(16) float lows[4], highs[4], poisons[4];
  _mm_store_ps(lows, low);
  _mm_store_ps(highs, high);
  _mm_store_ps(poisons, poison);
  lo = std::min(std::min(lows[0], lows[1]), std::min(lows[2], lows[3]));
  hi = std::max(std::max(highs[0], highs[1]), std::max(highs[2], highs[3]));
  bool finite = !std::isnan(poisons[0] + poisons[1] + poisons[2] + poisons[3]);
  for (; i < n; ++i) {
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
    finite &= std::isfinite(v[i]);
  }
  if (!finite) lo = hi = NAN;
}

// max |v|, or infinity when v holds an infinity or NaN. SSE2 (every x86-64): the plain loop's
// reduction stays scalar.
float max_abs(const float* v, int64_t n) {
  const __m128 sign = _mm_set1_ps(-0.0f), zero = _mm_setzero_ps();
  __m128 amax = zero, poison = zero;  // poison: sum of v * 0, NaN iff some v is not finite
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m128 x = _mm_loadu_ps(v + i);
    amax = _mm_max_ps(amax, _mm_andnot_ps(sign, x));
    poison = _mm_add_ps(poison, _mm_mul_ps(x, zero));
  }
  alignas(16) float lanes[4], poisons[4];
  _mm_store_ps(lanes, amax);
  _mm_store_ps(poisons, poison);
  float out = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
  bool finite = !std::isnan(poisons[0] + poisons[1] + poisons[2] + poisons[3]);
  for (; i < n; ++i) {
    out = std::max(out, std::fabs(v[i]));
    finite &= std::isfinite(v[i]);
  }
  return finite ? out : INFINITY;
}

// Four activations as quantize_u8 (rounded to nearest even by cvtps2dq under the default
// rounding mode, as std::nearbyint), before the clamp to [0, 255]: in [-255, 510].
inline __m128i quantize4(const float* v, __m128 inverse, __m128i zero_point) {
  const __m128 clamped = _mm_min_ps(_mm_set1_ps(255.0f), _mm_max_ps(_mm_set1_ps(-255.0f), _mm_mul_ps(_mm_loadu_ps(v), inverse)));
  return _mm_add_epi32(_mm_cvtps_epi32(clamped), zero_point);
}

int64_t group_of(Int8Layout layout) { return layout == Int8Layout::U8S8Quads ? 4 : 2; }

// The row block's quantization (begin_rows), thread-local like the packed A it belongs to.
thread_local float t_row_scale[kMC];
thread_local float t_row_inverse[kMC];
thread_local int32_t t_row_zero_point[kMC];

struct Int8Op {
  const float* x;
  int64_t k;
  const PackedWeightsInt8* w;
  const GemmInt8Kernel* kernel;
  float* y;
  int64_t n;
  const GemmEpilogue* epilogue;

  void begin_rows(int64_t row0, int64_t rows) const {
    for (int64_t i = 0; i < rows; ++i) {
      float lo, hi;
      row_range(x + (row0 + i) * k, k, lo, hi);
      const RowQuantization q = row_quantization(lo, hi);
      t_row_scale[i] = q.scale;
      t_row_inverse[i] = q.inverse;
      t_row_zero_point[i] = q.zero_point;
    }
  }

  // Rows past `rows` and k past kc are 0 (unused rows; the weights are 0 past K). Four values
  // at a time, the tail one by one.
  void pack_a(int64_t row0, int64_t rows, int64_t k0, int64_t kc, void* out) const {
    const int64_t mr = kernel->mr;
    const bool quads = kernel->layout == Int8Layout::U8S8Quads;
    const int64_t group = quads ? 4 : 2, kpad = round_up(kc, group), groups = kpad / group;
    const __m128i zero = _mm_setzero_si128(), u8_max = _mm_set1_epi16(255);
    for (int64_t i0 = 0; i0 < rows; i0 += mr) {
      const int64_t r = std::min(mr, rows - i0);
      // Word g * mr + i holds row i's group g: four u8 or two s16, each a q in [0, 255].
      uint32_t* panel = static_cast<uint32_t*>(out) + i0 / mr * groups * mr;
      for (int64_t i = 0; i < r; ++i) {
        const float* src = x + (row0 + i0 + i) * k + k0;
        const float inverse = t_row_inverse[i0 + i];
        const int32_t zero_point = t_row_zero_point[i0 + i];
        const __m128 inv4 = _mm_set1_ps(inverse);
        const __m128i zp4 = _mm_set1_epi32(zero_point);
        int64_t kk = 0;
        for (; kk + 4 <= kc; kk += 4) {
          const __m128i q16 = _mm_packs_epi32(quantize4(src + kk, inv4, zp4), zero);
          if (quads) {
            panel[kk / 4 * mr + i] = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_packus_epi16(q16, zero)));  // clamps to [0, 255]
          } else {
            const __m128i clamped = _mm_min_epi16(_mm_max_epi16(q16, zero), u8_max);
            panel[kk / 2 * mr + i] = static_cast<uint32_t>(_mm_cvtsi128_si32(clamped));
            panel[(kk / 2 + 1) * mr + i] = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(clamped, 4)));
          }
        }
        if (kk < kpad) {  // the last, partial group(s): at most 3 values
          uint32_t q[4] = {0, 0, 0, 0};
          for (int64_t t = 0; kk + t < kc; ++t) q[t] = static_cast<uint32_t>(quantize_u8(src[kk + t], inverse, zero_point));
          for (int64_t g = kk / group; g < groups; ++g) {
            const uint32_t* v = q + (g * group - kk);
            panel[g * mr + i] = quads ? (v[0] | v[1] << 8 | v[2] << 16 | v[3] << 24) : (v[0] | v[1] << 16);
          }
        }
      }
      for (int64_t i = r; i < mr; ++i)
        for (int64_t g = 0; g < groups; ++g) panel[g * mr + i] = 0;
    }
  }

  void tile(const void* a, int64_t row, int64_t rows, int64_t row_in_block, int64_t p, int64_t k0, int64_t kc,
            bool accumulate, bool last) const {
    const int64_t nr = kernel->nr, col = p * nr;
    const int64_t group = group_of(kernel->layout), element_bytes = kernel->layout == Int8Layout::U8S8Quads ? 1 : 2;
    MicroTileInt8 t;
    t.a = a;
    t.b = static_cast<const unsigned char*>(w->panel(p)) + k0 * nr * element_bytes;
    t.groups = ceil_div(kc, group);
    t.c = y + row * n + col;
    t.ldc = n;
    t.rows = rows;
    t.cols = std::min(nr, n - col);
    t.accumulate = accumulate;
    t.finish = last;
    t.row_scale = t_row_scale + row_in_block;
    t.zero_point = t_row_zero_point + row_in_block;
    t.col_scale = w->scales() + col;
    t.column_sum = w->column_sums() + col;
    t.bias = last && epilogue->bias != nullptr ? epilogue->bias + col : nullptr;
    t.residual = last && epilogue->residual != nullptr ? epilogue->residual + row * n + col : nullptr;
    t.ldr = n;
    kernel->micro(t);
  }
};

}  // namespace

PackedWeightsInt8::PackedWeightsInt8(const float* weight, int64_t n, int64_t k, Isa isa)
    : kernels_(&kernel_table(isa)), n_(n), k_(k) {
  if (n < 0 || k < 0)
    fail(ErrorKind::InvalidInput, "PackedWeightsInt8: shape [" + std::to_string(n) + ", " + std::to_string(k) +
                                      "] has a negative size");
  if (k > kInt8MaxK)
    fail(ErrorKind::Unsupported, "PackedWeightsInt8: k = " + std::to_string(k) + " inputs per output; the int8 GEMM takes at most " +
                                     std::to_string(kInt8MaxK) + " (past that its int32 sums could overflow)");
  const GemmInt8Kernel& kernel = kernels_->gemm_int8;
  const int64_t nr = kernel.nr, group = group_of(kernel.layout);
  const bool quads = kernel.layout == Int8Layout::U8S8Quads;
  const int64_t element_bytes = quads ? 1 : 2, k_padded = round_up(k, group);
  panels_ = ceil_div(n, nr);
  panel_bytes_ = k_padded * nr * element_bytes;
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(1, panels_ * panel_bytes_));
  data_.reset(static_cast<unsigned char*>(std::aligned_alloc(64, round_up(static_cast<int64_t>(bytes), 64))));
  if (data_ == nullptr) fail(ErrorKind::OutOfMemory, "PackedWeightsInt8: cannot allocate " + std::to_string(bytes) + " bytes");
  std::fill(data_.get(), data_.get() + bytes, 0);
  scales_.assign(static_cast<size_t>(panels_ * nr), 0.0f);
  column_sums_.assign(static_cast<size_t>(panels_ * nr), 0);
  std::vector<int32_t> q(static_cast<size_t>(k));
  for (int64_t col = 0; col < n; ++col) {
    const float* row = weight + col * k;
    const float amax = max_abs(row, k);
    if (!std::isfinite(amax)) {
      const int64_t bad = std::find_if(row, row + k, [](float v) { return !std::isfinite(v); }) - row;
      fail(ErrorKind::InvalidInput, "PackedWeightsInt8: weight [" + std::to_string(col) + ", " + std::to_string(bad) +
                                        "] is " + std::to_string(row[bad]) + "; int8 quantization needs finite weights");
    }
    const Quantization quant = quantization(amax);
    scales_[col] = quant.scale;
    int32_t sum = 0;
    for (int64_t kk = 0; kk < k; ++kk) sum += q[kk] = quantize(row[kk], quant.inverse);
    column_sums_[col] = sum;
    unsigned char* panel = data_.get() + col / nr * panel_bytes_;
    const int64_t j = col % nr;
    for (int64_t kk = 0; kk < k; ++kk) {
      const int64_t slot = (kk / group * nr + j) * group + kk % group;
      if (quads) reinterpret_cast<int8_t*>(panel)[slot] = static_cast<int8_t>(q[kk]);
      else reinterpret_cast<int16_t*>(panel)[slot] = static_cast<int16_t>(q[kk]);
    }
  }
}

void packed_gemm_int8(const float* x, int64_t m, const PackedWeightsInt8& w, float* y, const GemmEpilogue& epilogue) {
  const GemmInt8Kernel& kernel = w.kernels().gemm_int8;
  const Int8Op op{x, w.k(), &w, &kernel, y, w.n(), &epilogue};
  const int64_t group = group_of(kernel.layout), a_bytes = kernel.layout == Int8Layout::U8S8Quads ? 1 : 2;
  gemm_lowp::run(op, {m, w.n(), w.k(), kernel.mr, kernel.nr, w.panels(), group, a_bytes, y, &epilogue, &w.kernels().gemm});
}

}  // namespace packformer
