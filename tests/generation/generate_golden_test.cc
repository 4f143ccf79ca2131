// Greedy and beam search on the tiny GPT-2, token for token against transformers' generate()
// (tests/data/golden/tiny-gpt2-generate.json): a batch of prompts of mixed lengths, prefilled
// packed, up to 64 new tokens, EOS reached early in some rows.
#include "generation_test_util.h"
#include "packformer/tokenizer.h"

namespace packformer::test {
namespace {

class GenerateGolden : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    golden_ = new nlohmann::json(generation_golden());
    generator_ = Generator::load(tiny_gpt2(), {.threads = 2}).release();
  }
  static void TearDownTestSuite() {
    delete generator_;
    delete golden_;
  }
  static nlohmann::json* golden_;
  static Generator* generator_;
};
nlohmann::json* GenerateGolden::golden_ = nullptr;
Generator* GenerateGolden::generator_ = nullptr;

TEST_P(GenerateGolden, TokenIdenticalToTransformers) {
  const auto& c = golden_case(*golden_, GetParam());
  const GenerationOptions options = options_from_golden(c.at("options"));
  const auto prompts = golden_prompts(*golden_);
  const auto expected = c.at("new_tokens").get<GeneratedIds>();
  const GeneratedIds got = generator_->generate(prompts, options);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t p = 0; p < got.size(); ++p) EXPECT_EQ(got[p], expected[p]) << "prompt " << p;
}

TEST_P(GenerateGolden, EachPromptAloneGivesTheBatchResult) {
  const auto& c = golden_case(*golden_, GetParam());
  const GenerationOptions options = options_from_golden(c.at("options"));
  const auto prompts = golden_prompts(*golden_);
  const auto expected = c.at("new_tokens").get<GeneratedIds>();
  for (size_t p = 0; p < prompts.size(); ++p) EXPECT_EQ(generator_->generate({prompts[p]}, options)[0], expected[p]) << p;
}

INSTANTIATE_TEST_SUITE_P(Cases, GenerateGolden,
                         ::testing::Values("greedy", "greedy_repetition_penalty", "greedy_no_repeat_ngram", "beam4",
                                           "beam4_lp_early", "beam4_lp_late", "beam4_never", "beam4_return2",
                                           "beam4_ngram2", "beam3_short"));

TEST(GenerateGoldenMeta, GoldensExerciseEarlyStopAndTheModelsEos) {
  const auto golden = generation_golden();
  const auto generator = Generator::load(tiny_gpt2());
  EXPECT_EQ(generator->default_eos_token_ids(), std::vector<int32_t>{golden.at("eos_token_id").get<int32_t>()});
  // The greedy golden must hold rows that stop at EOS and rows that run to 64 tokens, or the
  // EOS handling above would go untested.
  const auto greedy = golden_case(golden, "greedy").at("new_tokens").get<GeneratedIds>();
  int stopped = 0, full = 0;
  for (const auto& rows : greedy) {
    stopped += rows[0].size() < 64;
    full += rows[0].size() == 64;
  }
  EXPECT_GT(stopped, 0);
  EXPECT_GT(full, 0);
}

TEST(GenerateGoldenMeta, CallbackSeesEveryTokenInOrder) {
  const auto golden = generation_golden();
  const auto generator = Generator::load(tiny_gpt2());
  for (const char* name : {"greedy", "beam4_return2"}) {
    const auto& c = golden_case(golden, name);
    const auto prompts = golden_prompts(golden);
    GeneratedIds streamed(prompts.size());
    const GeneratedIds got = generator->generate(prompts, options_from_golden(c.at("options")),
                                                 [&](size_t p, size_t s, int32_t token) {
                                                   if (streamed[p].size() <= s) streamed[p].resize(s + 1);
                                                   streamed[p][s].push_back(token);
                                                 });
    EXPECT_EQ(streamed, got) << name;
  }
}

TEST(GenerateGoldenMeta, TextInTextOut) {
  const auto golden = generation_golden();
  const auto generator = Generator::load(tiny_gpt2());
  GenerationOptions options;
  options.max_new_tokens = 20;
  std::vector<std::string> texts;
  for (const auto& t : golden.at("texts")) {
    texts.push_back(t.at("text"));
    EXPECT_EQ(generator->tokenizer().encode(texts.back()).ids, t.at("prompt").get<std::vector<int32_t>>());
  }
  const auto out = generator->generate_text(texts, options);
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(out[i][0], golden.at("texts")[i].at("decoded").get<std::string>());
}

}  // namespace
}  // namespace packformer::test
