#include "backends/cpu/gemm_blocking.h"

namespace packformer::gemm_blocking {
namespace {

alignas(64) thread_local unsigned char t_packed_a[kPackedABytes];

}  // namespace

unsigned char* packed_a_buffer() { return t_packed_a; }

void thread_grid(int64_t m_panels, int64_t n_panels, int64_t nr, int threads, int& tm, int& tn) {
  double best = 0.0;
  for (int d = 1; d <= threads; ++d) {
    if (threads % d != 0) continue;
    const int64_t my_m = ceil_div(m_panels, threads / d), my_n = ceil_div(n_panels, d);
    const double cost = static_cast<double>(my_m * my_n) + 2.0 * my_n + 0.5 * my_m * ceil_div(my_n * nr, kNC);
    if (d == 1 || cost < best) best = cost, tn = d, tm = threads / d;
  }
}

}  // namespace packformer::gemm_blocking
