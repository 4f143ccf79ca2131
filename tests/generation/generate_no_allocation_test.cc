// The KV cache and every search buffer are allocated once per generate call: a warm call with
// 64 new tokens makes exactly as many allocations as one with 8 (nothing per token), for GPT-2,
// a Llama-style decoder (qwen2) and the encoder-decoder models (encoder, cross-attention keys,
// decoder cache). Every malloc-family call in the process is counted.
#include "allocation_counter.h"
#include <functional>

#include "seq2seq_test_util.h"

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

// Runs every mode on `prompts` with 64 and with 8 new tokens after a warm-up.
void expect_no_allocation_per_token(const std::string& model_name, const std::vector<std::vector<int32_t>>& prompts,
                                    const std::function<void(GenerationOptions&)>& adjust) {
  auto generator = Generator::load(tiny_model(model_name), {.threads = 2, .load_tokenizer = false});
  for (Mode& mode : modes()) {
    adjust(mode.options);
    mode.options.max_new_tokens = 64;
    generator->generate(prompts, mode.options);  // warm-up: the workspace reaches its largest size
    GeneratedIds out;
    const long long_run = allocations_during([&] { out = generator->generate(prompts, mode.options); });
    for (const auto& rows : out)
      for (const auto& sequence : rows) ASSERT_EQ(sequence.size(), 64u) << model_name << " " << mode.name;
    mode.options.max_new_tokens = 8;
    const long short_run = allocations_during([&] { out = generator->generate(prompts, mode.options); });
    EXPECT_EQ(long_run, short_run) << model_name << " " << mode.name << ": 56 more tokens made "
                                   << long_run - short_run << " more allocations";
    std::printf("%s %s: %ld allocations per call with 64 new tokens, %ld with 8\n", model_name.c_str(), mode.name,
                long_run, short_run);
  }
}

TEST(GenerateNoAllocation, AllocationsDoNotGrowWithNewTokens) {
  ASSERT_GT(allocations_during([] { std::vector<int> v(100); (void)v; }), 0);
  expect_no_allocation_per_token("tiny-gpt2", golden_prompts(generation_golden()), [](GenerationOptions&) {});
}

TEST(GenerateNoAllocation, LlamaFamilyAllocationsDoNotGrowWithNewTokens) {
  // qwen2: grouped key/value heads, biases, a sliding window on one layer, tied head.
  expect_no_allocation_per_token("tiny-qwen2", {{5, 9, 200, 31, 7, 77, 13, 250, 4}, {11}, {3, 300, 42}},
                                 [](GenerationOptions&) {});
}

TEST(GenerateNoAllocation, EncoderDecoderAllocationsDoNotGrowWithNewTokens) {
  // Forced BOS and a banned token too, so every processor of these models runs.
  for (const auto& name : seq2seq_models())
    expect_no_allocation_per_token(name, golden_sources(seq2seq_golden(name)), [](GenerationOptions& o) {
      o.forced_bos_token_id = 3;
      o.bad_token_ids = std::vector<int32_t>{5};
    });
}

}  // namespace
}  // namespace packformer::test
