// `packformer synth` writes a tokenizer matching the geometry, embedded in the binary, so a
// synthetic folder works from any directory: its ids must equal Hugging Face's for the
// tokenizer it claims to be (goldens from scripts/golden/tokenizers.py), and `bench` must run
// on it without --ids or a path into the source tree.
#include <unistd.h>

#include "cli/cli_test_util.h"
#include "tokenizer/parity_util.h"

namespace packformer::test {
namespace {

// Runs the CLI from a directory outside the source tree, as an installed binary would be.
class SynthTest : public CliTest {
 protected:
  void SetUp() override {
    original_ = std::filesystem::current_path();
    std::filesystem::current_path(tmp_.path());
  }
  void TearDown() override { std::filesystem::current_path(original_); }

  // The first `count` corpus lines through `packformer tokenize` vs HF's ids.
  void expect_hf_ids(const std::filesystem::path& folder, const std::string& golden, size_t count) {
    const std::vector<std::string> corpus = read_corpus();
    const std::vector<nlohmann::json> expected = read_jsonl(tokenizer_data(golden));
    ASSERT_GE(expected.size(), count);
    std::string input;
    for (size_t i = 0; i < count; ++i) input += corpus[i] + "\n";
    const CliResult r = run("tokenize --model " + quote(folder.string()), input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = json_lines(r.out);
    ASSERT_EQ(got.size(), count);
    for (size_t i = 0; i < count; ++i) EXPECT_EQ(got[i], expected[i]) << "corpus line " << i + 1;
  }

  std::filesystem::path original_;
};

// 20 corpus lines: plain English, punctuation, numbers, accents (none has a newline of its own).
constexpr size_t kLines = 20;

TEST_F(SynthTest, BertGeometryGetsBertWordPiece) {
  const CliResult r = run("synth --arch minilm-l6 --layers 1 --out bert");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("tokenizer: WordPiece"));
  EXPECT_EQ(read_file(tmp_.path() / "bert" / "tokenizer.json"), read_file(tokenizer_data("minilm/tokenizer.json")));
  expect_hf_ids(tmp_.path() / "bert", "minilm/ids.jsonl", kLines);
}

TEST_F(SynthTest, XlmrGeometryGetsUnigramAndBenchRuns) {
  const CliResult r = run("synth --arch xlmr-base --layers 1 --hidden 64 --heads 4 --intermediate 64 --out xlmr");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("tokenizer: XLM-R-style Unigram"));
  expect_hf_ids(tmp_.path() / "xlmr", "unigram/ids.jsonl", kLines);
  const CliResult bench = run("bench --model xlmr --batch big --iterations 1 --warmup 0");
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_THAT(bench.out, HasSubstr("fast"));
}

TEST_F(SynthTest, VocabularyTooSmallForBuiltInSaysSo) {
  const CliResult r = run("synth --arch tiny --out tiny");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no tokenizer written"));
  EXPECT_THAT(r.err, HasSubstr("--tokenizer"));
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() / "tiny" / "tokenizer.json"));
}

TEST_F(SynthTest, ExplicitTokenizerOverrides) {
  const std::string source = tokenizer_data("unigram/tokenizer.json");
  const CliResult r = run("synth --arch minilm-l6 --layers 1 --out bert --tokenizer " + quote(source));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(tmp_.path() / "bert" / "tokenizer.json"), read_file(source));
}

}  // namespace
}  // namespace packformer::test
