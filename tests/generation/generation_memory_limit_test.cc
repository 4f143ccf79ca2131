// The memory limit of generation: a call's needs (KV cache of every beam / returned sequence
// at its maximum length, workspace, logits of every row) are computed before anything is
// allocated; a call over the limit is refused with ErrorKind::OutOfMemory naming needed and
// allowed bytes; the computed figure bounds what generate() really allocates (every operator
// new of the process is tracked while it runs), for GPT-2, the Llama-style decoders and the
// encoder-decoder models.
#include <gmock/gmock.h>
#include <unistd.h>

#include "packformer/error.h"
#include "peak_memory.h"
#include "llama_test_util.h"
#include "seq2seq_test_util.h"

namespace packformer::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

struct Mode {
  const char* name;
  GenerationOptions options;
};

// Every search, each with several rows per prompt where it can have them; no row stops early.
std::vector<Mode> modes() {
  GenerationOptions greedy;
  greedy.max_new_tokens = 40;
  greedy.eos_token_ids = std::vector<int32_t>{};
  greedy.no_repeat_ngram_size = 3;
  GenerationOptions sample = greedy;
  sample.do_sample = true;
  sample.num_return_sequences = 3;
  GenerationOptions beam = greedy;
  beam.num_beams = 6;
  beam.num_return_sequences = 2;
  beam.early_stopping = EarlyStopping::Never;
  return {{"greedy", greedy}, {"sample", sample}, {"beam", beam}};
}

struct Case {
  std::string model;
  std::vector<std::vector<int32_t>> prompts;
};

std::vector<Case> cases() {
  std::vector<Case> out{{"tiny-gpt2", golden_prompts(generation_golden())}};
  for (const auto& name : llama_family_models()) out.push_back({name, golden_prompts(llama_generate_golden(name))});
  for (const auto& name : seq2seq_models()) out.push_back({name, golden_sources(seq2seq_golden(name))});
  return out;
}

std::unique_ptr<Generator> load(const std::string& model, uint64_t max_memory_bytes = 0) {
  return Generator::load(tiny_model(model), {.threads = 2, .load_tokenizer = false, .max_memory_bytes = max_memory_bytes});
}

TEST(GenerationMemoryLimit, NeededBytesBoundWhatGenerateAllocates) {
  for (const Case& c : cases()) {
    for (const Mode& mode : modes()) {
      SCOPED_TRACE(c.model + " " + mode.name);
      // One call on another generator first: process-wide one-time state (the OpenMP thread
      // pool) is not the call's memory.
      load(c.model)->generate(c.prompts, mode.options);
      const auto generator = load(c.model);  // fresh: its cache and workspace are allocated by this call
      const uint64_t needed = generator->memory_needed(c.prompts, mode.options);
      const long long measured = peak_bytes_during([&] { GeneratedIds out = generator->generate(c.prompts, mode.options); });
      std::printf("%s %s: needs %llu bytes, allocated at most %lld at once\n", c.model.c_str(), mode.name,
                  static_cast<unsigned long long>(needed), measured);
      // An upper bound, and not a loose one: the KV cache and the logits are the bulk of it.
      EXPECT_LE(measured, static_cast<long long>(needed));
      EXPECT_GE(measured, static_cast<long long>(needed) / 2);
    }
  }
}

TEST(GenerationMemoryLimit, CallOverTheLimitIsRefusedAndExactlyEnoughRuns) {
  for (const Case& c : cases()) {
    for (const Mode& mode : modes()) {
      SCOPED_TRACE(c.model + " " + mode.name);
      const GeneratedIds free = load(c.model)->generate(c.prompts, mode.options);
      const uint64_t needed = load(c.model)->memory_needed(c.prompts, mode.options);
      try {
        load(c.model, needed - 1)->generate(c.prompts, mode.options);
        ADD_FAILURE() << "a call needing " << needed << " bytes ran under a limit of " << needed - 1;
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
        EXPECT_THAT(e.what(), AllOf(HasSubstr("needs " + std::to_string(needed) + " bytes"),
                                    HasSubstr("at most " + std::to_string(needed - 1) + " bytes"),
                                    HasSubstr("--max-memory")));
      }
      EXPECT_EQ(load(c.model, needed)->generate(c.prompts, mode.options), free);
    }
  }
}

TEST(GenerationMemoryLimit, MoreRowsAndTokensNeedMore) {
  const auto generator = load("tiny-gpt2");
  const auto prompts = golden_prompts(generation_golden());
  GenerationOptions base = modes()[0].options;
  const uint64_t greedy = generator->memory_needed(prompts, base);
  GenerationOptions beams = base;
  beams.num_beams = 4;
  GenerationOptions longer = base;
  longer.max_new_tokens = 80;
  std::vector<std::vector<int32_t>> more_prompts = prompts;
  more_prompts.insert(more_prompts.end(), prompts.begin(), prompts.end());
  EXPECT_GT(generator->memory_needed(prompts, beams), 3 * greedy);  // four cache rows per prompt
  EXPECT_GT(generator->memory_needed(prompts, longer), greedy);
  EXPECT_GT(generator->memory_needed(more_prompts, base), greedy);
}

// 2,000 prompts x 200 beams x 104 positions of the tiny GPT-2 (2 layers, width 48) is a 32 GB
// KV cache: refused at once, before any of it is allocated (allocating it would fail or
// thrash here).
TEST(GenerationMemoryLimit, HugeCallIsRefusedBeforeAllocating) {
  const std::vector<std::vector<int32_t>> prompts(2000, std::vector<int32_t>{1, 2, 3, 4, 5});
  GenerationOptions options;
  options.num_beams = 200;
  options.max_new_tokens = 100;
  const auto generator = load("tiny-gpt2", 1ull << 30);
  EXPECT_GT(generator->memory_needed(prompts, options), 30ull << 30);
  try {
    generator->generate(prompts, options);
    ADD_FAILURE() << "a 32 GB call ran under a 1 GiB limit";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory);
    EXPECT_THAT(e.what(), AllOf(HasSubstr("2000 prompts"), HasSubstr("--batch-size"), HasSubstr("--num-beams")));
  }
}

TEST(GenerationMemoryLimit, DefaultIsHalfOfPhysicalMemory) {
  const uint64_t ram = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
  EXPECT_EQ(load("tiny-gpt2")->memory_limit(), ram / 2);
  EXPECT_EQ(load("tiny-gpt2", 12345)->memory_limit(), 12345u);
}

}  // namespace
}  // namespace packformer::test
