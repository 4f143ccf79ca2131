// Behaviour the parity corpus does not pin down by itself: invalid input, bad files, folder
// detection, settings, threads, and the mismatches found while reaching parity.
#include <cstdint>
#include <filesystem>
#include <thread>

#include "parity_util.h"
#include <cstring>

#include "tokenizer/regex.h"
#include "tokenizer/serde_float.h"
#include "tokenizer/tokenizer_json.h"

namespace packformer::test {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Tokenizer> load(const std::string& relative) { return Tokenizer::from_file(tokenizer_data(relative)); }


TEST(Tokenizer, InvalidUtf8BecomesReplacementCharacter) {
  const auto bpe = load("bpe/tokenizer.json");
  EXPECT_EQ(bpe->encode("a\xff" "b").ids, bpe->encode("a\xEF\xBF\xBD" "b").ids);
  // One U+FFFD per maximal ill-formed subpart: E2 82 is one, the lone 28 is ASCII.
  EXPECT_EQ(bpe->encode("\xE2\x82(").ids, bpe->encode("\xEF\xBF\xBD(").ids);
  EXPECT_EQ(bpe->encode("\xF0\x9F\x98").ids, bpe->encode("\xEF\xBF\xBD").ids);
  EXPECT_EQ(bpe->encode("\xED\xA0\x80").ids, bpe->encode("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD").ids);
  const auto spm = Tokenizer::from_model_dir(tokenizer_data("spm"));
  EXPECT_NO_THROW(spm->encode("\xC0\xAF\xFF"));
}

TEST(Tokenizer, SpecialTokensAndDecode) {
  const auto minilm = load("minilm/tokenizer.json");
  const auto encoding = minilm->encode("Hello world");
  EXPECT_EQ(encoding.ids, (std::vector<int32_t>{101, 7592, 2088, 102}));
  EXPECT_EQ(encoding.special_tokens_mask, (std::vector<uint8_t>{1, 0, 0, 1}));
  EXPECT_EQ(minilm->decode(encoding.ids, false), "[CLS] hello world [SEP]");
  EXPECT_EQ(minilm->decode(encoding.ids, true), "hello world");
  EXPECT_EQ(minilm->pad_id(), 0);
  EXPECT_EQ(minilm->vocab_size(), 30522u);
  EXPECT_EQ(minilm->token_to_id("[MASK]"), 103);
}

TEST(Tokenizer, NormalizedAddedTokenDecodesToItsNormalizedForm) {
  // Found while reaching parity: HF decodes a normalized added token ("<ENT>" under a
  // Lowercase normalizer) as its normalized text.
  const auto wordpiece = load("wordpiece/tokenizer.json");
  const int32_t ent = *wordpiece->token_to_id("<ENT>");
  const auto ids = wordpiece->encode("x <ENT> hello world [NL]   y").ids;
  EXPECT_EQ(ids, (std::vector<int32_t>{*wordpiece->token_to_id("[CLS]"), *wordpiece->token_to_id("x"), ent,
                                       *wordpiece->token_to_id("hello world"), *wordpiece->token_to_id("[NL]"),
                                       *wordpiece->token_to_id("y"), *wordpiece->token_to_id("[SEP]")}));
  EXPECT_EQ(wordpiece->decode({ent}, true), "<ent>");
}

TEST(Tokenizer, TruncationKeepsSpecialTokensAndHonoursSide) {
  auto minilm = load("minilm/tokenizer.json");
  EncodeOptions options;
  options.max_length = 5;
  const auto right = minilm->encode("the quick brown fox jumps over", options);
  EXPECT_TRUE(right.truncated);
  EXPECT_EQ(right.ids.size(), 5u);
  EXPECT_EQ(right.ids.front(), 101);
  EXPECT_EQ(right.ids.back(), 102);
  minilm->set_truncation(TruncationSettings{5, TruncationSide::Left});
  EXPECT_EQ(minilm->encode("the quick brown fox jumps over", options).ids,
            (std::vector<int32_t>{101, 4419, 14523, 2058, 102}));
  options.max_length = 1;  // fewer than the two special tokens
  ErrorKind kind{};
  EXPECT_NE(error_of([&] { minilm->encode("hello", options); }, &kind), "");
  EXPECT_EQ(kind, ErrorKind::InvalidInput);
}

TEST(Tokenizer, FileSettingsPadAndTruncate) {
  const auto minilm = load("minilm/tokenizer.json");
  ASSERT_TRUE(minilm->truncation().has_value());
  EXPECT_EQ(minilm->truncation()->max_length, 128u);
  ASSERT_TRUE(minilm->padding().has_value());
  EncodeOptions options;
  options.use_file_settings = true;
  const auto padded = minilm->encode("hello", options);
  EXPECT_EQ(padded.ids.size(), 128u);
  EXPECT_EQ(padded.attention_mask[2], 1);
  EXPECT_EQ(padded.attention_mask[3], 0);
  EXPECT_EQ(padded.ids[3], 0);
  // Without the option neither applies.
  EXPECT_EQ(minilm->encode("hello").ids.size(), 3u);
}

TEST(Tokenizer, MergesAsStringsOrPairsAreTheSame) {
  nlohmann::json pairs = load_json("bpe/tokenizer.json");
  ASSERT_TRUE(pairs["model"]["merges"][0].is_array());
  nlohmann::json strings = pairs;
  for (auto& merge : strings["model"]["merges"]) merge = merge[0].get<std::string>() + " " + merge[1].get<std::string>();
  const auto a = from_json(pairs), b = from_json(strings);
  const auto corpus = read_corpus();
  for (size_t i = 0; i < 300; ++i) ASSERT_EQ(a->encode(corpus[i]).ids, b->encode(corpus[i]).ids) << "line " << i + 1;
}

TEST(Tokenizer, BadFilesNameTheFileAndField) {
  nlohmann::json json = load_json("minilm/tokenizer.json");
  json["model"]["vocab"] = nlohmann::json::array();
  EXPECT_EQ(error_of([&] { from_json(json); }), "tokenizer.json: model.vocab: expected an object");

  json = load_json("minilm/tokenizer.json");
  json["normalizer"]["type"] = "Mystery";
  ErrorKind kind{};
  EXPECT_NE(error_of([&] { from_json(json); }, &kind).find("normalizer.type: normalizer 'Mystery' is not supported"),
            std::string::npos);
  EXPECT_EQ(kind, ErrorKind::Unsupported);

  json = load_json("bpe/tokenizer.json");
  json["model"]["merges"][0] = nlohmann::json::array({"no-such-token", "x"});
  EXPECT_NE(error_of([&] { from_json(json); }).find("not in model.vocab"), std::string::npos);

  json = load_json("bpe/tokenizer.json");
  json["model"]["merges"][0] = "three part merge";
  EXPECT_NE(error_of([&] { from_json(json); }).find("model.merges[0]"), std::string::npos);

  json = load_json("unigram/tokenizer.json");
  json["model"]["vocab"][5] = "not a pair";
  EXPECT_NE(error_of([&] { from_json(json); }).find("model.vocab[5]: expected [token, score]"), std::string::npos);

  json = load_json("gpt4/tokenizer.json");
  json["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  EXPECT_NE(error_of([&] { from_json(json); }).find("pre_tokenizer.pretokenizers[0].pattern.Regex: invalid regex"),
            std::string::npos);

  EXPECT_NE(error_of([] { tokenizer::load_tokenizer_json("{not json", "tokenizer.json"); }).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(error_of([] { tokenizer::load_tokenizer_json("[]", "tokenizer.json"); }), "");
}

TEST(Tokenizer, MissingUnknownTokenIsAnErrorOnlyWhenNeeded) {
  nlohmann::json json = load_json("wordpiece/tokenizer.json");
  json["model"]["unk_token"] = "[NOPE]";
  const auto wordpiece = from_json(json);
  EXPECT_NO_THROW(wordpiece->encode("hello"));
  ErrorKind kind{};
  EXPECT_NE(error_of([&] { wordpiece->encode("\xE4\xB8\x80\xE4\xB8\x81\xE4\xB8\x82 zzzzqqqq"); }, &kind), "");
  EXPECT_EQ(kind, ErrorKind::InvalidModel);
}

TEST(Tokenizer, FolderDetection) {
  const fs::path root = fs::temp_directory_path() / ("packformer_tok_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "spm");
  fs::copy_file(tokenizer_data("spm/sentencepiece.bpe.model"), root / "spm" / "other_name.model");
  const auto spm = Tokenizer::from_model_dir(root / "spm");
  EXPECT_EQ(spm->encode("hello").ids.front(), 0);  // fairseq <s>
  EXPECT_EQ(spm->pad_id(), 1);

  fs::create_directories(root / "cased");
  fs::copy_file(tokenizer_data("minilm_vocab/vocab.txt"), root / "cased" / "vocab.txt");
  const auto uncased = Tokenizer::from_model_dir(root / "cased");  // no tokenizer_config: lower-cased
  EXPECT_EQ(uncased->encode("HELLO").ids, (std::vector<int32_t>{101, 7592, 102}));
  std::ofstream(root / "cased" / "tokenizer_config.json") << R"({"do_lower_case": false})";
  const auto cased = Tokenizer::from_model_dir(root / "cased");
  EXPECT_NE(cased->encode("HELLO").ids, uncased->encode("HELLO").ids);

  fs::create_directories(root / "empty");
  ErrorKind kind{};
  EXPECT_NE(error_of([&] { Tokenizer::from_model_dir(root / "empty"); }, &kind).find("no tokenizer"), std::string::npos);
  EXPECT_EQ(kind, ErrorKind::InvalidModel);
  EXPECT_NE(error_of([&] { Tokenizer::from_file(root / "missing.json"); }), "");
  std::ofstream(root / "bad.model") << "not a model";
  EXPECT_NE(error_of([&] { Tokenizer::from_file(root / "bad.model"); }), "");
  fs::remove_all(root);
}

TEST(Tokenizer, ConcurrentEncodesAgreeWithSerial) {
  for (const char* name : {"bpe", "unigram", "minilm"}) {
    const auto tok = load(std::string(name) + "/tokenizer.json");
    const auto corpus = read_corpus();
    std::vector<std::vector<int32_t>> serial;
    for (const auto& line : corpus) serial.push_back(tok->encode(line).ids);
    std::vector<std::vector<std::vector<int32_t>>> results(3);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < results.size(); ++t)
      threads.emplace_back([&, t] {
        for (const auto& line : corpus) results[t].push_back(tok->encode(line).ids);
      });
    for (auto& thread : threads) thread.join();
    for (const auto& result : results) EXPECT_EQ(result, serial) << name;
  }
}

TEST(Tokenizer, EmptyAndWhitespaceInput) {
  const auto minilm = load("minilm/tokenizer.json");
  EXPECT_EQ(minilm->encode("").ids, (std::vector<int32_t>{101, 102}));
  EXPECT_EQ(minilm->encode(" \t\n ").ids, (std::vector<int32_t>{101, 102}));
  EncodeOptions plain;
  plain.add_special_tokens = false;
  EXPECT_TRUE(minilm->encode("", plain).ids.empty());
  EXPECT_EQ(minilm->decode({}, true), "");
  EXPECT_EQ(minilm->decode({999999999, -5}, true), "");  // unknown ids are skipped
}

// Ids at the ends of int32 are unknown ids like any other, for every model kind (the
// sentencepiece decoder once overflowed on INT32_MIN: found by the tokenize fuzz target).
TEST(Tokenizer, ExtremeIdsDecodeToNothing) {
  const std::vector<int32_t> extreme = {INT32_MIN, INT32_MIN + 1, -1, INT32_MAX};
  for (const char* file : {"minilm/tokenizer.json", "bpe/tokenizer.json", "unigram/tokenizer.json",
                           "spm/sentencepiece.bpe.model", "minilm_vocab/vocab.txt"}) {
    const auto tokenizer = load(file);
    EXPECT_EQ(tokenizer->decode(extreme, true), "") << file;
    EXPECT_EQ(tokenizer->decode(extreme, false), "") << file;
  }
}

}  // namespace
}  // namespace packformer::test

