#include "backends/cpu/gemm_bf16.h"

#include <smmintrin.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "backends/cpu/gemm_lowp_driver.h"
#include "core/half.h"
#include "packformer/error.h"

namespace packformer {
namespace {

using gemm_blocking::ceil_div;
using gemm_blocking::round_up;

uint16_t to_bf16(float v) { return float_to_bfloat16(v); }
uint16_t to_bf16(uint16_t v) { return v; }

// float_to_bfloat16 of four values, each in the upper half of its lane (the lower half 0):
// rounding to nearest even, NaN kept a quiet NaN. SSE4.1, the library's baseline.
inline __m128i to_bf16_high4(const float* v) {
  const __m128 x = _mm_loadu_ps(v);
  const __m128i bits = _mm_castps_si128(x);
  const __m128i odd = _mm_and_si128(_mm_srli_epi32(bits, 16), _mm_set1_epi32(1));
  const __m128i rounded = _mm_add_epi32(bits, _mm_add_epi32(_mm_set1_epi32(0x7FFF), odd));
  const __m128i nan = _mm_or_si128(bits, _mm_set1_epi32(0x400000));
  const __m128i chosen = _mm_blendv_epi8(rounded, nan, _mm_castps_si128(_mm_cmpunord_ps(x, x)));
  return _mm_and_si128(chosen, _mm_set1_epi32(static_cast<int>(0xFFFF0000u)));
}

// Row `rows` x [k0, k0 + kc) of x, rounded to bf16, into the micro-panels the kernel reads.
struct Bf16Op {
  const float* x;
  int64_t k;
  const PackedWeightsBf16* w;
  const GemmBf16Kernel* kernel;
  float* y;
  int64_t n;
  const GemmEpilogue* epilogue;

  void begin_rows(int64_t, int64_t) const {}

  void pack_a(int64_t row0, int64_t rows, int64_t k0, int64_t kc, void* out) const {
    const int64_t mr = kernel->mr, kp = ceil_div(kc, 2);
    for (int64_t i0 = 0; i0 < rows; i0 += mr) {
      const int64_t r = std::min(mr, rows - i0);
      if (kernel->a_format == Bf16AFormat::Pairs) {
        uint32_t* panel = static_cast<uint32_t*>(out) + i0 / mr * (kp * mr);
        for (int64_t i = 0; i < r; ++i) {
          const float* src = x + (row0 + i0 + i) * k + k0;
          int64_t q = 0;
          for (; 2 * q + 4 <= kc; q += 2) {  // two pairs: four bf16 packed into two words
            const __m128i high = to_bf16_high4(src + 2 * q);
            const __m128i packed = _mm_packus_epi32(_mm_srli_epi32(high, 16), _mm_srli_epi32(high, 16));
            panel[q * mr + i] = static_cast<uint32_t>(_mm_cvtsi128_si32(packed));
            panel[(q + 1) * mr + i] = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(packed, 4)));
          }
          for (; q < kc / 2; ++q)
            panel[q * mr + i] = to_bf16(src[2 * q]) | static_cast<uint32_t>(to_bf16(src[2 * q + 1])) << 16;
          if (kc % 2 != 0) panel[kc / 2 * mr + i] = to_bf16(src[kc - 1]);  // odd K: the pair's second is 0
        }
        for (int64_t i = r; i < mr; ++i)
          for (int64_t q = 0; q < kp; ++q) panel[q * mr + i] = 0;
      } else {
        float* panel = static_cast<float*>(out) + i0 / mr * (2 * kp * mr);
        for (int64_t i = 0; i < r; ++i) {
          const float* src = x + (row0 + i0 + i) * k + k0;
          int64_t kk = 0;
          for (; kk + 4 <= kc; kk += 4) {
            alignas(16) float widened[4];
            _mm_store_si128(reinterpret_cast<__m128i*>(widened), to_bf16_high4(src + kk));
            for (int64_t t = 0; t < 4; ++t) panel[(kk + t) * mr + i] = widened[t];
          }
          for (; kk < kc; ++kk) panel[kk * mr + i] = bfloat16_to_float(to_bf16(src[kk]));
          if (kc % 2 != 0) panel[kc * mr + i] = 0.0f;
        }
        for (int64_t i = r; i < mr; ++i)
          for (int64_t kk = 0; kk < 2 * kp; ++kk) panel[kk * mr + i] = 0.0f;
      }
    }
  }

