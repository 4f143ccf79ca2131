// Parity with Hugging Face tokenizers (and sentencepiece) on the committed corpus: every
// line must give the same ids as the goldens from scripts/golden/tokenizers.py.
#include "parity_util.h"

namespace packformer::test {
namespace {

std::unique_ptr<Tokenizer> load(const std::string& relative) { return Tokenizer::from_file(tokenizer_data(relative)); }

EncodeOptions no_special() {
  EncodeOptions options;
  options.add_special_tokens = false;
  return options;
}

EncodeOptions max16() {
  EncodeOptions options;
  options.max_length = 16;
  return options;
}

TEST(TokenizerParity, CorpusIsLargeAndVaried) {
  const auto corpus = read_corpus();
  EXPECT_EQ(corpus.size(), kCorpusLines);
}

class JsonParity : public ::testing::TestWithParam<const char*> {};

TEST_P(JsonParity, Ids) {
  const std::string name = GetParam();
  check_ids(*load(name + "/tokenizer.json"), name + "/ids.jsonl", {}, kCorpusLines);
}

TEST_P(JsonParity, IdsWithoutSpecialTokens) {
  const std::string name = GetParam();
  check_ids(*load(name + "/tokenizer.json"), name + "/ids_no_special.jsonl", no_special(), kVariantLines);
}

TEST_P(JsonParity, IdsTruncatedTo16) {
  const std::string name = GetParam();
  check_ids(*load(name + "/tokenizer.json"), name + "/ids_max16.jsonl", max16(), kVariantLines);
}

TEST_P(JsonParity, Decode) {
  const std::string name = GetParam();
  check_decode(*load(name + "/tokenizer.json"), name + "/ids.jsonl", name + "/decoded.jsonl");
}

// llama3, qwen2, mistral and t5: the decoder families' pipelines (scripts/golden/decoder_tokenizers.py);
// mpnet: all-mpnet-base-v2's own tokenizer.json (scripts/golden/mpnet.py).
INSTANTIATE_TEST_SUITE_P(Tokenizers, JsonParity, ::testing::Values("minilm", "bpe", "unigram", "wordpiece", "llama", "gpt4",
                                                                     "metaspace", "llama3", "qwen2", "mistral", "t5",
                                                                     "mpnet"));

// The decoder families' own markup (chat headers, <extra_id_N> sentinels, <0xNN> look-alikes):
// ids, and decodes with special tokens skipped and kept.
class FamilyParity : public ::testing::TestWithParam<const char*> {};

TEST_P(FamilyParity, MarkupIdsAndDecodes) {
  const std::string name = GetParam();
  const auto tokenizer = load(name + "/tokenizer.json");
  const auto rows = read_jsonl(tokenizer_data(name + "/family.jsonl"));
  ASSERT_EQ(rows.size(), 12u) << name << "/family.jsonl";
  for (const auto& row : rows) {
    const auto text = row["text"].get<std::string>();
    const auto ids = row["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(show(tokenizer->encode(text).ids), show(ids)) << name << ": " << row["text"].dump();
    EXPECT_EQ(tokenizer->decode(ids, true), row["decoded"].get<std::string>()) << name << ": " << row["text"].dump();
    EXPECT_EQ(tokenizer->decode(ids, false), row["decoded_with_specials"].get<std::string>())
        << name << ": " << row["text"].dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, FamilyParity, ::testing::Values("llama3", "qwen2", "mistral", "t5"));

TEST(TokenizerParity, TemplateTypeIds) {
  const auto tokenizer = load("metaspace/tokenizer.json");
  const auto corpus = read_corpus();
  const auto golden = read_jsonl(tokenizer_data("metaspace/type_ids.jsonl"));
  ASSERT_EQ(golden.size(), kTypeIdLines);
  for (size_t i = 0; i < golden.size(); ++i)
    EXPECT_EQ(tokenizer->encode(corpus[i]).type_ids, golden[i].get<std::vector<int32_t>>()) << "line " << i + 1;
}

TEST(TokenizerParity, MiniLmWithFileSettings) {
  EncodeOptions options;
  options.use_file_settings = true;  // truncation 128 and padding to 128 from tokenizer.json
  check_ids(*load("minilm/tokenizer.json"), "minilm/ids_file_settings.jsonl", options, kVariantLines);
}

// transformers' BertTokenizer built from vocab.txt gives the tokenizer.json ids and decodes
// (scripts/golden/tokenizers.py asserts it while writing them), so the vocab.txt route is
// compared with the same goldens.
TEST(TokenizerParity, MiniLmFromVocabTxt) {
  check_ids(*Tokenizer::from_model_dir(tokenizer_data("minilm_vocab")), "minilm/ids.jsonl", {}, kCorpusLines);
}

TEST(TokenizerParity, MiniLmFromVocabTxtDecode) {
  check_decode(*Tokenizer::from_model_dir(tokenizer_data("minilm_vocab")), "minilm/ids.jsonl", "minilm/decoded.jsonl");
}

TEST(TokenizerParity, SentencePieceModel) {
  check_ids(*Tokenizer::from_model_dir(tokenizer_data("spm")), "spm/ids.jsonl", {}, kCorpusLines);
}

// sentencepiece's own decoding of each line's pieces, the fairseq specials (<unk> included)
// skipped as skip_special_tokens=True skips them.
TEST(TokenizerParity, SentencePieceModelDecode) {
  check_decode(*Tokenizer::from_model_dir(tokenizer_data("spm")), "spm/ids.jsonl", "spm/decoded.jsonl");
}

}  // namespace
}  // namespace packformer::test
