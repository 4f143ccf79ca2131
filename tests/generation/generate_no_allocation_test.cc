// The KV cache and every search buffer are allocated once per generate call: a warm call with
// 64 new tokens makes exactly as many allocations as one with 8 (nothing per token). Every
// malloc-family call in the process is counted.
#include "allocation_counter.h"
#include "generation_test_util.h"

namespace packformer::test {
namespace {

struct Mode {
  const char* name;
  GenerationOptions options;
};

std::vector<Mode> modes() {
  GenerationOptions greedy;
  greedy.eos_token_ids = std::vector<int32_t>{};  // no row stops early: every step runs
  greedy.repetition_penalty = 1.2f;
  greedy.no_repeat_ngram_size = 3;
  GenerationOptions sample = greedy;
  sample.do_sample = true;
  sample.top_k = 20;
  sample.top_p = 0.9f;
  sample.num_return_sequences = 2;
  GenerationOptions beam = greedy;
  beam.num_beams = 4;
  beam.num_return_sequences = 2;
  beam.early_stopping = EarlyStopping::Never;
  return {{"greedy", greedy}, {"sample", sample}, {"beam", beam}};
}

TEST(GenerateNoAllocation, AllocationsDoNotGrowWithNewTokens) {
  ASSERT_GT(allocations_during([] { std::vector<int> v(100); (void)v; }), 0);
  auto generator = Generator::load(tiny_gpt2(), {.threads = 2, .load_tokenizer = false});
  const auto prompts = golden_prompts(generation_golden());
  for (Mode& mode : modes()) {
    mode.options.max_new_tokens = 64;
    generator->generate(prompts, mode.options);  // warm-up: the workspace reaches its largest size
    GeneratedIds out;
    const long long_run = allocations_during([&] { out = generator->generate(prompts, mode.options); });
    for (const auto& rows : out)
      for (const auto& sequence : rows) ASSERT_EQ(sequence.size(), 64u) << mode.name;
    mode.options.max_new_tokens = 8;
    const long short_run = allocations_during([&] { out = generator->generate(prompts, mode.options); });
    EXPECT_EQ(long_run, short_run) << mode.name << ": 56 more tokens made " << long_run - short_run
                                   << " more allocations";
    std::printf("%s: %ld allocations per call with 64 new tokens, %ld with 8\n", mode.name, long_run, short_run);
  }
}

}  // namespace
}  // namespace packformer::test
