// Cache blocking and the thread split shared by the packed GEMMs (fp32 gemm.cc, bf16
// gemm_bf16.cc, int8 gemm_int8.cc), and the per-thread buffer they pack A into.
#pragma once

#include <cstddef>
#include <cstdint>

namespace packformer::gemm_blocking {

// Rows of A packed at a time (rounded down to the kernel's mr), and columns of B per pass.
constexpr int64_t kMC = 144;
constexpr int64_t kNC = 4096;
// Up to this many rows a thread takes all of K in one block when its packed A fits the buffer:
// each B panel is then read once, front to back, as one stream (bandwidth-bound regime).
constexpr int64_t kSmallM = 24;
// Below this many multiply-adds a parallel region costs more than it saves.
constexpr int64_t kSerialWork = 1 << 16;
// The packed-A buffer: kMC rows x 256 fp32 (the fp32 GEMM's K block); the low-precision GEMMs
// choose their K block so their packed A fills the same bytes.
constexpr size_t kPackedABytes = static_cast<size_t>(kMC) * 256 * sizeof(float);

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// This thread's kPackedABytes, 64-byte aligned: static thread-local storage, so no call ever
// allocates, and one buffer serves every GEMM a thread runs (one at a time).
unsigned char* packed_a_buffer();

// Splits `threads` into a grid of tm x tn over (M micro-panels, N panels), minimising the
// busiest thread's cost in micro-kernel steps: its tiles, plus streaming its B panels from
// memory (~2 tiles' worth each: small M is bandwidth-bound, so split N there) and packing
// its A rows once per N block.
void thread_grid(int64_t m_panels, int64_t n_panels, int64_t nr, int threads, int& tm, int& tn);

}  // namespace packformer::gemm_blocking