namespace packformer::test {
namespace {

TEST(Tokenizer, RegexClassesFollowHuggingFaceUnicode) {
  // Found with a 30k-line random stress corpus: PCRE2 (Unicode 15) missed Unicode 16 digits and
  // letters that Oniguruma matches; \p{L}/\p{N} are widened inside and outside classes.
  const std::string widened = tokenizer::widen_unicode_classes(R"([^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|\pL)");
  EXPECT_NE(widened.find("[\\p{L}\\x{"), std::string::npos) << widened;
  EXPECT_NE(widened.find("\\p{N}\\x{"), std::string::npos) << widened;
  EXPECT_EQ(tokenizer::widen_unicode_classes(R"(\\p{L}[\]\p{Lu}])"), R"(\\p{L}[\]\p{Lu}])");
  std::vector<std::pair<size_t, size_t>> matches;
  tokenizer::Regex("\\p{N}+", "test").find_all("x\xF0\x9C\xB3\xB1y", matches);  // U+1CCF1, Unicode 16 Nd
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0], (std::pair<size_t, size_t>{1, 5}));
}

}  // namespace
}  // namespace packformer::test

namespace packformer::test {
namespace {

TEST(Tokenizer, UnigramScoresAreReadLikeSerdeJson) {
  // Found when a retrained Unigram split "!!!" as "!!" + "!" instead of "!" + "!!": the two
  // paths tie up to the last bit, and HF reads scores with serde_json's default parser, which
  // rounds 17-digit numbers twice. -3.6954476858238356 is 0xC00D9046E05589BE correctly
  // rounded, 0xC00D9046E05589BD through serde_json.
  const double serde = tokenizer::serde_json_f64(-3.6954476858238356);
  uint64_t bits;
  std::memcpy(&bits, &serde, sizeof bits);
  EXPECT_EQ(bits, 0xC00D9046E05589BDULL);
  EXPECT_EQ(tokenizer::serde_json_f64(-7.288786281875319), -7.288786281875319);  // 16 digits: exact
  EXPECT_EQ(tokenizer::serde_json_f64(0.0), 0.0);
  EXPECT_EQ(tokenizer::serde_json_f64(-1e-300), -1e-300);
}

}  // namespace
}  // namespace packformer::test

