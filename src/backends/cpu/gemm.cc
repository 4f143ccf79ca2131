#include "backends/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstring>

#include "backends/cpu/gemm_blocking.h"
#include "backends/cpu/kernels/gemm_kernel.h"
#include "packformer/error.h"

namespace packformer {
namespace {

using gemm_blocking::ceil_div;
using gemm_blocking::kMC;
using gemm_blocking::kNC;
using gemm_blocking::kSerialWork;
using gemm_blocking::kSmallM;

// Cache blocking (Zen: 32 KiB L1d, 512 KiB+ L2): a kKC x nr B micro-panel (16 or 32 KiB)
// stays in L1 (or L2's nearest ways) while the mc x kKC packed A block (~144 KiB) streams from
// L2; kNC columns of B per pass (gemm_blocking.h). mc is kMC rounded down to the variant's mr.
constexpr int64_t kKC = 256;
static_assert(kMC * kKC * sizeof(float) == gemm_blocking::kPackedABytes, "packed A fills the shared buffer");

struct Problem {
  const float* x;
  int64_t m, n, k;
  const PackedWeights* w;
  float* y;
  const GemmEpilogue* epilogue;
  const GemmKernel* kernel;
  int64_t mr, nr, mc;  // the kernel's register tile, and the rows of A packed at a time
};

// rows x kc of A (leading dimension lda) into mr-row micro-panels, mr values per k,
// zero-filling the rows past `rows`.
// The rows sit lda apart, kc floats (1 KiB) each: the hardware prefetcher restarts at every
// row, so with A out of cache (large M) the copy would wait on memory row after row. Each row
// is fetched kPackAhead rows in advance (measured: 4096 x 3072 A, +3-4% for the whole GEMM).
constexpr int64_t kPackAhead = 4;
void pack_a(const float* a, int64_t lda, int64_t rows, int64_t kc, int64_t mr, float* out) {
  for (int64_t i0 = 0; i0 < rows; i0 += mr, out += mr * kc) {
    const int64_t r = std::min(mr, rows - i0);
    for (int64_t i = 0; i < r; ++i) {
      if (i0 + i + kPackAhead < rows)
        for (int64_t k = 0; k < kc; k += 16) __builtin_prefetch(a + (i0 + i + kPackAhead) * lda + k);
      const float* src = a + (i0 + i) * lda;
      for (int64_t k = 0; k < kc; ++k) out[k * mr + i] = src[k];
    }
    for (int64_t i = r; i < mr; ++i)
      for (int64_t k = 0; k < kc; ++k) out[k * mr + i] = 0.0f;
  }
}

// Rows [m0, m1) x panels [p0, p1) of y: N blocks, then K blocks (epilogue on the last), then
// M blocks of packed A, then register tiles (B micro-panel reused from L1 across M).
void gemm_block(const Problem& pr, int64_t m0, int64_t m1, int64_t p0, int64_t p1) {
  if (m0 >= m1 || p0 >= p1) return;
  const GemmEpilogue& e = *pr.epilogue;
  const auto act = static_cast<ActivationCode>(e.activation);
  // Few rows (a small batch): all of K in one block when the packed A fits the buffer, so
  // each B panel is read once, front to back, as one stream (bandwidth-bound regime).
  const int64_t mr = pr.mr, nr = pr.nr;
  const int64_t padded_rows = ceil_div(m1 - m0, mr) * mr;
  const bool whole_k = m1 - m0 <= kSmallM && padded_rows * pr.k <= kMC * kKC;
  const int64_t k_blocks = whole_k ? 1 : std::max<int64_t>(1, ceil_div(pr.k, kKC));
  const int64_t kc_step = ceil_div(pr.k, k_blocks);
  float* packed_a = reinterpret_cast<float*>(gemm_blocking::packed_a_buffer());
  for (int64_t pc = p0; pc < p1; pc += kNC / nr) {
    const int64_t pc_end = std::min(p1, pc + kNC / nr);
    for (int64_t kb = 0; kb < k_blocks; ++kb) {
      const int64_t k0 = kb * kc_step, kc = std::min(kc_step, pr.k - k0);
      const bool last = kb == k_blocks - 1;
      for (int64_t i0 = m0; i0 < m1; i0 += pr.mc) {
        const int64_t mc = std::min(pr.mc, m1 - i0);
        pack_a(pr.x + i0 * pr.k + k0, pr.k, mc, kc, mr, packed_a);
        for (int64_t p = pc; p < pc_end; ++p) {
          MicroTile t;
          t.b = pr.w->panel(p) + k0 * nr;
          t.kc = kc;
          t.ldc = pr.n;
          t.ldr = pr.n;
          t.accumulate = kb > 0;
          const int64_t col = p * nr;
          t.cols = std::min(nr, pr.n - col);
          t.bias = last && e.bias != nullptr ? e.bias + col : nullptr;
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int64_t row = i0 + ir;
            t.a = packed_a + ir * kc;
            t.c = pr.y + row * pr.n + col;
            t.rows = std::min(mr, mc - ir);
            t.residual = last && e.residual != nullptr ? e.residual + row * pr.n + col : nullptr;
            pr.kernel->micro(t);
            // The tile is still in L1: activate it now rather than in a second pass over y.
            if (last && e.activate)
              for (int64_t i = 0; i < t.rows; ++i) pr.kernel->activate(act, t.c + i * pr.n, t.cols);
          }
        }
      }
    }
  }
}

}  // namespace

