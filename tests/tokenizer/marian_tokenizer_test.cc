// Marian's tokenizer (source.spm + vocab.json) and BART's tokenizer.json against
// transformers' AutoTokenizer on the goldens of scripts/make_golden.py seq2seq and
// seq2seq-tokenizer: encoded sentences (special tokens and Marian language codes in the text
// included) and decoded id sequences with and without special tokens.
#include <nlohmann/json.hpp>

#include "packformer/tokenizer.h"
#include "test_util.h"

namespace packformer::test {
namespace {

nlohmann::json golden(const std::string& model, const std::string& kind = "generate") {
  return nlohmann::json::parse(read_file(data_dir() / "golden" / (model + "." + kind + ".json")));
}

class Seq2SeqTokenizer : public ::testing::TestWithParam<std::string> {};

TEST_P(Seq2SeqTokenizer, EncodesAsTransformers) {
  const auto tok = Tokenizer::from_model_dir(tiny_model(GetParam()));
  // Named: a range-for over a temporary's .at() dangles.
  const auto generate = golden(GetParam()), tokenize = golden(GetParam(), "tokenize");
  size_t compared = 0;
  for (const auto& t : generate.at("texts")) {
    EXPECT_EQ(tok->encode(t.at("text").get<std::string>()).ids, t.at("source").get<std::vector<int32_t>>())
        << t.at("text");
    ++compared;
  }
  for (const auto& t : tokenize.at("texts")) {
    EXPECT_EQ(tok->encode(t.at("text").get<std::string>()).ids, t.at("ids").get<std::vector<int32_t>>())
        << t.at("text");
    ++compared;
  }
  EXPECT_EQ(compared, 8u + 6u) << "texts in NAME.generate.json + NAME.tokenize.json";
}

TEST_P(Seq2SeqTokenizer, DecodesAsTransformers) {
  const auto tok = Tokenizer::from_model_dir(tiny_model(GetParam()));
  const auto expected = golden(GetParam());
  ASSERT_EQ(expected.at("decodes").size(), 6u) << "DECODE_COUNT of scripts/golden/seq2seq.py";
  for (const auto& d : expected.at("decodes")) {
    const auto ids = d.at("ids").get<std::vector<int32_t>>();
    EXPECT_EQ(tok->decode(ids, true), d.at("skip_special").get<std::string>()) << nlohmann::json(ids).dump();
    EXPECT_EQ(tok->decode(ids, false), d.at("keep_special").get<std::string>()) << nlohmann::json(ids).dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Seq2SeqTokenizer, ::testing::Values("tiny-marian", "tiny-bart"));

// The ids themselves (source.spm's pieces numbered by vocab.json, then </s> = 0) are compared
// with transformers' MarianTokenizer above; here the vocabulary's facts from the folder's files.
TEST(MarianTokenizer, VocabularyComesFromVocabJson) {
  const auto tok = Tokenizer::from_model_dir(tiny_model("tiny-marian"));
  EXPECT_EQ(tok->pad_id(), 260);
  EXPECT_EQ(tok->vocab_size(), 261u);
  EXPECT_EQ(tok->token_to_id("</s>"), 0);
}

TEST(MarianTokenizer, MissingFilesAreNamed) {
  TempDir tmp;
  std::filesystem::copy(tiny_model("tiny-marian"), tmp.path(), std::filesystem::copy_options::recursive);
  std::filesystem::remove(tmp.path() / "target.spm");
  try {
    Tokenizer::from_model_dir(tmp.path());
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("target.spm"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace packformer::test
