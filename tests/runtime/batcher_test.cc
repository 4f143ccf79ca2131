// The Batcher against direct Encoder::run on the tiny MiniLM: same results, input order kept,
// budgets respected, deadlines, refusals, failures confined to their batch, shutdown.
#include <gmock/gmock.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "packformer/error.h"
#include "packformer/runtime.h"
#include "test_util.h"

namespace packformer::test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr unsigned kOutputs = kHiddenStates | kSentenceEmbedding;

// Sequences of 1..max_len tokens with distinct ids, so results of different sequences differ.
std::vector<std::vector<int32_t>> random_sequences(size_t count, int64_t max_len, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> len(1, max_len);
  std::uniform_int_distribution<int32_t> id(4, 511);
  std::vector<std::vector<int32_t>> sequences(count);
  for (auto& ids : sequences) {
    ids.resize(static_cast<size_t>(len(rng)));
    for (auto& v : ids) v = id(rng);
  }
  return sequences;
}

class BatcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    encoder_ = Encoder::load(tiny_model("tiny-minilm"), {.threads = 1, .load_tokenizer = false}).release();
  }
  static void TearDownTestSuite() { delete encoder_; }

  static std::vector<RequestResult> run_all(Batcher& batcher, const std::vector<std::vector<int32_t>>& sequences) {
    std::vector<std::future<RequestResult>> futures;
    for (const auto& ids : sequences) futures.push_back(batcher.submit(ids));
    std::vector<RequestResult> results;
    for (auto& f : futures) results.push_back(f.get());
    return results;
  }

  static inline const Encoder* encoder_ = nullptr;
};

// Packed rows never meet another sequence's rows, and each row's GEMM sums run in the same
// order whatever the batch, so the packed path gives the same bits in any batch composition.
// The padded paths change the padded width with the batch, so results may move by rounding:
// measured up to ~1e-6 on the padded fast path, and 1.7e-6 on the slow path (oneDNN's sgemm
// blocks differently for different row counts); 1e-5 is DESIGN.md's bound between layouts.
TEST_F(BatcherTest, ResultsEqualOneDirectRunInInputOrder) {
  const auto sequences = random_sequences(150, 24, 1);
  const struct {
    const char* name;
    RunOptions run;
    float tolerance;  // 0 = bitwise
  } paths[] = {{"packed", {ExecutionPath::Fast, true}, 0.0f},
               {"padded fast", {ExecutionPath::Fast, false}, 1e-6f},
               {"slow", {ExecutionPath::Slow, true}, 1e-5f}};
  for (const auto& path : paths) {
    SCOPED_TRACE(path.name);
    const EncoderOutput direct = encoder_->run({sequences, {}}, kOutputs, path.run);
    BatcherOptions options;
    options.sessions = 3, options.threads = 3;  // one thread each, as the direct run
    options.max_batch_tokens = 64, options.max_batch_requests = 8;
    options.outputs = kOutputs, options.run_options = path.run;
    std::atomic<int> batches{0};
    options.on_batch = [&](const BatchStats&) { ++batches; };
    Batcher batcher(*encoder_, options);
    const auto results = run_all(batcher, sequences);
    EXPECT_GT(batches.load(), 10) << "the sequences were split into many batches";
    const int64_t h = direct.hidden_size;
    for (size_t i = 0; i < sequences.size(); ++i) {
      SCOPED_TRACE("sequence " + std::to_string(i));
      const RequestResult& r = results[i];
      ASSERT_EQ(r.batch_size(), 1);
      const int64_t first = direct.offsets[i], rows = direct.offsets[i + 1] - first;
      ASSERT_EQ(r.offsets, (std::vector<int64_t>{0, rows}));
      ASSERT_EQ(r.hidden_states.size(), static_cast<size_t>(rows * h));
      ASSERT_EQ(r.sentence_embeddings.size(), static_cast<size_t>(h));
      const float* want_hidden = direct.hidden_states.data() + first * h;
      const float* want_embedding = direct.sentence_embeddings.data() + i * h;
      if (path.tolerance == 0.0f) {
        EXPECT_TRUE(std::equal(r.hidden_states.begin(), r.hidden_states.end(), want_hidden));
        EXPECT_TRUE(std::equal(r.sentence_embeddings.begin(), r.sentence_embeddings.end(), want_embedding));
      } else {
        EXPECT_LE(max_abs_diff(r.hidden_states.data(), want_hidden, r.hidden_states.size()), path.tolerance);
        EXPECT_LE(max_abs_diff(r.sentence_embeddings.data(), want_embedding, h), path.tolerance);
      }
    }
  }
}

// The first batch's worker is held in on_batch until everything is queued, so every later
// batch is formed from a full queue: the budget and the cap are what bound it.
struct HeldBatches {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex mutex;
  std::vector<BatchStats> stats;
  void hook(BatcherOptions& options) {
    options.on_batch = [this](const BatchStats& s) {
      {
        std::lock_guard lock(mutex);
        stats.push_back(s);
      }
      released.wait();
    };
  }
};

