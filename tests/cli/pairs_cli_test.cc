// Text pairs on the command line: `classify --pairs` (a cross-encoder reads "a<TAB>b" as one
// sequence) against transformers' logits, and `tokenize --pair` against its ids and type ids
// (tests/data/golden/tiny-bert-cls.pairs.json, scripts/make_golden.py classify-pairs).
#include "cli/cli_test_util.h"

namespace packformer::test {
namespace {

constexpr float kLogitTolerance = 1e-4f;  // fp32, float rounding only (as cross_encoder_test)

nlohmann::json golden() { return nlohmann::json::parse(read_file(data_dir() / "golden" / "tiny-bert-cls.pairs.json")); }

// The golden pairs as tab-separated lines.
std::string pair_lines(const nlohmann::json& g) {
  std::string input;
  for (const auto& p : g["pairs"]) input += p[0].get<std::string>() + "\t" + p[1].get<std::string>() + "\n";
  return input;
}

class PairsCliTest : public CliTest {};

TEST_F(PairsCliTest, ClassifyPairsMatchesTransformers) {
  const nlohmann::json g = golden();
  for (const char* variant : {"full", "truncated"}) {
    const nlohmann::json& expected = g[variant];
    const std::string max_length = std::to_string(expected["max_length"].get<int>());
    const CliResult r = run("classify " + model("tiny-bert-cls") + " --pairs --batch-size 5 --max-length " + max_length,
                            pair_lines(g));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto values = json_lines(r.out);
    ASSERT_EQ(values.size(), g["pairs"].size()) << variant;
    const char* labels[] = {"negative", "neutral", "positive"};
    for (size_t i = 0; i < values.size(); ++i) {
      const auto logits = values[i]["logits"].get<std::vector<float>>();
      const auto want = expected["logits"][i].get<std::vector<float>>();
      ASSERT_EQ(logits.size(), 3u);
      EXPECT_LE(max_abs_diff(logits.data(), want.data(), 3), kLogitTolerance) << variant << " pair " << i;
      EXPECT_EQ(values[i]["label"], labels[std::max_element(want.begin(), want.end()) - want.begin()]);
    }
    // The run says how many pairs it cut: those HF gives more than max_length tokens untruncated.
    size_t longer = 0;
    for (const auto& ids : g["full"]["input_ids"]) longer += ids.size() > expected["max_length"].get<size_t>() ? 1 : 0;
    if (longer > 0) EXPECT_THAT(r.err, HasSubstr("warning: " + std::to_string(longer) + " of 12 inputs"));
    else EXPECT_EQ(r.err, "");
    EXPECT_EQ(longer, std::string(variant) == "truncated" ? 5u : 0u);
  }
}

TEST_F(PairsCliTest, TokenizePairMatchesTransformers) {
  const nlohmann::json g = golden();
  const CliResult r = run("tokenize " + model("tiny-bert-cls") + " --pair --max-length 16", pair_lines(g));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto values = json_lines(r.out);
  ASSERT_EQ(values.size(), g["pairs"].size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(values[i]["ids"], g["truncated"]["input_ids"][i]) << "pair " << i;
    EXPECT_EQ(values[i]["type_ids"], g["truncated"]["token_type_ids"][i]) << "pair " << i;
  }
}

TEST_F(PairsCliTest, LinesMustHoldOneTab) {
  expect_error(run("classify " + model("tiny-bert-cls") + " --pairs", "a\tb\nno tab here\n"),
               {"invalid input", "line 2: expected two texts separated by one tab, found 0 tabs"});
  expect_error(run("tokenize " + model("tiny-bert-cls") + " --pair", "a\tb\tc\n"),
               {"line 1: expected two texts separated by one tab, found 2 tabs"});
  expect_error(run("classify " + model("tiny-bert-cls") + " --pairs --ids", "a\tb\n"),
               {"--pairs reads text pairs: it cannot be combined with --ids"});
}

TEST_F(PairsCliTest, TokenizerWithoutPairForm) {
  expect_error(run("tokenize " + model("tiny-marian") + " --pair", "a\tb\n"), {"unsupported", "no pair form"});
}

}  // namespace
}  // namespace packformer::test
