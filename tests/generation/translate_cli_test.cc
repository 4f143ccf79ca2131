// `packformer translate` end to end on the tiny Marian and BART: --ids and text against the
// transformers goldens, the default length, and clear errors for bad input.
#include "cli/cli_test_util.h"
#include "seq2seq_test_util.h"

namespace packformer::test {
namespace {

class TranslateCli : public CliTest {
 protected:
  CliResult run(const std::string& args, const std::string& input = "") {
    return CliTest::run("translate " + args, input);
  }
  static std::string model(const std::string& name) {
    return "--model " + quote(tiny_model(name).string()) + " --threads 2";
  }
  static std::string id_lines(const std::vector<std::vector<int32_t>>& sources) {
    std::string text;
    for (const auto& s : sources) text += nlohmann::json(s).dump() + "\n";
    return text;
  }
};

TEST_F(TranslateCli, IdsMatchTransformersForEveryModelAndSearch) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"greedy", "--max-new-tokens 64"},
      {"beam4", "--max-new-tokens 64 --num-beams 4"},
      {"beam4_early", "--max-new-tokens 48 --num-beams 4 --early-stopping true --length-penalty 0.6"},
      {"beam4_return2_lp",
       "--max-new-tokens 32 --num-beams 4 --num-return-sequences 2 --length-penalty 1.5 --no-repeat-ngram-size 2"}};
  for (const auto& name : seq2seq_models()) {
    const auto golden = seq2seq_golden(name);
    const auto sources = golden_sources(golden);
    for (const auto& [case_name, flags] : cases) {
      // --batch-size 2: the five sources run as three batches of different sizes.
      const CliResult r = run(model(name) + " --ids --batch-size 2 " + flags, id_lines(sources));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const auto lines = json_lines(r.out);
      ASSERT_EQ(lines.size(), sources.size()) << name << " " << case_name;
      const auto& expected = golden_case(golden, case_name).at("outputs");
      for (size_t s = 0; s < lines.size(); ++s) {
        // One returned sequence prints its ids; several print an array of them.
        const auto want = expected[s].size() == 1 ? expected[s][0] : expected[s];
        EXPECT_EQ(lines[s], want) << name << " " << case_name << " source " << s;
      }
    }
  }
}

TEST_F(TranslateCli, TextLinesGiveJsonStringsAsTransformersDecodes) {
  for (const auto& name : seq2seq_text_models()) {
    const auto golden = seq2seq_golden(name);
    std::string input;
    for (const auto& t : golden.at("texts")) input += t.at("text").get<std::string>() + "\n";
    const CliResult r = run(model(name) + " --max-new-tokens 16", input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), golden.at("texts").size()) << name;
    for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], golden.at("texts")[i].at("decoded")) << name << " " << i;

    const auto& second = golden.at("texts")[1];
    const CliResult one = run(model(name) + " --max-new-tokens 16 --text " + quote(second.at("text")));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(json_lines(one.out), std::vector<nlohmann::json>{second.at("decoded")}) << name;
  }
}

TEST_F(TranslateCli, DefaultLengthIsTheModelsPositions) {
  // Without --max-new-tokens a translation may fill the decoder (128 positions): greedy rows
  // that ended at EOS within 64 tokens end the same; rows that ran to 64 go on past it.
  const auto golden = seq2seq_golden("tiny-marian");
  const auto sources = golden_sources(golden);
  const auto& expected = golden_case(golden, "greedy").at("outputs");
  const CliResult r = run(model("tiny-marian") + " --ids", id_lines(sources));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), sources.size());
  for (size_t s = 0; s < lines.size(); ++s) {
    const auto want = expected[s][0].get<std::vector<int32_t>>();
    const auto got = lines[s].get<std::vector<int32_t>>();
    if (want.size() < 64) {
      EXPECT_EQ(got, want) << s;
    } else {
      ASSERT_GT(got.size(), 64u) << s;
      EXPECT_LE(got.size(), 128u) << s;
      EXPECT_EQ(std::vector<int32_t>(got.begin(), got.begin() + 64), want) << s;
    }
  }
}

TEST_F(TranslateCli, BadInputGivesOneClearError) {
  const std::string marian = model("tiny-marian");
  expect_error(run("--model " + quote(tiny_model("tiny-gpt2").string()) + " --ids", "[1, 2]\n"),
               {"unsupported", "gpt2", "packformer generate"});
  expect_error(CliTest::run("generate " + marian + " --ids", "[1, 2]\n"), {"unsupported", "marian", "packformer translate"});
  const std::vector<int32_t> long_source(129, 5);
  expect_error(run(marian + " --ids --max-new-tokens 8", "[1, 0]\n" + nlohmann::json(long_source).dump() + "\n"),
               {"line 2", "129 tokens", "128 positions"});
  expect_error(run(marian + " --ids", "[5, 0]\n[]\n"), {"line 2", "empty"});
  expect_error(run(marian + " --ids", "[5, 261]\n"), {"line 1", "261", "vocabulary"});
  expect_error(run(marian + " --ids --max-new-tokens 129", "[5, 0]\n"), {"--max-new-tokens 129", "128"});
  expect_error(run(marian + " --ids --text hello", ""), {"--text", "--ids"});
  expect_error(run(marian + " --ids --num-beams 2 --num-return-sequences 3", "[5, 0]\n"), {"num_return_sequences"});
  expect_error(run(marian, ""), {"no sources"});
}

}  // namespace
}  // namespace packformer::test
