// Pair encoding against Hugging Face: the parity corpus read as pairs (lines 1+2, 3+4, ...)
// must give the ids, type ids and special-token masks of tokenizers' encode(a, b), with and
// without special tokens and truncated longest_first to small lengths. Goldens:
// scripts/golden/tokenizer_pairs.py (make_golden.py pairs).
#include "parity_util.h"

namespace packformer::test {
namespace {

constexpr size_t kPairs = kCorpusLines / 2;
constexpr size_t kNoSpecialPairs = 300;

std::vector<int32_t> digits(const std::string& text) {
  std::vector<int32_t> values;
  for (char c : text) values.push_back(c - '0');
  return values;
}

std::vector<int32_t> as_ints(const std::vector<uint8_t>& mask) { return {mask.begin(), mask.end()}; }

// Encodes the first `count` pairs and compares with `golden_file`; rows with "max_length"
// are truncated to it.
void check_pairs(const Tokenizer& tokenizer, const std::string& golden_file, EncodeOptions options, size_t count) {
  const auto corpus = read_corpus();
  const auto golden = read_jsonl(tokenizer_data(golden_file));
  ASSERT_EQ(corpus.size(), kCorpusLines) << "tokenizer/corpus.txt";
  ASSERT_EQ(golden.size(), count) << golden_file;
  size_t matched = 0, shown = 0;
  for (size_t k = 0; k < count; ++k) {
    const auto& row = golden[k];
    if (row.contains("max_length")) options.max_length = row["max_length"].get<size_t>();
    const Encoding e = tokenizer.encode_pair(corpus[2 * k], corpus[2 * k + 1], options);
    const auto ids = row["ids"].get<std::vector<int32_t>>();
    const auto type_ids = digits(row["type_ids"].get<std::string>());
    const auto special = digits(row["special_tokens_mask"].get<std::string>());
    const bool same = e.ids == ids && e.type_ids == type_ids && as_ints(e.special_tokens_mask) == special &&
                      e.attention_mask == std::vector<uint8_t>(ids.size(), 1);
    if (same) {
      ++matched;
    } else if (shown++ < 5) {
      ADD_FAILURE() << golden_file << " pair " << k + 1 << " (max_length " << options.max_length << ")"
                    << "\n  expected ids " << show(ids) << " types " << show(type_ids) << " special " << show(special)
                    << "\n  actual   ids " << show(e.ids) << " types " << show(e.type_ids) << " special "
                    << show(as_ints(e.special_tokens_mask));
    }
  }
  std::printf("[parity] %s: %zu / %zu pairs identical\n", golden_file.c_str(), matched, count);
  EXPECT_EQ(matched, count) << golden_file;
}

EncodeOptions no_special() {
  EncodeOptions options;
  options.add_special_tokens = false;
  return options;
}

std::unique_ptr<Tokenizer> load(const std::string& name) {
  if (name == "minilm_vocab" || name == "spm") return Tokenizer::from_model_dir(tokenizer_data(name));
  return Tokenizer::from_file(tokenizer_data(name + "/tokenizer.json"));
}

// The vocab.txt route is compared with minilm's goldens: the golden script asserts that
// transformers' BertTokenizer from minilm_vocab/ gives exactly those rows.
std::string golden_folder(const std::string& name) { return name == "minilm_vocab" ? "minilm" : name; }

class PairParity : public ::testing::TestWithParam<const char*> {};

TEST_P(PairParity, Pairs) {
  const std::string name = GetParam();
  check_pairs(*load(name), golden_folder(name) + "/pairs.jsonl", {}, kPairs);
}

TEST_P(PairParity, PairsWithoutSpecialTokens) {
  const std::string name = GetParam();
  check_pairs(*load(name), golden_folder(name) + "/pairs_no_special.jsonl", no_special(), kNoSpecialPairs);
}

TEST_P(PairParity, PairsTruncatedLongestFirst) {
  const std::string name = GetParam();
  check_pairs(*load(name), golden_folder(name) + "/pairs_truncated.jsonl", {}, kPairs);
}

// minilm: WordPiece (TemplateProcessing); bpe: RobertaProcessing; unigram: XLM-R's template;
// wordpiece, metaspace (type ids 0/1), llama (<s> A <s> B), gpt4 (ByteLevel: no specials,
// type ids 0/1); minilm_vocab: vocab.txt; spm: a sentencepiece .model (XLM-R pair form);
// llama3 (<|begin_of_text|> $A <|begin_of_text|>:1 $B:1), qwen2 (ByteLevel), mistral, t5 ($A </s> $B </s>);
// mpnet: all-mpnet-base-v2's WordPiece with RobertaProcessing (<s> A </s></s> B </s>).
INSTANTIATE_TEST_SUITE_P(Tokenizers, PairParity,
                         ::testing::Values("minilm", "bpe", "unigram", "wordpiece", "llama", "gpt4", "metaspace",
                                           "minilm_vocab", "spm", "llama3", "qwen2", "mistral", "t5", "mpnet"));

}  // namespace
}  // namespace packformer::test
