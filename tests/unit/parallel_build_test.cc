// parallel_build (loading's per-layer parallelism): items come back in index order whichever
// thread made them, and when several fail the lowest index's error is thrown, as a serial loop
// would throw it.
#include <gtest/gtest.h>
#include <omp.h>

#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/parallel_build.h"

namespace packformer {
namespace {

TEST(ParallelBuild, ItemsComeBackInOrder) {
  omp_set_num_threads(2);
  std::set<int> threads;
  // Move-only items, as layers holding packed weights are.
  const auto items = parallel_build<std::unique_ptr<int>>(64, [&](int64_t i) {
#pragma omp critical
    threads.insert(omp_get_thread_num());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // long enough for both threads to take items
    return std::make_unique<int>(static_cast<int>(i) * 3);
  });
  ASSERT_EQ(items.size(), 64u);
  for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(*items[i], static_cast<int>(i) * 3);
  std::printf("threads that built items: %zu\n", threads.size());
}

TEST(ParallelBuild, TheLowestFailingIndexIsThrown) {
  omp_set_num_threads(2);
  for (int run = 0; run < 3; ++run) {
    try {
      parallel_build<int>(32, [](int64_t i) -> int {
        // Layer 7 fails last in time: the other thread meanwhile reaches 20 and 31.
        if (i == 7) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (i == 7 || i == 20 || i == 31) throw std::runtime_error("layer " + std::to_string(i));
        return static_cast<int>(i);
      });
      FAIL() << "nothing thrown";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "layer 7");
    }
  }
}

TEST(ParallelBuild, NoItems) { EXPECT_TRUE(parallel_build<int>(0, [](int64_t) { return 1; }).empty()); }

}  // namespace
}  // namespace packformer
