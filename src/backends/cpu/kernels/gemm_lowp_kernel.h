// The contracts of the bf16 and int8 packed-GEMM micro-kernels, shared by their per-ISA
// builds (gemm_lowp_generic.cc, gemm_lowp_avx2.cc, gemm_lowp_avx512.cc,
// gemm_bf16_avx512bf16.cc, gemm_int8_avx512vnni.cc) and the drivers (backends/cpu/gemm_bf16.cc,
// gemm_int8.cc). Plain data and declarations only, like gemm_kernel.h: files compiled with
// different ISA flags include it.
#pragma once

#include <cstdint>

namespace packformer {

// How a bf16 kernel wants packed A. Weights are packed the same way for every bf16 kernel:
// per pair of k, nr 32-bit words, word j = bf16(W[j][2p]) | bf16(W[j][2p + 1]) << 16.
enum class Bf16AFormat {
  Pairs,  // per pair of k, mr 32-bit words of two bf16 (row i's x[2p], x[2p + 1]): vdpbf16ps
  Floats  // per k, mr floats holding bf16-rounded values: kernels that widen B to fp32
};

// How an int8 kernel wants both operands packed, per group of k (K padded with zeros to a
// whole number of groups). Activations are quantized to u8 q in [0, 255] with a per-row zero
// point (x = scale (q - zero_point)), weights to s8 in [-127, 127]; either way.
enum class Int8Layout {
  U8S8Quads,  // groups of 4: A as mr words of four u8 (q), B as nr words of four s8: vpdpbusd
  S16Pairs    // groups of 2: A as mr words of two s16 (q), B as nr words of two s16: vpmaddwd,
              // whose pairwise sums (at most 2 x 255 x 127) cannot saturate
};

// One register tile of C for the bf16 GEMM: c[rows, cols] (+)= a * b, then bias and residual,
// as MicroTile (gemm_kernel.h) but with kp pairs of k.
struct MicroTileBf16 {
  const void* a = nullptr;      // packed A in the kernel's Bf16AFormat (rows past `rows` are 0)
  const uint32_t* b = nullptr;  // packed B panel: kp steps of nr bf16 pairs
  int64_t kp = 0;               // pairs of k in this block
  float* c = nullptr;
  int64_t ldc = 0;
  int64_t rows = 0, cols = 0;
  bool accumulate = false;          // add to c (an earlier K block wrote it)
  const float* bias = nullptr;      // this tile's first column of the bias, or null
  const float* residual = nullptr;  // this tile's first element of the residual, or null
  int64_t ldr = 0;
};

// One register tile of C for the int8 GEMM. Integer sums are exact: between K blocks the
// tile's int32 partial sums are kept in c itself (its 4-byte elements), and only the last
// block dequantizes: c = float(sum - zero_point[i] * column_sum[j]) * (row_scale[i] *
// col_scale[j]) + bias [+ residual], where sum - zero_point x column_sum = sum_k (q - zp) w
// is computed in int32 (exact: its magnitude stays below 2^31, see kInt8MaxK).
struct MicroTileInt8 {
  const void* a = nullptr;  // packed A in the kernel's Int8Layout
  const void* b = nullptr;  // packed B panel in the kernel's Int8Layout
  int64_t groups = 0;       // groups of k in this block
  float* c = nullptr;
  int64_t ldc = 0;
  int64_t rows = 0, cols = 0;
  bool accumulate = false;  // c holds int32 sums of the earlier K blocks: add them
  bool finish = false;      // last K block: dequantize and apply the epilogue (else store int32)
  const float* row_scale = nullptr;        // this tile's first row's activation scale
  const int32_t* zero_point = nullptr;     // this tile's first row's activation zero point
  const float* col_scale = nullptr;        // this tile's first column's weight scale
  const int32_t* column_sum = nullptr;     // this tile's first column's sum over k of its q
  const float* bias = nullptr;
  const float* residual = nullptr;
  int64_t ldr = 0;
};

namespace generic {
// Plain loops the compiler vectorises, over the fp32 GEMM's 6 x 16 tile.
constexpr int64_t kLowpMR = 6, kLowpNR = 16;
void gemm_bf16_micro_kernel(const MicroTileBf16& tile);  // Bf16AFormat::Floats
void gemm_int8_micro_kernel(const MicroTileInt8& tile);  // Int8Layout::S16Pairs
}  // namespace generic

namespace avx2 {
// The generic loops compiled with AVX2 + FMA.
constexpr int64_t kLowpMR = 6, kLowpNR = 16;
void gemm_bf16_micro_kernel(const MicroTileBf16& tile);  // Bf16AFormat::Floats
void gemm_int8_micro_kernel(const MicroTileInt8& tile);  // Int8Layout::S16Pairs
}  // namespace avx2

namespace avx512 {
// 8 x 32 like the fp32 kernel: B widened to fp32 (bf16) or madd of s16 pairs (int8).
constexpr int64_t kLowpMR = 8, kLowpNR = 32;
void gemm_bf16_micro_kernel(const MicroTileBf16& tile);  // Bf16AFormat::Floats
void gemm_int8_micro_kernel(const MicroTileInt8& tile);  // Int8Layout::S16Pairs
}  // namespace avx512

namespace avx512vnni {
constexpr int64_t kLowpMR = 8, kLowpNR = 32;
void gemm_int8_micro_kernel(const MicroTileInt8& tile);  // Int8Layout::U8S8Quads, vpdpbusd
}  // namespace avx512vnni

namespace avx512bf16 {
constexpr int64_t kLowpMR = 8, kLowpNR = 32;
void gemm_bf16_micro_kernel(const MicroTileBf16& tile);  // Bf16AFormat::Pairs, vdpbf16ps
}  // namespace avx512bf16

}  // namespace packformer
