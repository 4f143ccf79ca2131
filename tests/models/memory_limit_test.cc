// The memory limit: a batch's needs are computed before anything is allocated, a batch over the
// limit is refused with ErrorKind::OutOfMemory naming needed and allowed bytes, and the
// computed figure is an upper bound of what run() really allocates (measured here by counting
// every operator new of the process while run() executes).
#include <gmock/gmock.h>
#include <unistd.h>

#include "packformer/encoder.h"
#include "packformer/error.h"
#include "peak_memory.h"
#include "test_util.h"

namespace packformer::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// tiny-minilm: hidden 48, max_length 24. Ragged lengths so padded and packed differ.
EncoderInput ragged_batch(int64_t batch) {
  EncoderInput input;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<int32_t> ids = {2};
    for (int64_t t = 0; t < 1 + (b * 7) % 21; ++t) ids.push_back(static_cast<int32_t>(10 + (b * 13 + t) % 400));
    ids.push_back(3);
    input.ids.push_back(ids);
  }
  return input;
}

const RunOptions kPaths[] = {{ExecutionPath::Slow, false}, {ExecutionPath::Fast, false}, {ExecutionPath::Fast, true}};

// Peak bytes of operator new held during one run, above what was held before it.
long long peak_during_run(const Encoder& encoder, const EncoderInput& input, const RunOptions& options) {
  return peak_bytes_during([&] { EncoderOutput out = encoder.run(input, kSentenceEmbedding | kHiddenStates, options); });
}

TEST(MemoryLimit, NeededBytesBoundWhatRunAllocates) {
  for (const RunOptions& options : kPaths) {
    SCOPED_TRACE(options.path == ExecutionPath::Slow ? "slow" : options.sparsity ? "fast packed" : "fast padded");
    const EncoderInput input = ragged_batch(16);
    // One run on another encoder first: process-wide one-time state (oneDNN's JIT kernels and
    // caches, the OpenMP thread pool) is not the batch's memory and must not be counted.
    Encoder::load(tiny_model("tiny-minilm"))->run(input, kSentenceEmbedding | kHiddenStates, options);
    // A fresh encoder each time: the fast path's workspace is allocated by its first run.
    const auto encoder = Encoder::load(tiny_model("tiny-minilm"));
    const uint64_t needed = encoder->memory_needed(input, options);
    const long long measured = peak_during_run(*encoder, input, options);
    // An upper bound (every buffer counted, heads over-counted a little), and not a loose one:
    // the activations are the bulk of what run() allocates.
    EXPECT_LE(measured, static_cast<long long>(needed));
    EXPECT_GE(measured, static_cast<long long>(needed) / 2);
  }
}

TEST(MemoryLimit, PathsNeedWhatTheirLayoutsImply) {
  const auto encoder = Encoder::load(tiny_model("tiny-minilm"));
  const EncoderInput input = ragged_batch(16);
  const uint64_t slow = encoder->memory_needed(input, kPaths[0]);
  const uint64_t padded = encoder->memory_needed(input, kPaths[1]);
  const uint64_t packed = encoder->memory_needed(input, kPaths[2]);
  EXPECT_GT(slow, padded);    // the slow path also holds the [B, heads, T, T] scores
  EXPECT_GT(padded, packed);  // a ragged batch: padding rows cost memory only when padded
  EXPECT_GT(encoder->memory_needed(ragged_batch(32), kPaths[2]), packed);
}

TEST(MemoryLimit, BatchOverTheLimitIsRefusedBeforeRunning) {
  const EncoderInput input = ragged_batch(16);
  for (const RunOptions& options : kPaths) {
    const uint64_t needed = Encoder::load(tiny_model("tiny-minilm"))->memory_needed(input, options);
    EncoderOptions tight;
    tight.max_memory_bytes = needed - 1;
    const auto refusing = Encoder::load(tiny_model("tiny-minilm"), tight);
    try {
      refusing->run(input, kSentenceEmbedding, options);
      ADD_FAILURE() << "a batch needing " << needed << " bytes ran under a limit of " << needed - 1;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
      EXPECT_THAT(e.what(), AllOf(HasSubstr("needs " + std::to_string(needed) + " bytes"),
                                  HasSubstr("at most " + std::to_string(needed - 1) + " bytes"),
                                  HasSubstr("--max-memory")));
    }
    // Exactly enough runs, and gives the same result as no limit.
    EncoderOptions exact;
    exact.max_memory_bytes = needed;
    const EncoderOutput limited = Encoder::load(tiny_model("tiny-minilm"), exact)->run(input, kSentenceEmbedding, options);
    const EncoderOutput free = Encoder::load(tiny_model("tiny-minilm"))->run(input, kSentenceEmbedding, options);
    EXPECT_EQ(limited.sentence_embeddings, free.sentence_embeddings);
  }
}

TEST(MemoryLimit, DefaultIsHalfOfPhysicalMemory) {
  const auto encoder = Encoder::load(tiny_model("tiny-minilm"));
  const uint64_t ram = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
  EXPECT_EQ(encoder->memory_limit(), ram / 2);
}

}  // namespace
}  // namespace packformer::test
