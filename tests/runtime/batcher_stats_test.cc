// What the Batcher tells its observers (the server's metrics): each request's queue wait, each
// batch's run time and failure, and how many requests are waiting.
#include <gmock/gmock.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "packformer/error.h"
#include "packformer/runtime.h"
#include "test_util.h"

namespace packformer::test {
namespace {

using namespace std::chrono_literals;

class BatcherStatsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    encoder_ = Encoder::load(tiny_model("tiny-minilm"), {.threads = 1, .load_tokenizer = false}).release();
  }
  static void TearDownTestSuite() { delete encoder_; }
  static inline const Encoder* encoder_ = nullptr;
};

TEST_F(BatcherStatsTest, WaitsRunTimeAndQueueSizeAreReported) {
  std::mutex mutex;
  std::vector<BatchStats> done;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  BatcherOptions options;
  options.max_batch_requests = 2, options.max_wait = 0us;
  // The first batch is held before it runs, so the others wait in the queue meanwhile.
  options.on_batch = [&, first = true](const BatchStats&) mutable {
    if (first) first = false, released.wait();
  };
  options.on_batch_done = [&](const BatchStats& s) {
    std::lock_guard lock(mutex);
    done.push_back(s);
  };
  Batcher batcher(*encoder_, options);
  std::vector<std::future<RequestResult>> futures;
  futures.push_back(batcher.submit({5, 6, 7}));
  std::this_thread::sleep_for(100ms);  // the worker takes it alone and holds it
  for (int i = 0; i < 4; ++i) futures.push_back(batcher.submit({5, 6, static_cast<int32_t>(8 + i)}));
  EXPECT_EQ(batcher.queued_requests(), 4);
  std::this_thread::sleep_for(50ms);
  release.set_value();
  for (auto& f : futures) f.get();
  EXPECT_EQ(batcher.queued_requests(), 0);

  std::lock_guard lock(mutex);
  ASSERT_EQ(done.size(), 3u);  // {1}, {2, 3}, {4, 5}
  int64_t requests = 0;
  for (const BatchStats& s : done) {
    EXPECT_EQ(s.waits.size(), static_cast<size_t>(s.requests));
    EXPECT_GT(s.run_time.count(), 0);
    EXPECT_FALSE(s.failed);
    requests += s.requests;
  }
  EXPECT_EQ(requests, 5);
  // The later requests waited behind the held batch: at least the 50 ms slept after queueing.
  EXPECT_GE(done[1].waits[0], 50ms);
  EXPECT_GE(done[2].waits[1], 50ms);
  // The first request was taken at once: far less than the hold.
  EXPECT_LT(done[0].waits[0], 50ms);
}

TEST_F(BatcherStatsTest, AFailedBatchIsReportedAsFailed) {
  std::vector<BatchStats> done;
  BatcherOptions options;
  options.on_batch = [](const BatchStats&) { fail(ErrorKind::Internal, "injected"); };
  options.on_batch_done = [&](const BatchStats& s) { done.push_back(s); };
  {
    Batcher batcher(*encoder_, options);
    auto future = batcher.submit({5, 6, 7});
    EXPECT_THROW(future.get(), Error);
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].failed);
  EXPECT_EQ(done[0].requests, 1);
}

}  // namespace
}  // namespace packformer::test