PackedWeights::PackedWeights(const float* weight, int64_t n, int64_t k, Isa isa)
    : kernels_(&kernel_table(isa)), n_(n), k_(k) {
  const int64_t nr = kernels_->gemm.nr;
  panels_ = ceil_div(n, nr);
  panel_size_ = k * nr;
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(1, panels_ * panel_size_)) * sizeof(float);
  data_.reset(static_cast<float*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
  if (data_ == nullptr) fail(ErrorKind::OutOfMemory, "PackedWeights: cannot allocate " + std::to_string(bytes) + " bytes");
  for (int64_t p = 0; p < panels_; ++p) {
    float* out = data_.get() + p * panel_size_;
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < nr; ++j) {
        const int64_t col = p * nr + j;
        out[kk * nr + j] = col < n ? weight[col * k + kk] : 0.0f;
      }
  }
}

void packed_gemm(const float* x, int64_t m, const PackedWeights& w, float* y, const GemmEpilogue& epilogue) {
  if (m <= 0 || w.n() <= 0) return;
  const GemmKernel& kernel = w.kernels().gemm;
  const int64_t mr = kernel.mr;
  const Problem pr{x, m, w.n(), w.k(), &w, y, &epilogue, &kernel, mr, kernel.nr, kMC / mr * mr};
  const int64_t m_panels = ceil_div(m, mr), n_panels = w.panels();
  const bool serial = omp_in_parallel() || omp_get_max_threads() == 1 || m * pr.n * std::max<int64_t>(pr.k, 1) < kSerialWork;
  if (serial) {
    gemm_block(pr, 0, m, 0, n_panels);
    return;
  }
  // One region with the whole team (a team of another size would make libgomp allocate).
#pragma omp parallel
  {
    const int threads = omp_get_num_threads(), id = omp_get_thread_num();
    int tm = 1, tn = 1;
    gemm_blocking::thread_grid(m_panels, n_panels, pr.nr, threads, tm, tn);
    const int64_t ti = id / tn, tj = id % tn;
    const int64_t mp0 = m_panels * ti / tm, mp1 = m_panels * (ti + 1) / tm;
    const int64_t np0 = n_panels * tj / tn, np1 = n_panels * (tj + 1) / tn;
    gemm_block(pr, mp0 * mr, std::min(m, mp1 * mr), np0, np1);
  }
}

}  // namespace packformer
