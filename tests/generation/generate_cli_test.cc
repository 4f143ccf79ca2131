// `packformer generate` end to end on the tiny GPT-2: --ids and text against the transformers
// goldens, streaming of a single prompt, and clear errors for bad input.
#include "cli/cli_test_util.h"
#include "generation_test_util.h"

namespace packformer::test {
namespace {

// The shared CLI fixture (tests/cli/cli_test_util.h), with every command being `generate`.
class GenerateCli : public CliTest {
 protected:
  CliResult run(const std::string& args, const std::string& input = "") {
    return CliTest::run("generate " + args, input);
  }
  static std::string model() { return "--model " + quote(tiny_gpt2().string()) + " --threads 2"; }
  static std::string id_lines(const std::vector<std::vector<int32_t>>& prompts) {
    std::string text;
    for (const auto& p : prompts) text += nlohmann::json(p).dump() + "\n";
    return text;
  }
};

TEST_F(GenerateCli, IdsGreedyAndBeamMatchTransformers) {
  const auto golden = generation_golden();
  const auto prompts = golden_prompts(golden);
  for (const auto& [name, flags] : std::vector<std::pair<std::string, std::string>>{
           {"greedy", ""}, {"beam4", " --num-beams 4"}, {"beam4_lp_early", " --num-beams 4 --length-penalty 0.6 --early-stopping true"}}) {
    // --batch-size 4: the six prompts run as two batches of different sizes.
    const CliResult r = run(model() + " --ids --max-new-tokens 64 --batch-size 4" + flags, id_lines(prompts));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = split_lines(r.out);
    const auto expected = golden_case(golden, name).at("new_tokens");
    ASSERT_EQ(lines.size(), prompts.size()) << name;
    for (size_t p = 0; p < lines.size(); ++p)
      EXPECT_EQ(nlohmann::json::parse(lines[p]), expected[p][0]) << name << " prompt " << p;
  }
}

TEST_F(GenerateCli, SeveralReturnSequencesPrintOneArrayOfArraysPerPrompt) {
  const auto golden = generation_golden();
  const auto prompts = golden_prompts(golden);
  const CliResult r = run(model() + " --ids --max-new-tokens 64 --num-beams 4 --num-return-sequences 2 --length-penalty 0.8",
                          id_lines(prompts));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), prompts.size());
  const auto expected = golden_case(golden, "beam4_return2").at("new_tokens");
  for (size_t p = 0; p < lines.size(); ++p) EXPECT_EQ(nlohmann::json::parse(lines[p]), expected[p]) << p;
}

TEST_F(GenerateCli, TextPromptsGiveJsonStringsAndOnePromptStreamsPlainText) {
  const auto golden = generation_golden();
  std::string input;
  for (const auto& t : golden.at("texts")) input += t.at("text").get<std::string>() + "\n";
  const CliResult many = run(model() + " --max-new-tokens 20", input);
  ASSERT_EQ(many.exit_code, 0) << many.err;
  const auto lines = split_lines(many.out);
  ASSERT_EQ(lines.size(), golden.at("texts").size());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(nlohmann::json::parse(lines[i]), golden.at("texts")[i].at("decoded"));

  const auto& first = golden.at("texts")[0];
  const CliResult one = run(model() + " --max-new-tokens 20 --prompt " + quote(first.at("text")));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, first.at("decoded").get<std::string>() + "\n");
}

TEST_F(GenerateCli, BadInputGivesOneClearError) {
  expect_error(run("--model " + quote(tiny_model("tiny-bert").string()) + " --ids", "[1, 2]\n"),
               {"unsupported", "bert", "encoder"});
  std::vector<int32_t> long_prompt(120, 5);
  expect_error(run(model() + " --ids --max-new-tokens 20", "[1]\n" + nlohmann::json(long_prompt).dump() + "\n"),
               {"line 2", "120 tokens", "positions"});
  expect_error(run(model() + " --ids", "[1, 2\n"), {"line 1", "JSON array"});
  expect_error(run(model() + " --ids", "[1, 99999]\n"), {"line 1", "99999", "vocabulary"});
  expect_error(run(model() + " --ids --do-sample --top-p 1.5", "[1]\n"), {"top_p"});
  expect_error(run(model() + " --ids --num-beams 2 --num-return-sequences 3", "[1]\n"), {"num_return_sequences"});
  expect_error(run(model() + " --ids --max-new-tokens 0", "[1]\n"), {"--max-new-tokens must be in [1, 65536] (got 0)"});
  expect_error(run(model() + " --ids", ""), {"no prompts"});
  expect_error(run(model() + " --ids --num-beams 4 --max-memory 100K", "[1, 2, 3]\n"),
               {"out of memory", "needs", "102400 bytes", "--max-memory"});
  expect_error(run(model() + " --ids --max-memory lots", "[1]\n"), {"--max-memory", "lots", "not a size"});
  expect_error(run("--model " + quote((tmp_.path() / "missing").string()), "hi\n"), {"missing"});
}

}  // namespace
}  // namespace packformer::test
