// The bf16 and int8 packed GEMMs allocate nothing per call, on every ISA variant this CPU runs,
// serial and on 2 OpenMP threads, with K past one block (int8's int32 sums kept in y, its row
// scales thread-local): after a warm-up call (the first use of a thread's static buffers), every
// malloc-family call of the process is counted while they run.
#include "allocation_counter.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <random>
#include <string>
#include <vector>

#include "backends/cpu/gemm_bf16.h"
#include "backends/cpu/gemm_int8.h"

namespace packformer {
namespace {

TEST(LowpGemmNoAllocation, CallsAllocateNothingAfterWarmUp) {
  // The counter must see allocations at all, or a zero below would prove nothing.
  ASSERT_GT(test::allocations_during([] {
              char* volatile p = new char[16];  // volatile: not optimised away
              delete[] p;
            }),
            0);
  const int64_t m = 300, k = 2500, n = 70;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(m * k), w(n * k), bias(n), residual(m * n), y(m * n);
  for (auto* v : {&x, &w, &bias, &residual})
    for (float& value : *v) value = dist(rng);
  GemmEpilogue epilogue;
  epilogue.bias = bias.data();
  epilogue.residual = residual.data();
  for (const Isa isa : kAllIsas) {
    if (!isa_supported(isa)) {
      std::printf("[ INFO ] %s not run: this CPU lacks %s\n", isa_name(isa), isa_missing_flag(isa));
      continue;
    }
    const PackedWeightsBf16 bf16(w.data(), n, k, isa);
    const PackedWeightsInt8 int8(w.data(), n, k, isa);
    for (const int threads : {1, 2}) {
      omp_set_num_threads(threads);
      const auto run = [&] {
        packed_gemm_bf16(x.data(), m, bf16, y.data(), epilogue);
        packed_gemm_int8(x.data(), m, int8, y.data(), epilogue);
        packed_gemm_int8(x.data(), 3, int8, y.data(), epilogue);
      };
      run();  // warm-up
      EXPECT_EQ(test::allocations_during(run), 0) << isa_name(isa) << " threads " << threads;
    }
  }
}

}  // namespace
}  // namespace packformer