namespace packformer::test {
namespace {

TEST(Tokenizer, RandomBytesNeverFail) {
  // Any bytes in, ids out; any ids in, text out: no crash, no exception.
  std::vector<std::unique_ptr<Tokenizer>> tokenizers;
  for (const char* name : {"minilm", "bpe", "unigram", "wordpiece", "llama", "gpt4", "metaspace"})
    tokenizers.push_back(load(std::string(name) + "/tokenizer.json"));
  tokenizers.push_back(Tokenizer::from_model_dir(tokenizer_data("spm")));
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 300; ++round) {
    std::string text(next() % 200, '\0');
    for (char& c : text) {
      const uint64_t r = next();
      // Mostly UTF-8 lead/continuation bytes and ASCII, so that sequences are half valid.
      c = static_cast<char>(r % 3 == 0 ? 0x80 + (r >> 8) % 0x80 : r % 3 == 1 ? (r >> 8) % 0x80 : (r >> 8) % 256);
    }
    std::vector<int32_t> ids(next() % 20);
    for (auto& id : ids) id = static_cast<int32_t>(next() % 40000) - 100;
    for (const auto& tokenizer : tokenizers) {
      EXPECT_NO_THROW(tokenizer->encode(text));
      EXPECT_NO_THROW(tokenizer->decode(ids, round % 2 == 0));
    }
  }
}

}  // namespace
}  // namespace packformer::test
