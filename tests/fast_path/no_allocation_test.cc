// Once warm, a fast-path forward pass allocates nothing: every malloc-family call in this
// process (C++ new, oneDNN, OpenMP, libc) is counted while the pass runs.
#include "allocation_counter.h"
#include "forced_isa.h"
#include "test_util.h"

namespace packformer::test {
namespace {

using NoAllocation = ForcedIsaTest;

TEST_F(NoAllocation, WarmFastPathAllocatesNothing) {
  // The counter must see allocations at all, or a zero below would prove nothing.
  ASSERT_GT(allocations_during([] { std::vector<int> v(100); (void)v; }), 0);

  // tiny-mpnet: its relative-position bias table lives in the workspace too.
  for (const char* model : {"tiny-xlmr", "tiny-mpnet"}) {
    const auto encoder = Encoder::load(tiny_model(model), {.threads = 2, .load_tokenizer = false});
    EncoderInput input;
    for (int len : {9, 1, 16, 4}) {
      std::vector<int32_t> ids(static_cast<size_t>(len), 5);
      ids.front() = 0;
      input.ids.push_back(ids);
    }
    for (const bool sparsity : {true, false}) {
      const RunOptions options{ExecutionPath::Fast, sparsity};
      EncoderOutput output;
      encoder->run(input, kHiddenStates, options, output);  // warm-up: plans buffers and primitives
      const long count = allocations_during([&] {
        for (int i = 0; i < 3; ++i) encoder->run(input, kHiddenStates, options, output);
      });
      EXPECT_EQ(count, 0) << model << " sparsity " << sparsity;
    }
  }
}

TEST_F(NoAllocation, SmallerBatchAfterLargerReusesTheWorkspace) {
  const auto encoder = Encoder::load(tiny_model("tiny-bert"), {.threads = 2, .load_tokenizer = false});
  EncoderInput big, small;
  big.ids.assign(4, std::vector<int32_t>(30, 7));
  small.ids.assign(2, std::vector<int32_t>(12, 7));
  EncoderOutput output;
  encoder->run(big, kHiddenStates, {}, output);
  encoder->run(small, kHiddenStates, {}, output);  // first use of this row bucket
  EXPECT_EQ(allocations_during([&] { encoder->run(small, kHiddenStates, {}, output); }), 0);
}

TEST_F(NoAllocation, WarmBf16AndInt8RunsAllocateNothing) {
  for (const char* dtype : {"bf16", "int8"}) {
    const auto encoder = Encoder::load(tiny_model("tiny-xlmr"), {.threads = 2, .load_tokenizer = false, .dtype = dtype});
    EncoderInput input;
    for (int len : {9, 1, 16, 4}) input.ids.push_back(std::vector<int32_t>(static_cast<size_t>(len), 5));
    EncoderOutput output;
    encoder->run(input, kHiddenStates, {}, output);
    EXPECT_EQ(allocations_during([&] { encoder->run(input, kHiddenStates, {}, output); }), 0) << dtype;
  }
}

}  // namespace
}  // namespace packformer::test
