// tokenizer.json files built to hurt: no model, merges naming unknown tokens, ids and lengths
// that would make the loader allocate gigabytes. Each is an InvalidModel error naming the file
// and the field, raised before the allocation.
#include <gmock/gmock.h>

#include "parity_util.h"
#include "tokenizer/tokenizer_json.h"

namespace packformer::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

nlohmann::json small_json(const std::string& name) {
  return nlohmann::json::parse(read_file(tokenizer_data(name + "/tokenizer.json")));
}

// The InvalidModel message loading `json` gives ("" plus a test failure when it loads).
std::string load_error(const nlohmann::json& json) {
  try {
    tokenizer::load_tokenizer_json(json.dump(), "tokenizer.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidModel) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "loaded";
  return "";
}

TEST(HostileTokenizerJson, NoModel) {
  nlohmann::json json = small_json("wordpiece");
  json.erase("model");
  EXPECT_EQ(load_error(json), "tokenizer.json: model: expected an object");
  json["model"] = nullptr;
  EXPECT_EQ(load_error(json), "tokenizer.json: model: expected an object");
  json["model"] = nlohmann::json::object();
  EXPECT_THAT(load_error(json), HasSubstr("model.type: missing, and the model kind cannot be inferred"));
}

// nlohmann's parser throws out_of_range (not parse_error) for a number beyond double's range;
// it once escaped as an uncaught exception (found by the tokenizer_json fuzz target).
TEST(HostileTokenizerJson, NumberOutOfRangeIsInvalidJson) {
  std::string text = small_json("wordpiece").dump();
  text.insert(text.rfind('}'), R"(, "x": -7e999466028088289)");
  try {
    tokenizer::load_tokenizer_json(text, "tokenizer.json");
    ADD_FAILURE() << "loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidModel);
    EXPECT_THAT(e.what(), AllOf(HasSubstr("tokenizer.json: not valid JSON"), HasSubstr("number overflow")));
  }
}

TEST(HostileTokenizerJson, MergesNamingUnknownTokens) {
  nlohmann::json json = small_json("bpe");
  json["model"]["merges"].push_back(nlohmann::json::array({"Ġthe", "no-such-token"}));
  EXPECT_THAT(load_error(json), AllOf(HasSubstr("tokenizer.json: model: merge "), HasSubstr("'no-such-token'"),
                                      HasSubstr("not in model.vocab")));
  // Both sides known, but the merged token is not.
  json = small_json("bpe");
  json["model"]["vocab"]["qq"] = 1999;
  json["model"]["merges"].push_back("qq qq");
  EXPECT_THAT(load_error(json), AllOf(HasSubstr("makes 'qqqq'"), HasSubstr("not in model.vocab")));
}

TEST(HostileTokenizerJson, TokenIdsBeyondTheVocabularyLimit) {
  // 2^31 - 1 used to be accepted and made the id -> token table allocate 2^31 strings.
  nlohmann::json json = small_json("wordpiece");
  json["model"]["vocab"]["zzz"] = 2147483647;
  EXPECT_THAT(load_error(json), AllOf(HasSubstr("model.vocab[\"zzz\"]"), HasSubstr("expected a token id (0 .. 16777215)")));
  json = small_json("wordpiece");
  json["added_tokens"].push_back({{"content", "<big>"}, {"id", 1u << 24}, {"special", true}});
  EXPECT_THAT(load_error(json), HasSubstr("expected a token id"));
  json = small_json("unigram");
  json["model"]["unk_id"] = 18446744073709551615ull;
  EXPECT_THAT(load_error(json), HasSubstr("model.unk_id"));
}

TEST(HostileTokenizerJson, PaddingAndTruncationLengthsAreBounded) {
  // A fixed padding of 2^40 used to make every encode() allocate 2^40 ids.
  nlohmann::json json = small_json("minilm");
  json["padding"]["strategy"] = {{"Fixed", 1ull << 40}};
  EXPECT_THAT(load_error(json), AllOf(HasSubstr("padding.strategy.Fixed"), HasSubstr("[0, 1048576]")));
  json = small_json("minilm");
  json["padding"]["pad_to_multiple_of"] = -8;
  EXPECT_THAT(load_error(json), HasSubstr("padding.pad_to_multiple_of"));
  json = small_json("minilm");
  json["truncation"]["max_length"] = -1;
  EXPECT_THAT(load_error(json), HasSubstr("truncation.max_length"));
  // The largest allowed padding still works.
  json = small_json("minilm");
  json["padding"]["strategy"] = {{"Fixed", 1 << 20}};
  const auto tokenizer = tokenizer::load_tokenizer_json(json.dump(), "tokenizer.json");
  EncodeOptions options;
  options.use_file_settings = true;
  tokenizer->set_truncation(std::nullopt);
  EXPECT_EQ(tokenizer->encode("hello", options).ids.size(), 1u << 20);
}

TEST(HostileTokenizerJson, WrongTypesNameTheField) {
  nlohmann::json json = small_json("wordpiece");
  json["model"]["max_input_chars_per_word"] = -1;
  EXPECT_THAT(load_error(json), HasSubstr("model.max_input_chars_per_word"));
  json = small_json("wordpiece");
  json["post_processor"]["single"][0]["SpecialToken"]["type_id"] = "zero";
  EXPECT_THAT(load_error(json), HasSubstr("post_processor.single[0].SpecialToken.type_id: expected an integer"));
}

}  // namespace
}  // namespace packformer::test
