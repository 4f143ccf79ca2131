// Sessions: several threads run one Encoder's model at the same time, each with its own
// session (workspace, thread count), with results identical to serial runs and the weights
// held once.
#include <omp.h>

#include <thread>

#include "packformer/error.h"
#include "packformer/synth.h"
#include "peak_memory.h"
#include "test_util.h"

namespace packformer::test {
namespace {

constexpr int kSessions = 4;

// A BERT geometry whose weights (~17 MB) dwarf one small batch's activations, so a session
// that copied them would stand out in the allocation peak.
class SessionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    SynthSpec spec;
    spec.layers = 2, spec.hidden = 128, spec.heads = 4, spec.intermediate = 256, spec.num_labels = 3;
    write_synthetic_model(spec, dir_->path());
  }
  static void TearDownTestSuite() { delete dir_; }

  // Batch i: its own lengths and ids, so a session reading another's workspace shows.
  static EncoderInput batch(int i) {
    EncoderInput input;
    for (int b = 0; b < 3 + i; ++b) {
      std::vector<int32_t> ids(static_cast<size_t>(5 + 7 * b + 3 * i));
      for (size_t t = 0; t < ids.size(); ++t) ids[t] = static_cast<int32_t>((101 + 13 * t + 1000 * i + 7 * b) % 30522);
      input.ids.push_back(ids);
    }
    return input;
  }

  static inline TempDir* dir_ = nullptr;
  static constexpr unsigned kOutputs = kHiddenStates | kLogits;
};

TEST_F(SessionsTest, ConcurrentSessionsMatchSerialRunsAndShareTheWeights) {
  const auto encoder = Encoder::load(dir_->path(), {.threads = 2, .load_tokenizer = false});
  const uint64_t weight_bytes = std::filesystem::file_size(dir_->path() / "model.safetensors");
  for (const ExecutionPath path : {ExecutionPath::Fast, ExecutionPath::Slow}) {
    const RunOptions options{path, true};
    std::vector<EncoderOutput> serial(kSessions);
    {
      const auto session = encoder->new_session({.threads = 2});
      for (int i = 0; i < kSessions; ++i) serial[i] = session->run(batch(i), kOutputs, options);
    }
    std::vector<std::unique_ptr<EncoderSession>> sessions;
    std::vector<std::vector<EncoderOutput>> concurrent(kSessions, std::vector<EncoderOutput>(5));
    const long long peak = peak_bytes_during([&] {
      for (int i = 0; i < kSessions; ++i) sessions.push_back(encoder->new_session({.threads = 2}));
      std::vector<std::thread> threads;
      for (int i = 0; i < kSessions; ++i)
        threads.emplace_back([&, i] {
          for (auto& output : concurrent[i]) output = sessions[i]->run(batch(i), kOutputs, options);
        });
      for (auto& thread : threads) thread.join();
    });
    for (int i = 0; i < kSessions; ++i)
      for (const EncoderOutput& output : concurrent[i]) {
        // Same session settings, same batch: the same operations in the same order, so the
        // same bits (any workspace shared between sessions would break this).
        EXPECT_EQ(output.hidden_states, serial[i].hidden_states) << "session " << i;
        EXPECT_EQ(output.logits, serial[i].logits) << "session " << i;
      }
    // Four sessions' workspaces and outputs for these small batches (the slow path's padded
    // buffers and scores included) stay under half the weights; a single copy of the weights
    // by any session would exceed it.
    EXPECT_LT(peak, static_cast<long long>(weight_bytes / 2)) << "path " << (path == ExecutionPath::Fast ? "fast" : "slow");
  }
}

TEST_F(SessionsTest, EncoderRunIsSafeFromSeveralThreads) {
  const auto encoder = Encoder::load(dir_->path(), {.threads = 1, .load_tokenizer = false});
  std::vector<EncoderOutput> serial(kSessions), concurrent(kSessions);
  for (int i = 0; i < kSessions; ++i) serial[i] = encoder->run(batch(i), kOutputs);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSessions; ++i)
    threads.emplace_back([&, i] { concurrent[i] = encoder->run(batch(i), kOutputs); });
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kSessions; ++i) EXPECT_EQ(concurrent[i].hidden_states, serial[i].hidden_states) << i;
}

TEST_F(SessionsTest, ThreadCountIsTheSessionsAndDoesNotLeak) {
  const int before = omp_get_max_threads();
  const auto encoder = Encoder::load(dir_->path(), {.threads = 3, .load_tokenizer = false});
  EXPECT_EQ(omp_get_max_threads(), before) << "load must not change the caller's thread count";
  EXPECT_EQ(encoder->new_session()->threads(), 3);
  const auto one = encoder->new_session({.threads = 1});
  EXPECT_EQ(one->threads(), 1);
  one->run(batch(0), kOutputs);
  encoder->run(batch(0), kOutputs);
  EXPECT_EQ(omp_get_max_threads(), before) << "a run must not change the caller's thread count";
  EXPECT_THROW(encoder->new_session({.threads = -1}), Error);
}

TEST_F(SessionsTest, SessionOutlivesTheEncoder) {
  auto encoder = Encoder::load(dir_->path(), {.threads = 1, .load_tokenizer = false});
  const EncoderOutput expected = encoder->run(batch(1), kOutputs);
  const auto session = encoder->new_session();
  encoder.reset();
  EXPECT_EQ(session->run(batch(1), kOutputs).hidden_states, expected.hidden_states);
}

}  // namespace
}  // namespace packformer::test
