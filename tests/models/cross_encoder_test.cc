// A cross-encoder: tiny-bert-cls reads text pairs ([CLS] a [SEP] b [SEP], type ids 0 / 1).
// Encoder::tokenize_pairs must give transformers' ids and type ids, and the logits of those
// pairs must match BertForSequenceClassification's (tests/data/golden/tiny-bert-cls.pairs.json,
// scripts/make_golden.py classify-pairs), untruncated and truncated to 16 tokens.
#include <nlohmann/json.hpp>

#include "packformer/encoder.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"
#include "test_util.h"

namespace packformer::test {
namespace {

// fp32 on 2 layers of hidden 32: the engine and torch differ by float rounding only.
constexpr float kLogitTolerance = 1e-4f;

nlohmann::json golden() { return nlohmann::json::parse(read_file(data_dir() / "golden" / "tiny-bert-cls.pairs.json")); }

std::vector<std::pair<std::string, std::string>> golden_pairs(const nlohmann::json& g) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& p : g["pairs"]) pairs.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  return pairs;
}

template <typename F>
ErrorKind kind_of(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no packformer::Error thrown";
  return ErrorKind::Internal;
}

class CrossEncoderTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CrossEncoderTest, PairsMatchTransformers) {
  const nlohmann::json g = golden();
  const nlohmann::json& expected = g[GetParam()];
  const auto encoder = Encoder::load(tiny_model("tiny-bert-cls"));
  const auto pairs = golden_pairs(g);
  size_t truncated = 99;
  const EncoderInput input = encoder->tokenize_pairs(pairs, expected["max_length"].get<int64_t>(), &truncated);
  ASSERT_EQ(input.ids.size(), pairs.size());
  size_t longer = 0;  // pairs HF had to cut: their untruncated form is longer than max_length
  for (const auto& ids : g["full"]["input_ids"]) longer += ids.size() > expected["max_length"].get<size_t>() ? 1 : 0;
  EXPECT_EQ(truncated, longer);
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(input.ids[i], expected["input_ids"][i].get<std::vector<int32_t>>()) << "pair " << i;
    EXPECT_EQ(input.type_ids[i], expected["token_type_ids"][i].get<std::vector<int32_t>>()) << "pair " << i;
  }
  for (const auto path : {ExecutionPath::Slow, ExecutionPath::Fast}) {
    const EncoderOutput out = encoder->run(input, kLogits, {.path = path});
    ASSERT_EQ(out.num_labels, 3);
    for (size_t i = 0; i < pairs.size(); ++i) {
      const auto want = expected["logits"][i].get<std::vector<float>>();
      EXPECT_LE(max_abs_diff(out.logits.data() + 3 * i, want.data(), 3), kLogitTolerance) << "pair " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, CrossEncoderTest, ::testing::Values("full", "truncated"));

// Type ids are checked against the model's token-type table before anything runs: a BERT
// tokenizer (type id 1 for the second text) in a RoBERTa folder (type_vocab_size 1) is a
// mismatch, not silent garbage; RoBERTa's own pair form (all type ids 0) fits.
TEST(CrossEncoder, TypeIdsMustFitTheModel) {
  TempDir dir;
  for (const auto& entry : std::filesystem::directory_iterator(tiny_model("tiny-roberta")))
    std::filesystem::copy(entry.path(), dir.path() / entry.path().filename());
  std::filesystem::copy(data_dir() / "tokenizer" / "wordpiece" / "tokenizer.json", dir.path() / "tokenizer.json");
  std::string message;
  EXPECT_EQ(kind_of([&] { Encoder::load(dir.path())->tokenize_pairs({{"hello", "world"}}); }, &message),
            ErrorKind::InvalidInput);
  EXPECT_NE(message.find("pair 1: the tokenizer gives token type id 1 but the model (type_vocab_size 1)"),
            std::string::npos)
      << message;
  std::filesystem::copy(data_dir() / "tokenizer" / "bpe" / "tokenizer.json", dir.path() / "tokenizer.json",
                        std::filesystem::copy_options::overwrite_existing);
  const EncoderInput input = Encoder::load(dir.path())->tokenize_pairs({{"hello", "world"}});
  EXPECT_EQ(input.type_ids[0], std::vector<int32_t>(input.ids[0].size(), 0));
  EXPECT_EQ(input.ids[0].front(), 0);  // <s>
}

TEST(CrossEncoder, FolderWithoutTokenizer) {
  const auto encoder = Encoder::load(tiny_model("tiny-bert"));
  std::string message;
  EXPECT_EQ(kind_of([&] { encoder->tokenize_pairs({{"a", "b"}}); }, &message), ErrorKind::InvalidModel);
  EXPECT_NE(message.find("no tokenizer found"), std::string::npos) << message;
}

}  // namespace
}  // namespace packformer::test
