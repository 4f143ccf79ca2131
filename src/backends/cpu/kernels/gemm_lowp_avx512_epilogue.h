// The epilogues of the AVX-512 bf16 and int8 micro-kernels (gemm_lowp_avx512.cc,
// gemm_bf16_avx512bf16.cc, gemm_int8_avx512vnni.cc): one row of 32 (or fewer) columns, held in
// two zmm accumulators, finished with masked loads and stores so partial panels need no scalar
// path. Included inside the namespace that names the variant, after <immintrin.h> and
// gemm_lowp_kernel.h; internal linkage only.
namespace {

// Lanes [0, n) of a 16-lane register.
inline __mmask16 lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1);
}

// c[i, :cols] (+)= v, + bias + residual, as the fp32 kernel's epilogue.
inline void finish_float_row(const MicroTileBf16& t, int64_t i, __m512 v0, __m512 v1, __m512 bias0, __m512 bias1) {
  const __mmask16 m0 = lanes(t.cols), m1 = lanes(t.cols - 16);
  float* c = t.c + i * t.ldc;
  if (t.accumulate) v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, c)), v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, c + 16));
  v0 = _mm512_add_ps(v0, bias0), v1 = _mm512_add_ps(v1, bias1);
  if (t.residual != nullptr) {
    const float* r = t.residual + i * t.ldr;
    v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, r)), v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, r + 16));
  }
  _mm512_mask_storeu_ps(c, m0, v0);
  _mm512_mask_storeu_ps(c + 16, m1, v1);
}

// The bias of the tile's columns, zero past them (or everywhere without a bias).
inline void load_bias(const float* bias, int64_t cols, __m512& bias0, __m512& bias1) {
  bias0 = bias1 = _mm512_setzero_ps();
  if (bias != nullptr) bias0 = _mm512_maskz_loadu_ps(lanes(cols), bias), bias1 = _mm512_maskz_loadu_ps(lanes(cols - 16), bias + 16);
}

// Row i of an int8 tile: adds the int32 sums kept in c by earlier K blocks, then either keeps
// the sums there (not the last block) or removes the row's zero point (zero_point x column
// sums), dequantizes and adds bias and residual.
inline void finish_int8_row(const MicroTileInt8& t, int64_t i, __m512i s0, __m512i s1, __m512 bias0, __m512 bias1) {
  const __mmask16 m0 = lanes(t.cols), m1 = lanes(t.cols - 16);
  float* c = t.c + i * t.ldc;
  if (t.accumulate)
    s0 = _mm512_add_epi32(s0, _mm512_maskz_loadu_epi32(m0, c)), s1 = _mm512_add_epi32(s1, _mm512_maskz_loadu_epi32(m1, c + 16));
  if (!t.finish) {
    _mm512_mask_storeu_epi32(c, m0, s0);
    _mm512_mask_storeu_epi32(c + 16, m1, s1);
    return;
  }
  const __m512i zero_point = _mm512_set1_epi32(t.zero_point[i]);
  s0 = _mm512_sub_epi32(s0, _mm512_mullo_epi32(zero_point, _mm512_maskz_loadu_epi32(m0, t.column_sum)));
  s1 = _mm512_sub_epi32(s1, _mm512_mullo_epi32(zero_point, _mm512_maskz_loadu_epi32(m1, t.column_sum + 16)));
  const __m512 row_scale = _mm512_set1_ps(t.row_scale[i]);
  const __m512 scale0 = _mm512_mul_ps(row_scale, _mm512_maskz_loadu_ps(m0, t.col_scale));
  const __m512 scale1 = _mm512_mul_ps(row_scale, _mm512_maskz_loadu_ps(m1, t.col_scale + 16));
  // The zero-masking forms: GCC 12's unmasked ones start from an "undefined" register and
  // warn -Wmaybe-uninitialized; with all lanes selected they are the same instruction.
  __m512 v0 = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_cvtepi32_ps(0xFFFF, s0), scale0), bias0);
  __m512 v1 = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_cvtepi32_ps(0xFFFF, s1), scale1), bias1);
  if (t.residual != nullptr) {
    const float* r = t.residual + i * t.ldr;
    v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, r)), v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, r + 16));
  }
  _mm512_mask_storeu_ps(c, m0, v0);
  _mm512_mask_storeu_ps(c + 16, m1, v1);
}

// Independent sets of accumulators for an R-row tile: with few rows, the two multiply-adds per
// row and k step would each wait on the previous one's latency (4-6 cycles); alternating k
// steps between sets keeps the pipes busy. At most 16 accumulators in all.
constexpr int independent_sums(int rows) { return rows <= 2 ? 4 : rows <= 4 ? 2 : 1; }

// Calls body<R>() for R = rows (1..kLowpMR): row counts are template parameters so M tails do
// no wasted work.
template <template <int> class Body, typename Tile>
void dispatch_rows(const Tile& t) {
  static_assert(kLowpMR == 8, "one case per row count");
  switch (t.rows) {
    case 1: Body<1>::run(t); break;
    case 2: Body<2>::run(t); break;
    case 3: Body<3>::run(t); break;
    case 4: Body<4>::run(t); break;
    case 5: Body<5>::run(t); break;
    case 6: Body<6>::run(t); break;
    case 7: Body<7>::run(t); break;
    default: Body<8>::run(t); break;
  }
}

}  // namespace
