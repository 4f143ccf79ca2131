// The bf16 and int8 micro-kernels as plain loops, compiled once per ISA that has no
// hand-written version (gemm_lowp_generic.cc at baseline x86-64, gemm_lowp_avx2.cc with AVX2 +
// FMA): the compiler vectorises them. Included inside the namespace that names the variant,
// after gemm_lowp_kernel.h; it includes nothing itself, and everything but the two entry
// points has internal linkage, so the variants' code cannot be mixed up by the linker.
// Layouts: Bf16AFormat::Floats and Int8Layout::S16Pairs (gemm_lowp_kernel.h).
namespace {

// The two bf16 of a packed pair, widened to fp32 (bf16 is the upper half of an fp32).
inline float bf16_low(uint32_t pair) { return __builtin_bit_cast(float, pair << 16); }
inline float bf16_high(uint32_t pair) { return __builtin_bit_cast(float, pair & 0xFFFF0000u); }

}  // namespace

void gemm_bf16_micro_kernel(const MicroTileBf16& t) {
  float acc[kLowpMR][kLowpNR] = {};
  const float* a = static_cast<const float*>(t.a);
  const uint32_t* b = t.b;
  for (int64_t p = 0; p < t.kp; ++p, a += 2 * kLowpMR, b += kLowpNR) {
    float even[kLowpNR], odd[kLowpNR];
    for (int64_t j = 0; j < kLowpNR; ++j) even[j] = bf16_low(b[j]), odd[j] = bf16_high(b[j]);
    for (int64_t i = 0; i < kLowpMR; ++i)
      for (int64_t j = 0; j < kLowpNR; ++j) acc[i][j] += a[i] * even[j];
    for (int64_t i = 0; i < kLowpMR; ++i)
      for (int64_t j = 0; j < kLowpNR; ++j) acc[i][j] += a[kLowpMR + i] * odd[j];
  }
  for (int64_t i = 0; i < t.rows; ++i) {
    float* c = t.c + i * t.ldc;
    const float* r = t.residual != nullptr ? t.residual + i * t.ldr : nullptr;
    for (int64_t j = 0; j < t.cols; ++j) {
      float v = acc[i][j];
      if (t.accumulate) v += c[j];
      if (t.bias != nullptr) v += t.bias[j];
      if (r != nullptr) v += r[j];
      c[j] = v;
    }
  }
}

void gemm_int8_micro_kernel(const MicroTileInt8& t) {
  int32_t acc[kLowpMR][kLowpNR] = {};
  const int16_t* a = static_cast<const int16_t*>(t.a);
  const int16_t* b = static_cast<const int16_t*>(t.b);
  for (int64_t g = 0; g < t.groups; ++g, a += 2 * kLowpMR, b += 2 * kLowpNR)
    for (int64_t i = 0; i < kLowpMR; ++i) {
      const int32_t a0 = a[2 * i], a1 = a[2 * i + 1];
      for (int64_t j = 0; j < kLowpNR; ++j) acc[i][j] += a0 * b[2 * j] + a1 * b[2 * j + 1];
    }
  for (int64_t i = 0; i < t.rows; ++i) {
    float* c = t.c + i * t.ldc;
    const float* r = t.residual != nullptr ? t.residual + i * t.ldr : nullptr;
    for (int64_t j = 0; j < t.cols; ++j) {
      int32_t sum = acc[i][j];
      if (t.accumulate) sum += __builtin_bit_cast(int32_t, c[j]);
      if (!t.finish) {
        c[j] = __builtin_bit_cast(float, sum);
        continue;
      }
      if (t.compensation != nullptr) sum -= t.compensation[j];
      float v = static_cast<float>(sum) * (t.row_scale[i] * t.col_scale[j]);
      if (t.bias != nullptr) v += t.bias[j];
      if (r != nullptr) v += r[j];
      c[j] = v;
    }
  }
}
