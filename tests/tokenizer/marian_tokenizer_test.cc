// Marian's tokenizer (source.spm + vocab.json) and BART's tokenizer.json against
// transformers' AutoTokenizer on the goldens of scripts/make_golden.py seq2seq: encoded
// sentences (special tokens and a language code in the text included) and decoded id
// sequences with and without special tokens.
#include <nlohmann/json.hpp>

#include "packformer/tokenizer.h"
#include "test_util.h"

namespace packformer::test {
namespace {

nlohmann::json golden(const std::string& model) {
  return nlohmann::json::parse(read_file(data_dir() / "golden" / (model + ".generate.json")));
}

class Seq2SeqTokenizer : public ::testing::TestWithParam<std::string> {};

TEST_P(Seq2SeqTokenizer, EncodesAsTransformers) {
  const auto tok = Tokenizer::from_model_dir(tiny_model(GetParam()));
  const auto expected = golden(GetParam());  // named: a range-for over a temporary's .at() dangles
  for (const auto& t : expected.at("texts"))
    EXPECT_EQ(tok->encode(t.at("text").get<std::string>()).ids, t.at("source").get<std::vector<int32_t>>())
        << t.at("text");
}

TEST_P(Seq2SeqTokenizer, DecodesAsTransformers) {
  const auto tok = Tokenizer::from_model_dir(tiny_model(GetParam()));
  const auto expected = golden(GetParam());
  for (const auto& d : expected.at("decodes")) {
    const auto ids = d.at("ids").get<std::vector<int32_t>>();
    EXPECT_EQ(tok->decode(ids, true), d.at("skip_special").get<std::string>()) << nlohmann::json(ids).dump();
    EXPECT_EQ(tok->decode(ids, false), d.at("keep_special").get<std::string>()) << nlohmann::json(ids).dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Seq2SeqTokenizer, ::testing::Values("tiny-marian", "tiny-bart"));

TEST(MarianTokenizer, IdsComeFromVocabJsonNotFromTheSentencepieceModel) {
  // transformers' MarianTokenizer on "The quick brown fox." (tiny-marian): the pieces of
  // source.spm, numbered by vocab.json, then </s> = 0.
  const auto tok = Tokenizer::from_model_dir(tiny_model("tiny-marian"));
  EXPECT_EQ(tok->encode("The quick brown fox.").ids,
            (std::vector<int32_t>{2, 234, 258, 4, 96, 35, 41, 2, 236, 14, 62, 13, 67, 131, 7, 0}));
  EXPECT_EQ(tok->encode(">>fr<< Bonjour").ids, (std::vector<int32_t>{1, 2, 231, 11, 13, 213, 11, 48, 0}));
  EXPECT_EQ(tok->encode("").ids, std::vector<int32_t>{0});
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
