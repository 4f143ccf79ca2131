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

// The rule of gemm_int8.h for a vector whose largest magnitude is amax.
Quantization quantization(float amax) {
  if (!std::isfinite(amax)) return {NAN, 0.0f};
  const float inverse = 127.0f / amax;
  if (!(inverse <= FLT_MAX)) return {0.0f, 0.0f};  // amax = 0, or so small 127 / amax overflows
  return {amax / 127.0f, inverse};
}

// Clamped before rounding: a NaN (v * 0 of a non-finite v) becomes -127 instead of undefined
// behaviour; its row's NaN scale makes the outputs NaN anyway.
inline int32_t quantize(float v, float inverse) {
  return static_cast<int32_t>(std::nearbyint(std::min(127.0f, std::max(-127.0f, v * inverse))));
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

// Four values quantized (clamped, then rounded to nearest even by cvtps2dq under the default
// rounding mode, as std::nearbyint) and narrowed to s16 (low 64 bits) and s8 (low 32 bits).
inline __m128i quantize4(const float* v, __m128 inverse) {
  const __m128 clamped = _mm_min_ps(_mm_set1_ps(127.0f), _mm_max_ps(_mm_set1_ps(-127.0f), _mm_mul_ps(_mm_loadu_ps(v), inverse)));
  return _mm_cvtps_epi32(clamped);
}

int64_t group_of(Int8Layout layout) { return layout == Int8Layout::U8S8Quads ? 4 : 2; }

// The row block's scales (begin_rows), thread-local like the packed A they belong to.
thread_local float t_row_scale[kMC];
thread_local float t_row_inverse[kMC];

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
      const Quantization q = quantization(max_abs(x + (row0 + i) * k, k));
      t_row_scale[i] = q.scale;
      t_row_inverse[i] = q.inverse;
    }
  }

  // Rows past `rows` and k past kc are q = 0 (their weights are 0 past K anyway). Four values
  // at a time, the tail one by one.
  void pack_a(int64_t row0, int64_t rows, int64_t k0, int64_t kc, void* out) const {
    const int64_t mr = kernel->mr;
    const bool quads = kernel->layout == Int8Layout::U8S8Quads;
    const int64_t group = quads ? 4 : 2, kpad = round_up(kc, group), groups = kpad / group;
    for (int64_t i0 = 0; i0 < rows; i0 += mr) {
      const int64_t r = std::min(mr, rows - i0);
      // Word g * mr + i holds row i's group g: four u8 (q + 128) or two s16 (q).
      uint32_t* panel = static_cast<uint32_t*>(out) + i0 / mr * groups * mr;
      for (int64_t i = 0; i < r; ++i) {
        const float* src = x + (row0 + i0 + i) * k + k0;
        const float inverse = t_row_inverse[i0 + i];
        const __m128 inv4 = _mm_set1_ps(inverse);
        int64_t kk = 0;
        for (; kk + 4 <= kc; kk += 4) {
          const __m128i q32 = quantize4(src + kk, inv4);
          const __m128i q16 = _mm_packs_epi32(q32, q32);
          if (quads) {
            // s8 -> u8 + 128 is flipping the sign bit.
            panel[kk / 4 * mr + i] = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_packs_epi16(q16, q16))) ^ 0x80808080u;
          } else {
            panel[kk / 2 * mr + i] = static_cast<uint32_t>(_mm_cvtsi128_si32(q16));
            panel[(kk / 2 + 1) * mr + i] = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(q16, 4)));
          }
        }
        if (kk < kpad) {  // the last, partial group(s): at most 3 values
          int32_t q[4] = {0, 0, 0, 0};
          for (int64_t t = 0; kk + t < kc; ++t) q[t] = quantize(src[kk + t], inverse);
          for (int64_t g = kk / group; g < groups; ++g) {
            const int32_t* v = q + (g * group - kk);
            panel[g * mr + i] = quads ? (static_cast<uint32_t>(v[0] + 128) | static_cast<uint32_t>(v[1] + 128) << 8 |
                                         static_cast<uint32_t>(v[2] + 128) << 16 | static_cast<uint32_t>(v[3] + 128) << 24)
                                      : (static_cast<uint32_t>(v[0]) & 0xFFFFu) | static_cast<uint32_t>(v[1]) << 16;
          }
        }
      }
      const uint32_t zero_word = quads ? 0x80808080u : 0u;  // q = 0
      for (int64_t i = r; i < mr; ++i)
        for (int64_t g = 0; g < groups; ++g) panel[g * mr + i] = zero_word;
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
    t.col_scale = w->scales() + col;
    t.compensation = w->compensation() != nullptr ? w->compensation() + col : nullptr;
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
  if (quads) compensation_.assign(static_cast<size_t>(panels_ * nr), 0);
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
    if (quads) compensation_[col] = 128 * sum;
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
