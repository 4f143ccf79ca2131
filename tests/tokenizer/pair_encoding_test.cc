// Pair encoding beyond the parity corpus: the longest_first split on chosen lengths, the left
// side, the errors (no pair form, max_length below the pair's special tokens, a template that
// names $B in its single form), and the file's padding.
#include <filesystem>

#include "parity_util.h"
#include "tokenizer/tokenizer_json.h"

namespace packformer::test {
namespace {


// "a a a" and "b b b b b": WordPiece gives one id per word, so lengths are exact.
std::string words(const char* word, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += std::string(i ? " " : "") + word;
  return text;
}

// How many content tokens of each text survive truncation to max_length (minilm: 3 specials).
std::pair<int, int> kept(const Tokenizer& tokenizer, int n1, int n2, size_t max_length) {
  EncodeOptions options;
  options.max_length = max_length;
  const Encoding e = tokenizer.encode_pair(words("cat", n1), words("dog", n2), options);
  const int32_t cat = *tokenizer.token_to_id("cat"), dog = *tokenizer.token_to_id("dog");
  return {static_cast<int>(std::count(e.ids.begin(), e.ids.end(), cat)),
          static_cast<int>(std::count(e.ids.begin(), e.ids.end(), dog))};
}

// Values checked against tokenizers 0.23.3 (Tokenizer.encode(a, b) with enable_truncation):
// the longer text is cut first; once both would be shorter than half, each gets half and the
// odd token goes to the longer one (to the second on a tie).
TEST(PairEncoding, LongestFirstSplit) {
  const auto minilm = Tokenizer::from_file(tokenizer_data("minilm/tokenizer.json"));
  EXPECT_EQ(kept(*minilm, 2, 10, 3 + 8), std::make_pair(2, 6));   // only the longer one is cut
  EXPECT_EQ(kept(*minilm, 10, 2, 3 + 8), std::make_pair(6, 2));
  EXPECT_EQ(kept(*minilm, 4, 4, 3 + 5), std::make_pair(2, 3));    // tie: the odd token to the second
  EXPECT_EQ(kept(*minilm, 9, 6, 3 + 5), std::make_pair(3, 2));    // odd token to the longer
  EXPECT_EQ(kept(*minilm, 6, 9, 3 + 5), std::make_pair(2, 3));
  EXPECT_EQ(kept(*minilm, 3, 4, 3 + 7), std::make_pair(3, 4));    // fits: nothing cut
  EXPECT_EQ(kept(*minilm, 0, 9, 3 + 4), std::make_pair(0, 4));
  EXPECT_EQ(kept(*minilm, 5, 5, 3), std::make_pair(0, 0));        // only the special tokens
}

TEST(PairEncoding, TruncatedFlagAndLeftSide) {
  auto minilm = Tokenizer::from_file(tokenizer_data("minilm/tokenizer.json"));
  EncodeOptions options;
  options.max_length = 7;
  EXPECT_TRUE(minilm->encode_pair("one two three", "four five six", options).truncated);
  EXPECT_FALSE(minilm->encode_pair("one", "two", options).truncated);
  // [CLS] one two [SEP] four five [SEP] on the right; the left side keeps each text's end.
  const auto right = minilm->encode_pair("one two three", "four five six", options).ids;
  minilm->set_truncation(TruncationSettings{0, TruncationSide::Left});
  const auto left = minilm->encode_pair("one two three", "four five six", options).ids;
  const auto id = [&](const char* token) { return *minilm->token_to_id(token); };
  EXPECT_EQ(right, (std::vector<int32_t>{101, id("one"), id("two"), 102, id("four"), id("five"), 102}));
  EXPECT_EQ(left, (std::vector<int32_t>{101, id("two"), id("three"), 102, id("five"), id("six"), 102}));
}

TEST(PairEncoding, MaxLengthBelowThePairsSpecialTokensIsAnError) {
  const auto bpe = Tokenizer::from_file(tokenizer_data("bpe/tokenizer.json"));  // <s> a </s></s> b </s>
  EncodeOptions options;
  options.max_length = 3;
  ErrorKind kind{};
  const std::string message = error_of([&] { bpe->encode_pair("a", "b", options); }, &kind);
  EXPECT_EQ(kind, ErrorKind::InvalidInput);
  EXPECT_NE(message.find("max_length 3 is smaller than the 4 special tokens"), std::string::npos) << message;
  options.max_length = 4;
  EXPECT_EQ(bpe->encode_pair("a", "b", options).ids, (std::vector<int32_t>{0, 2, 2, 2}));
  // Without special tokens the whole budget is content.
  options.add_special_tokens = false;
  options.max_length = 1;
  EXPECT_EQ(bpe->encode_pair("hello", "world", options).ids.size(), 1u);
}

TEST(PairEncoding, TemplateWithoutPairFormIsUnsupported) {
  auto json = load_json("wordpiece/tokenizer.json");
  json["post_processor"].erase("pair");
  const auto tokenizer = from_json(json);
  EXPECT_EQ(tokenizer->encode("hello").ids.front(), 2);  // single texts still work
  ErrorKind kind{};
  const std::string message = error_of([&] { tokenizer->encode_pair("a", "b"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Unsupported);
  EXPECT_NE(message.find("no \"pair\" template"), std::string::npos) << message;
}

TEST(PairEncoding, BadTemplatesNameTheField) {
  auto json = load_json("wordpiece/tokenizer.json");
  json["post_processor"]["single"][1]["Sequence"]["id"] = "B";
  ErrorKind kind{};
  std::string message = error_of([&] { from_json(json); }, &kind);
  EXPECT_EQ(kind, ErrorKind::InvalidModel);
  EXPECT_NE(message.find("post_processor.single[1].Sequence.id: the single template can only use sequence A"),
            std::string::npos)
      << message;
  json = load_json("wordpiece/tokenizer.json");
  json["post_processor"]["pair"][3]["Sequence"]["id"] = "C";
  message = error_of([&] { from_json(json); }, &kind);
  EXPECT_NE(message.find("post_processor.pair[3].Sequence.id: expected \"A\" or \"B\""), std::string::npos) << message;
  json = load_json("wordpiece/tokenizer.json");
  json["post_processor"]["pair"] = 5;
  message = error_of([&] { from_json(json); }, &kind);
  EXPECT_NE(message.find("post_processor.pair: expected an array"), std::string::npos) << message;
}

// A pair template may put $B first; HF follows it piece by piece.
TEST(PairEncoding, TemplateOrderIsFollowed) {
  auto json = load_json("wordpiece/tokenizer.json");
  json["post_processor"]["pair"] = nlohmann::json::parse(
      R"([{"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
          {"Sequence": {"id": "A", "type_id": 2}}])");
  const auto tokenizer = from_json(json);
  const Encoding e = tokenizer->encode_pair("hello", "world");
  const auto hello = tokenizer->encode("hello", {.add_special_tokens = false}).ids;
  const auto world = tokenizer->encode("world", {.add_special_tokens = false}).ids;
  std::vector<int32_t> expected = world;
  expected.push_back(3);
  expected.insert(expected.end(), hello.begin(), hello.end());
  EXPECT_EQ(e.ids, expected);
  EXPECT_EQ(e.type_ids.front(), 1);
  EXPECT_EQ(e.type_ids.back(), 2);
}

TEST(PairEncoding, FileSettingsPadThePair) {
  const auto minilm = Tokenizer::from_file(tokenizer_data("minilm/tokenizer.json"));  // pads to 128
  EncodeOptions options;
  options.use_file_settings = true;
  const Encoding e = minilm->encode_pair("hello", "world", options);
  ASSERT_EQ(e.ids.size(), 128u);
  EXPECT_EQ(e.type_ids[3], 1);
  EXPECT_EQ(e.attention_mask[4], 1);
  EXPECT_EQ(e.attention_mask[5], 0);
}

TEST(PairEncoding, MarianHasNoPairForm) {
  const auto marian = Tokenizer::from_model_dir(std::string(PACKFORMER_TEST_DATA) + "/models/tiny-marian");
  ErrorKind kind{};
  const std::string message = error_of([&] { marian->encode_pair("a", "b"); }, &kind);
  EXPECT_EQ(kind, ErrorKind::Unsupported);
  EXPECT_NE(message.find("no pair form"), std::string::npos) << message;
}

}  // namespace
}  // namespace packformer::test