  void tile(const void* a, int64_t row, int64_t rows, int64_t, int64_t p, int64_t k0, int64_t kc, bool accumulate,
            bool last) const {
    const int64_t nr = kernel->nr, col = p * nr;
    MicroTileBf16 t;
    t.a = a;
    t.b = w->panel(p) + k0 / 2 * nr;
    t.kp = ceil_div(kc, 2);
    t.c = y + row * n + col;
    t.ldc = n;
    t.rows = rows;
    t.cols = std::min(nr, n - col);
    t.accumulate = accumulate;
    t.bias = last && epilogue->bias != nullptr ? epilogue->bias + col : nullptr;
    t.residual = last && epilogue->residual != nullptr ? epilogue->residual + row * n + col : nullptr;
    t.ldr = n;
    kernel->micro(t);
  }
};

}  // namespace

template <typename Source>
void PackedWeightsBf16::pack(const Source* weight, Isa isa) {
  kernels_ = &kernel_table(isa);
  if (n_ < 0 || k_ < 0)
    fail(ErrorKind::InvalidInput, "PackedWeightsBf16: shape [" + std::to_string(n_) + ", " + std::to_string(k_) +
                                      "] has a negative size");
  const int64_t nr = kernels_->gemm_bf16.nr, kp = ceil_div(k_, 2);
  panels_ = ceil_div(n_, nr);
  panel_size_ = kp * nr;
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(1, panels_ * panel_size_)) * sizeof(uint32_t);
  data_.reset(static_cast<uint32_t*>(std::aligned_alloc(64, round_up(static_cast<int64_t>(bytes), 64))));
  if (data_ == nullptr) fail(ErrorKind::OutOfMemory, "PackedWeightsBf16: cannot allocate " + std::to_string(bytes) + " bytes");
  for (int64_t p = 0; p < panels_; ++p) {
    uint32_t* out = data_.get() + p * panel_size_;
    for (int64_t j = 0; j < nr; ++j) {
      const int64_t col = p * nr + j;
      for (int64_t q = 0; q < kp; ++q) {
        uint32_t word = 0;
        if (col < n_) {
          const Source* row = weight + col * k_;
          word = to_bf16(row[2 * q]) | (2 * q + 1 < k_ ? static_cast<uint32_t>(to_bf16(row[2 * q + 1])) << 16 : 0u);
        }
        out[q * nr + j] = word;
      }
    }
  }
}

PackedWeightsBf16::PackedWeightsBf16(const float* weight, int64_t n, int64_t k, Isa isa) : n_(n), k_(k) {
  pack(weight, isa);
}

PackedWeightsBf16::PackedWeightsBf16(const uint16_t* weight, int64_t n, int64_t k, Isa isa) : n_(n), k_(k) {
  pack(weight, isa);
}

void packed_gemm_bf16(const float* x, int64_t m, const PackedWeightsBf16& w, float* y, const GemmEpilogue& epilogue) {
  const GemmBf16Kernel& kernel = w.kernels().gemm_bf16;
  const Bf16Op op{x, w.k(), &w, &kernel, y, w.n(), &epilogue};
  const int64_t a_bytes = kernel.a_format == Bf16AFormat::Pairs ? 2 : 4;
  gemm_lowp::run(op, {m, w.n(), w.k(), kernel.mr, kernel.nr, w.panels(), 2, a_bytes, y, &epilogue, &w.kernels().gemm});
}

}  // namespace packformer
