// Greedy and beam search (4 beams) on the tiny Llama-style models, token for token against
// transformers' generate() (tests/data/golden/tiny-*-generate.json): six prompts of mixed
// lengths prefilled packed, up to 64 new tokens (past every sliding window), EOS reached early
// in some rows.
#include "generation_test_util.h"
#include "llama_test_util.h"

namespace packformer::test {
namespace {

using Case = std::tuple<std::string, std::string>;  // model, golden case

class LlamaGenerateGolden : public ::testing::TestWithParam<Case> {};

TEST_P(LlamaGenerateGolden, TokenIdenticalToTransformersBatchedAndAlone) {
  const auto& [model, name] = GetParam();
  const auto golden = llama_generate_golden(model);
  const auto& c = golden_case(golden, name);
  const GenerationOptions options = options_from_golden(c.at("options"));
  const auto prompts = golden_prompts(golden);
  const auto expected = c.at("new_tokens").get<GeneratedIds>();
  const auto generator = Generator::load(tiny_model(model), {.threads = 2});
  EXPECT_EQ(generator->default_eos_token_ids(), std::vector<int32_t>{golden.at("eos_token_id").get<int32_t>()});
  const GeneratedIds got = generator->generate(prompts, options);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t p = 0; p < got.size(); ++p) EXPECT_EQ(got[p], expected[p]) << "prompt " << p;
  for (size_t p = 0; p < prompts.size(); ++p)
    EXPECT_EQ(generator->generate({prompts[p]}, options)[0], expected[p]) << "prompt " << p << " alone";
}

INSTANTIATE_TEST_SUITE_P(Models, LlamaGenerateGolden,
                         ::testing::Combine(::testing::ValuesIn(llama_family_models()),
                                            ::testing::Values("greedy", "beam4")),
                         [](const auto& info) {
                           return std::get<0>(info.param).substr(5) + "_" + std::get<1>(info.param);
                         });

TEST(LlamaGenerateGoldenMeta, GreedyGoldensStopEarlyInSomeRows) {
  // EOS handling is only tested if some greedy rows stop before max_new_tokens.
  for (const std::string& model : llama_family_models()) {
    const auto greedy = golden_case(llama_generate_golden(model), "greedy").at("new_tokens").get<GeneratedIds>();
    int stopped = 0;
    for (const auto& rows : greedy) stopped += rows[0].size() < 64;
    EXPECT_GT(stopped, 0) << model;
  }
}

}  // namespace
}  // namespace packformer::test