TEST_F(BatcherTest, BatchesRespectTheTokenBudgetAndTheRequestCap) {
  const auto sequences = random_sequences(300, 24, 2);
  for (const bool packed : {true, false}) {
    SCOPED_TRACE(packed ? "packed" : "padded");
    HeldBatches held;
    BatcherOptions options;
    options.max_batch_tokens = 100, options.max_batch_requests = 10, options.max_queued_requests = 1000;
    options.max_wait = 1h;  // batches form by budget or cap, and the last ones at close()
    options.run_options.sparsity = packed;
    held.hook(options);
    Batcher batcher(*encoder_, options);
    std::vector<std::future<RequestResult>> futures;
    for (const auto& ids : sequences) futures.push_back(batcher.submit(ids));
    batcher.close();
    held.release.set_value();
    for (auto& f : futures) f.get();
    int64_t requests = 0, full = 0;
    for (const BatchStats& s : held.stats) {
      requests += s.requests;
      EXPECT_LE(s.requests, 10);
      EXPECT_LE(s.cost, 100);
      EXPECT_EQ(s.cost, packed ? s.tokens : s.requests * s.longest);
      // Nothing more could have joined (while the queue still held more than one batch).
      full += s.requests == 10 || (packed ? s.tokens > 100 - 24 : (s.requests + 1) * s.longest > 100);
    }
    EXPECT_EQ(requests, 300);
    EXPECT_GE(full, static_cast<int64_t>(held.stats.size()) - 3) << "batches were cut short";
  }
}

TEST_F(BatcherTest, LengthSortingCutsPaddingOnThePaddedPath) {
  const auto sequences = random_sequences(300, 24, 3);
  const auto padding = [&](int64_t window) {
    HeldBatches held;
    BatcherOptions options;
    options.max_batch_tokens = 96, options.max_batch_requests = 16, options.max_queued_requests = 1000;
    options.max_wait = 1h, options.sort_window = window;
    options.run_options.sparsity = false;
    held.hook(options);
    Batcher batcher(*encoder_, options);
    const auto results = [&] {
      std::vector<std::future<RequestResult>> futures;
      for (const auto& ids : sequences) futures.push_back(batcher.submit(ids));
      batcher.close();
      held.release.set_value();
      for (auto& f : futures) f.get();
    };
    results();
    int64_t pad = 0;
    for (const BatchStats& s : held.stats) pad += s.cost - s.tokens;
    return pad;
  };
  const int64_t fifo = padding(0), sorted = padding(256);
  EXPECT_LT(sorted * 3, fifo) << "padded tokens: sorted " << sorted << ", in order " << fifo;
}

TEST_F(BatcherTest, ALoneRequestLeavesAtItsDeadline) {
  {
    BatcherOptions options;
    options.max_wait = 60s;
    Batcher batcher(*encoder_, options);
    auto future = batcher.submit({5, 6, 7});
    // Far from a full batch and far from its deadline: it waits for company...
    EXPECT_EQ(future.wait_for(200ms), std::future_status::timeout);
    batcher.close();  // ...until the batcher closes, which runs it at once.
    EXPECT_EQ(future.wait_for(30s), std::future_status::ready);
  }
  BatcherOptions options;
  options.max_wait = 5ms;
  Batcher batcher(*encoder_, options);
  const auto start = std::chrono::steady_clock::now();
  auto future = batcher.submit({5, 6, 7});
  ASSERT_EQ(future.wait_for(30s), std::future_status::ready);
  // A loaded CI machine may be slow to schedule the worker; 60 s is what it would wait without the deadline.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(future.get().sentence_embeddings.size(), 48u);
}

TEST_F(BatcherTest, BadRequestsAreRefusedAtSubmit) {
  BatcherOptions options;
  options.max_batch_tokens = 8;
  Batcher batcher(*encoder_, options);
  const auto refused = [&](std::vector<int32_t> ids, const std::string& why) {
    try {
      batcher.submit(std::move(ids));
      ADD_FAILURE() << "accepted; expected: " << why;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_THAT(e.what(), HasSubstr(why));
    }
  };
  refused(std::vector<int32_t>(9, 5), "a sequence of 9 tokens is longer than max_batch_tokens (8)");
  refused(std::vector<int32_t>(25, 5), "longer than the model's maximum input (24 tokens)");
  refused({}, "at least one token");
  refused({5, 512}, "token id 512 at position 1 is outside the vocabulary [0, 512)");
  refused({5, -1}, "token id -1");
  EXPECT_THROW(batcher.submit({5, 6}, {0}), Error);
  // A token type outside the model's table (tiny-minilm: 2 types) would fail its whole batch.
  try {
    batcher.submit({5, 6}, {0, 2});
    ADD_FAILURE() << "type id 2 accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("token type id 2 is outside [0, 2)"));
  }
  // The batcher still works after refusals.
  EXPECT_EQ(batcher.submit({5, 6}).get().sentence_embeddings.size(), 48u);
}

