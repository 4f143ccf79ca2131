#include "backends/cpu/gemm_int8.h"

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

float max_abs(const float* v, int64_t n) {
  float amax = 0.0f;
  bool finite = true;
  for (int64_t i = 0; i < n; ++i) {
    amax = std::max(amax, std::fabs(v[i]));
    finite &= std::isfinite(v[i]);
  }
  return finite ? amax : INFINITY;
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

  // Rows past `rows` and k past kc are q = 0 (their weights are 0 past K anyway).
  void pack_a(int64_t row0, int64_t rows, int64_t k0, int64_t kc, void* out) const {
    const int64_t mr = kernel->mr;
    if (kernel->layout == Int8Layout::U8S8Quads) {
      const int64_t kpad = round_up(kc, 4);
      for (int64_t i0 = 0; i0 < rows; i0 += mr) {
        uint8_t* panel = static_cast<uint8_t*>(out) + i0 * kpad;
        const int64_t r = std::min(mr, rows - i0);
        for (int64_t i = 0; i < mr; ++i) {
          const float* src = i < r ? x + (row0 + i0 + i) * k + k0 : nullptr;
          const float inverse = i < r ? t_row_inverse[i0 + i] : 0.0f;
          for (int64_t kk = 0; kk < kpad; ++kk)
            panel[(kk / 4 * mr + i) * 4 + kk % 4] = static_cast<uint8_t>((src != nullptr && kk < kc ? quantize(src[kk], inverse) : 0) + 128);
        }
      }
    } else {
      const int64_t kpad = round_up(kc, 2);
      for (int64_t i0 = 0; i0 < rows; i0 += mr) {
        int16_t* panel = static_cast<int16_t*>(out) + i0 * kpad;
        const int64_t r = std::min(mr, rows - i0);
        for (int64_t i = 0; i < mr; ++i) {
          const float* src = i < r ? x + (row0 + i0 + i) * k + k0 : nullptr;
          const float inverse = i < r ? t_row_inverse[i0 + i] : 0.0f;
          for (int64_t kk = 0; kk < kpad; ++kk)
            panel[(kk / 2 * mr + i) * 2 + kk % 2] = static_cast<int16_t>(src != nullptr && kk < kc ? quantize(src[kk], inverse) : 0);
        }
      }
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
