// The blocking and threading of the bf16 and int8 packed GEMMs (gemm_bf16.cc, gemm_int8.cc),
// as the fp32 GEMM's (gemm.cc) but with M blocks outside K blocks: a row block is prepared
// once (the int8 GEMM quantizes per row over all of K, so it needs each row's min and max
// first), then its K blocks are packed and multiplied in turn. Internal to those two files.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "backends/cpu/gemm.h"
#include "backends/cpu/gemm_blocking.h"
#include "backends/cpu/kernel_table.h"

namespace packformer::gemm_lowp {

// What the driver needs to know of one GEMM; the Op (bf16 or int8) supplies the rest:
//   void begin_rows(int64_t row0, int64_t rows) const;       before a block of rows
//   void pack_a(int64_t row0, int64_t rows, int64_t k0, int64_t kc, void* out) const;
//       rows x [k0, k0 + kc) of A into mr-row micro-panels, padded to mr rows and to whole
//       groups of k, each micro-panel a_bytes_per_k * round_up(kc, group) * mr bytes
//   void tile(const void* a, int64_t row, int64_t rows, int64_t row_in_block, int64_t panel,
//             int64_t k0, int64_t kc, bool accumulate, bool last) const;
struct Shape {
  int64_t m, n, k;
  int64_t mr, nr, panels;
  int64_t group;         // K is packed in whole groups of this many values (zero-padded)
  int64_t a_bytes_per_k; // bytes of packed A per row and k
  float* y;
  const GemmEpilogue* epilogue;
  const GemmKernel* fp32;  // its activate() finishes the tiles of an activation epilogue
};

template <class Op>
void run_block(const Op& op, const Shape& s, int64_t m0, int64_t m1, int64_t p0, int64_t p1) {
  using namespace gemm_blocking;
  if (m0 >= m1 || p0 >= p1) return;
  const int64_t mr = s.mr, nr = s.nr, mc = kMC / mr * mr;
  // K per block: the packed A block (mc rows) fills the buffer; few rows take all of K at once
  // when it fits. B's micro-panel (kc x nr) then takes 16-32 KiB, L1's size.
  const int64_t row_bytes = s.a_bytes_per_k * mr;
  const int64_t max_kc = static_cast<int64_t>(kPackedABytes) / (mc * s.a_bytes_per_k) / s.group * s.group;
  const int64_t padded_rows = round_up(m1 - m0, mr);
  const int64_t k_padded = round_up(s.k, s.group);
  const bool whole_k = m1 - m0 <= kSmallM && padded_rows * k_padded * s.a_bytes_per_k <= static_cast<int64_t>(kPackedABytes);
  const int64_t kc_step = whole_k ? std::max(s.group, k_padded) : round_up(ceil_div(s.k, std::max<int64_t>(1, ceil_div(s.k, max_kc))), s.group);
  const int64_t k_blocks = std::max<int64_t>(1, ceil_div(s.k, kc_step));
  unsigned char* packed_a = packed_a_buffer();
  const GemmEpilogue& e = *s.epilogue;
  const auto act = static_cast<ActivationCode>(e.activation);
  for (int64_t pc = p0; pc < p1; pc += kNC / nr) {
    const int64_t pc_end = std::min(p1, pc + kNC / nr);
    for (int64_t i0 = m0; i0 < m1; i0 += mc) {
      const int64_t rows = std::min(mc, m1 - i0);
      op.begin_rows(i0, rows);
      for (int64_t kb = 0; kb < k_blocks; ++kb) {
        const int64_t k0 = kb * kc_step, kc = std::min(kc_step, s.k - k0);
        const bool last = kb == k_blocks - 1;
        op.pack_a(i0, rows, k0, kc, packed_a);
        const int64_t panel_bytes = row_bytes * round_up(kc, s.group);
        for (int64_t p = pc; p < pc_end; ++p)
          for (int64_t ir = 0; ir < rows; ir += mr) {
            const int64_t tile_rows = std::min(mr, rows - ir);
            op.tile(packed_a + ir / mr * panel_bytes, i0 + ir, tile_rows, ir, p, k0, kc, kb > 0, last);
            // The tile is still in L1: activate it now rather than in a second pass over y.
            if (last && e.activate) {
              const int64_t col = p * nr, cols = std::min(nr, s.n - col);
              for (int64_t i = 0; i < tile_rows; ++i) s.fp32->activate(act, s.y + (i0 + ir + i) * s.n + col, cols);
            }
          }
      }
    }
  }
}

// Runs `op` over y[m, n], on the calling thread's OpenMP team as the fp32 GEMM does.
template <class Op>
void run(const Op& op, const Shape& s) {
  using namespace gemm_blocking;
  if (s.m <= 0 || s.n <= 0) return;
  const int64_t m_panels = ceil_div(s.m, s.mr);
  const bool serial = omp_in_parallel() || omp_get_max_threads() == 1 || s.m * s.n * std::max<int64_t>(s.k, 1) < kSerialWork;
  if (serial) {
    run_block(op, s, 0, s.m, 0, s.panels);
    return;
  }
#pragma omp parallel
  {
    const int threads = omp_get_num_threads(), id = omp_get_thread_num();
    int tm = 1, tn = 1;
    thread_grid(m_panels, s.panels, s.nr, threads, tm, tn);
    const int64_t ti = id / tn, tj = id % tn;
    const int64_t mp0 = m_panels * ti / tm, mp1 = m_panels * (ti + 1) / tm;
    const int64_t np0 = s.panels * tj / tn, np1 = s.panels * (tj + 1) / tn;
    run_block(op, s, mp0 * s.mr, std::min(s.m, mp1 * s.mr), np0, np1);
  }
}

}  // namespace packformer::gemm_lowp