TEST_F(BatcherTest, TruncationCutsToTheBudget) {
  BatcherOptions options;
  options.max_batch_tokens = 8, options.truncate = true, options.outputs = kOutputs;
  Batcher batcher(*encoder_, options);
  std::vector<int32_t> ids(20);
  for (size_t t = 0; t < ids.size(); ++t) ids[t] = static_cast<int32_t>(10 + t);
  const RequestResult r = batcher.submit(ids).get();
  ids.resize(8);
  const EncoderOutput direct = encoder_->run({{ids}, {}}, kOutputs);
  EXPECT_EQ(r.offsets, (std::vector<int64_t>{0, 8}));
  EXPECT_EQ(r.sentence_embeddings, direct.sentence_embeddings);
}

TEST_F(BatcherTest, AFailingBatchFailsOnlyItsOwnRequests) {
  // A memory limit that pairs of short sequences fit and a pair with a long one does not:
  // the long one's batch fails with OutOfMemory inside the session, the others succeed.
  const std::vector<int32_t> s = {5, 6, 7}, l(24, 9);
  const uint64_t fits = encoder_->memory_needed({{s, s}, {}}), too_big = encoder_->memory_needed({{l, s}, {}});
  ASSERT_LT(fits, too_big);
  EncoderOptions load;
  load.threads = 1, load.load_tokenizer = false, load.max_memory_bytes = (fits + too_big) / 2;
  const auto limited = Encoder::load(tiny_model("tiny-minilm"), load);
  BatcherOptions options;
  options.max_batch_requests = 2, options.max_wait = 1h;  // batches are consecutive pairs
  Batcher batcher(*limited, options);
  const std::vector<std::vector<int32_t>> inputs = {s, s, l, s, s, s};
  std::vector<std::future<RequestResult>> futures;
  for (const auto& ids : inputs) futures.push_back(batcher.submit(ids));
  for (size_t i = 0; i < futures.size(); ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    if (i == 2 || i == 3) {
      try {
        futures[i].get();
        ADD_FAILURE() << "the batch {long, short} should fail";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
      }
    } else {
      EXPECT_EQ(futures[i].get().sentence_embeddings.size(), 48u);
    }
  }
}

TEST_F(BatcherTest, SubmitBlocksWhileTheQueueIsFull) {
  HeldBatches held;
  BatcherOptions options;
  options.max_queued_requests = 2, options.max_batch_requests = 1, options.max_wait = 0us;
  held.hook(options);
  Batcher batcher(*encoder_, options);
  std::atomic<int> submitted{0};
  std::vector<std::future<RequestResult>> futures;
  std::thread producer([&] {
    for (int i = 0; i < 6; ++i) {
      futures.push_back(batcher.submit({5, 6, static_cast<int32_t>(7 + i)}));
      ++submitted;
    }
  });
  std::this_thread::sleep_for(300ms);
  // One request is held in the worker, two fill the queue; the fourth submit waits.
  EXPECT_EQ(submitted.load(), 3);
  held.release.set_value();
  producer.join();
  EXPECT_EQ(submitted.load(), 6);
  for (auto& f : futures) EXPECT_EQ(f.get().sentence_embeddings.size(), 48u);
}

TEST_F(BatcherTest, ShutdownRunsEverythingInFlight) {
  const auto sequences = random_sequences(200, 24, 4);
  std::vector<std::future<RequestResult>> futures;
  {
    BatcherOptions options;
    options.sessions = 2, options.threads = 2, options.max_wait = 1h, options.max_batch_tokens = 50;
    Batcher batcher(*encoder_, options);
    for (const auto& ids : sequences) futures.push_back(batcher.submit(ids));
    batcher.close();
    EXPECT_THROW(batcher.submit({5}), Error);
  }  // the destructor drains and joins
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    EXPECT_EQ(f.get().sentence_embeddings.size(), 48u);
  }
}

TEST_F(BatcherTest, OptionsOutOfRangeAreRefused) {
  const auto refused = [&](const std::function<void(BatcherOptions&)>& change, const std::string& name) {
    BatcherOptions options;
    change(options);
    try {
      Batcher batcher(*encoder_, options);
      ADD_FAILURE() << name << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      EXPECT_THAT(e.what(), HasSubstr(name));
    }
  };
  refused([](BatcherOptions& o) { o.max_batch_tokens = 0; }, "max_batch_tokens");
  refused([](BatcherOptions& o) { o.max_batch_requests = 0; }, "max_batch_requests");
  refused([](BatcherOptions& o) { o.max_queued_requests = 0; }, "max_queued_requests");
  refused([](BatcherOptions& o) { o.sessions = 0; }, "sessions");
  refused([](BatcherOptions& o) { o.threads = -1; }, "threads");
}

}  // namespace
}  // namespace packformer::test
