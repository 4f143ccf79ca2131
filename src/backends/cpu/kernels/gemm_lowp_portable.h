// The bf16 and int8 micro-kernels as plain loops, compiled once per ISA that has no
// hand-written version (gemm_lowp_generic.cc at baseline x86-64, gemm_lowp_avx2.cc with AVX2 +
// FMA): the compiler vectorises them. Included inside the namespace that names the variant,
// after gemm_lowp_kernel.h; it includes nothing itself, and everything but the two entry
// points has internal linkage, so the variants' code cannot be mixed up by the linker.
// Layouts: Bf16AFormat::Floats and Int8Layout::S16Pairs (gemm_lowp_kernel.h).
namespace {

// Eight 32-bit lanes: two SSE registers in the generic build, one ymm in the AVX2 one. GCC's
// vector types, since its auto-vectoriser left the 6 x 16 accumulation loops scalar.
typedef float Floats __attribute__((vector_size(32)));
typedef int32_t Ints __attribute__((vector_size(32)));
typedef int32_t UnalignedInts __attribute__((vector_size(32), aligned(4)));
constexpr int64_t kLanes = 8;
static_assert(kLowpNR == 2 * kLanes, "a tile row is two vectors");

inline Ints load(const void* p) { return *static_cast<const UnalignedInts*>(p); }

}  // namespace

// Pair word = low bf16 (even k) | high bf16 (odd k) << 16; a bf16 is an fp32's top half.
void gemm_bf16_micro_kernel(const MicroTileBf16& t) {
  Floats acc[kLowpMR][2] = {};
  const float* a = static_cast<const float*>(t.a);
  const uint32_t* b = t.b;
  const Ints high = {-65536, -65536, -65536, -65536, -65536, -65536, -65536, -65536};  // 0xFFFF0000
  for (int64_t p = 0; p < t.kp; ++p, a += 2 * kLowpMR, b += kLowpNR) {
    const Ints w0 = load(b), w1 = load(b + kLanes);
    const Floats even0 = (Floats)(w0 << 16), even1 = (Floats)(w1 << 16);
    const Floats odd0 = (Floats)(w0 & high), odd1 = (Floats)(w1 & high);
    for (int64_t i = 0; i < kLowpMR; ++i) {
      acc[i][0] += a[i] * even0;
      acc[i][1] += a[i] * even1;
    }
    for (int64_t i = 0; i < kLowpMR; ++i) {
      acc[i][0] += a[kLowpMR + i] * odd0;
      acc[i][1] += a[kLowpMR + i] * odd1;
    }
  }
  for (int64_t i = 0; i < t.rows; ++i) {
    float* c = t.c + i * t.ldc;
    const float* r = t.residual != nullptr ? t.residual + i * t.ldr : nullptr;
    for (int64_t j = 0; j < t.cols; ++j) {
      float v = acc[i][j / kLanes][j % kLanes];
      if (t.accumulate) v += c[j];
      if (t.bias != nullptr) v += t.bias[j];
      if (r != nullptr) v += r[j];
      c[j] = v;
    }
  }
}

// Each word holds two s16 (even k low, odd k high), sign-extended to 32-bit lanes by shifts
// (activations are in [0, 255], weights in [-127, 127]).
void gemm_int8_micro_kernel(const MicroTileInt8& t) {
  Ints acc[kLowpMR][2] = {};
  const int16_t* a = static_cast<const int16_t*>(t.a);
  const int16_t* b = static_cast<const int16_t*>(t.b);
  for (int64_t g = 0; g < t.groups; ++g, a += 2 * kLowpMR, b += 2 * kLowpNR) {
    const Ints w0 = load(b), w1 = load(b + 2 * kLanes);
    const Ints even0 = (w0 << 16) >> 16, even1 = (w1 << 16) >> 16;
    const Ints odd0 = w0 >> 16, odd1 = w1 >> 16;
    for (int64_t i = 0; i < kLowpMR; ++i) {
      const int32_t a0 = a[2 * i], a1 = a[2 * i + 1];
      acc[i][0] += a0 * even0 + a1 * odd0;
      acc[i][1] += a0 * even1 + a1 * odd1;
    }
  }
  for (int64_t i = 0; i < t.rows; ++i) {
    float* c = t.c + i * t.ldc;
    const float* r = t.residual != nullptr ? t.residual + i * t.ldr : nullptr;
    for (int64_t j = 0; j < t.cols; ++j) {
      int32_t sum = acc[i][j / kLanes][j % kLanes];
      if (t.accumulate) sum += __builtin_bit_cast(int32_t, c[j]);
      if (!t.finish) {
        c[j] = __builtin_bit_cast(float, sum);
        continue;
      }
      sum -= t.zero_point[i] * t.column_sum[j];
      float v = static_cast<float>(sum) * (t.row_scale[i] * t.col_scale[j]);
      if (t.bias != nullptr) v += t.bias[j];
      if (r != nullptr) v += r[j];
      c[j] = v;
    }
  }
}
