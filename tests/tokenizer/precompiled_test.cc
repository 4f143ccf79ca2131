// The Precompiled normalizer with the real nmt_nfkc character map XLM-R ships, against HF's
// Precompiled normalizer on every corpus line (its odd grapheme rules included).
#include "parity_util.h"
#include "tokenizer/precompiled.h"
#include "tokenizer/utf8.h"

namespace packformer::test {
namespace {

TEST(Precompiled, NmtNfkcMatchesHuggingFace) {
  const std::string charsmap = read_file(tokenizer_data("precompiled/nmt_nfkc.bin"));
  const tokenizer::PrecompiledNormalizer normalizer(charsmap, "nmt_nfkc.bin");
  const auto corpus = read_corpus();
  const auto golden = read_jsonl(tokenizer_data("precompiled/normalized.jsonl"));
  ASSERT_EQ(golden.size(), corpus.size());
  size_t matched = 0, shown = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    std::string text = tokenizer::sanitize_utf8(corpus[i]);
    normalizer.normalize(text);
    if (text == golden[i].get<std::string>()) ++matched;
    else if (shown++ < 5)
      ADD_FAILURE() << "line " << i + 1 << "\n  expected " << golden[i].dump() << "\n  actual   "
                    << nlohmann::json(text).dump();
  }
  std::printf("[parity] precompiled/normalized.jsonl: %zu / %zu lines identical\n", matched, corpus.size());
  EXPECT_EQ(matched, corpus.size());
}

TEST(Precompiled, RejectsMalformedMaps) {
  EXPECT_THROW(tokenizer::PrecompiledNormalizer("", "x"), Error);
  EXPECT_THROW(tokenizer::PrecompiledNormalizer(std::string("\xff\xff\xff\x7f", 4) + "abcd", "x"), Error);
  EXPECT_THROW(tokenizer::base64_decode("not*base64", "x"), Error);
}

TEST(Precompiled, TruncatedTrieDoesNotReadOutOfBounds) {
  const std::string charsmap = read_file(tokenizer_data("precompiled/nmt_nfkc.bin"));
  // Claim a trie of 8 units only: lookups must stay inside it, never crash.
  std::string small = charsmap.substr(0, 4 + 32) + "x";
  small[0] = 32;
  small[1] = small[2] = small[3] = 0;
  const tokenizer::PrecompiledNormalizer normalizer(small, "small");
  std::string text = "héllo ｗｏｒｌｄ";
  normalizer.normalize(text);
  SUCCEED();
}

}  // namespace
}  // namespace packformer::test
