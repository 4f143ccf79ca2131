// `packformer generate --ids` end to end on the tiny Llama-style models: greedy and beam search
// token for token as transformers' generate(), prompts in two batches; clear errors.
#include "cli/cli_test_util.h"
#include "generation_test_util.h"
#include "llama_test_util.h"

namespace packformer::test {
namespace {

class LlamaGenerateCli : public CliTest {
 protected:
  CliResult generate(const std::string& model, const std::string& args, const std::string& input) {
    return CliTest::run("generate --model " + quote(tiny_model(model).string()) + " --threads 2 " + args, input);
  }
};

TEST_F(LlamaGenerateCli, IdsGreedyAndBeamMatchTransformers) {
  for (const std::string& model : llama_family_models()) {
    const auto golden = llama_generate_golden(model);
    const auto prompts = golden_prompts(golden);
    std::string input;
    for (const auto& p : prompts) input += nlohmann::json(p).dump() + "\n";
    for (const auto& [name, flags] : std::vector<std::pair<std::string, std::string>>{{"greedy", ""},
                                                                                      {"beam4", " --num-beams 4"}}) {
      // --batch-size 4: the six prompts run as two batches of different sizes.
      const CliResult r = generate(model, "--ids --max-new-tokens 64 --batch-size 4" + flags, input);
      ASSERT_EQ(r.exit_code, 0) << model << " " << r.err;
      const auto lines = split_lines(r.out);
      const auto expected = golden_case(golden, name).at("new_tokens");
      ASSERT_EQ(lines.size(), prompts.size()) << model << " " << name;
      for (size_t p = 0; p < lines.size(); ++p)
        EXPECT_EQ(nlohmann::json::parse(lines[p]), expected[p][0]) << model << " " << name << " prompt " << p;
    }
  }
}

TEST_F(LlamaGenerateCli, BadInputGivesOneClearError) {
  std::vector<int32_t> long_prompt(120, 5);
  expect_error(generate("tiny-qwen3", "--ids --max-new-tokens 20", "[1]\n" + nlohmann::json(long_prompt).dump() + "\n"),
               {"line 2", "120 tokens", "positions"});
  expect_error(generate("tiny-mistral", "--ids", "[1, 384]\n"), {"line 1", "384", "vocabulary"});
  // No tokenizer.json in the tiny folders: text prompts are refused, naming the file.
  expect_error(generate("tiny-llama", "--max-new-tokens 4", "Hello\n"), {"tokenizer"});
}

}  // namespace
}  // namespace packformer::test
