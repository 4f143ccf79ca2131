// `embed --prompt-name / --prompt` and the folder's default_prompt_name, against
// sentence-transformers' encode(prompt_name=, prompt=) on tiny-minilm-prompts (goldens:
// scripts/make_golden.py python), and their errors.
#include "cli/cli_test_util.h"

namespace packformer::test {
namespace {

constexpr float kTolerance = 1e-5f;  // the tiny models' fp32 bound (tests/data/README.md)

class PromptsCliTest : public CliTest {
 protected:
  // The golden's rows of sentences.txt, one per line.
  std::string input() const {
    std::string out;
    const auto lines = split_lines(read_file(data_dir() / "sentences.txt"));
    for (int64_t i = 0; i < golden_.shape("default")[0]; ++i) out += lines[static_cast<size_t>(i)] + "\n";
    return out;
  }
  void expect_golden(const std::string& options, const std::string& key) {
    const CliResult r = run("embed " + model("tiny-minilm-prompts") + " " + options, input());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = json_lines(r.out);
    const auto expected = golden_.floats(key);
    const size_t h = static_cast<size_t>(golden_.shape(key)[1]);
    ASSERT_EQ(rows.size() * h, expected.size()) << options;
    for (size_t i = 0; i < rows.size(); ++i)
      EXPECT_LE(max_abs_diff(rows[i].get<std::vector<float>>().data(), expected.data() + i * h, h), kTolerance)
          << options << " row " << i;
  }
  Golden golden_{"tiny-minilm-prompts"};
};

TEST_F(PromptsCliTest, TheFolderDefaultApplies) { expect_golden("", "default"); }
TEST_F(PromptsCliTest, PromptName) { expect_golden("--prompt-name passage", "passage"); }
TEST_F(PromptsCliTest, PromptWinsOverPromptName) {
  expect_golden("--prompt 'Represent this: ' --prompt-name passage", "custom");
}

TEST_F(PromptsCliTest, UnknownNameAndIdsAreRefused) {
  expect_error(run("embed " + model("tiny-minilm-prompts") + " --prompt-name title", "a\n"),
               {"prompt_name 'title' is not one of the folder's prompts (passage, query"});
  expect_error(run("embed " + model("tiny-minilm-prompts") + " --ids --prompt-name query", "[1, 5, 2]\n"),
               {"cannot be combined with --ids"});
}

}  // namespace
}  // namespace packformer::test
