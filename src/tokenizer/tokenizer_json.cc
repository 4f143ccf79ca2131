#include "tokenizer/tokenizer_json.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "packformer/error.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/precompiled.h"
#include "tokenizer/serde_float.h"
#include "tokenizer/unigram.h"
#include "tokenizer/utf8.h"
#include "tokenizer/wordpiece.h"

namespace packformer::tokenizer {
namespace {

using Json = nlohmann::json;

// Limits a hostile file cannot get past. Real vocabularies stay under ~1M tokens (the largest
// known are ~260k) and real padding/truncation lengths are a few thousand; a larger value would
// only make packformer allocate the vocabulary table or the padded encoding before failing.
constexpr int64_t kMaxTokenId = (1 << 24) - 1;
constexpr int64_t kMaxPaddingLength = 1 << 20;
constexpr uint64_t kMaxTokenizerJsonBytes = 512ull << 20;

// Field access that reports "<file>: <path>: expected ..." on any mismatch.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void error(const std::string& path, const std::string& what) const {
    fail(ErrorKind::InvalidModel, file_ + ": " + path + ": " + what);
  }
  const Json& object(const Json& parent, const std::string& key, const std::string& path) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_object()) error(path, "expected an object");
    return *it;
  }
  const Json& array(const Json& parent, const std::string& key, const std::string& path) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_array()) error(path, "expected an array");
    return *it;
  }
  std::string string(const Json& parent, const std::string& key, const std::string& path) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_string()) error(path, "expected a string");
    return it->get<std::string>();
  }
  std::string string_or(const Json& parent, const std::string& key, const std::string& path,
                        const std::string& fallback) const {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return fallback;
    if (!it->is_string()) error(path, "expected a string");
    return it->get<std::string>();
  }
  bool boolean_or(const Json& parent, const std::string& key, const std::string& path, bool fallback) const {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) error(path, "expected true or false");
    return it->get<bool>();
  }
  int64_t integer(const Json& value, const std::string& path) const {
    if (!value.is_number_integer()) error(path, "expected an integer");
    if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      error(path, "integer out of range");
    return value.get<int64_t>();
  }
  int64_t integer_or(const Json& parent, const std::string& key, const std::string& path, int64_t fallback) const {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return fallback;
    return integer(*it, path);
  }
  // An integer in [min, max], or `fallback` when absent.
  int64_t bounded_or(const Json& parent, const std::string& key, const std::string& path, int64_t fallback,
                     int64_t min, int64_t max) const {
    const int64_t v = integer_or(parent, key, path, fallback);
    if (v < min || v > max) error(path, "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return v;
  }
  int32_t id(const Json& value, const std::string& path) const {
    const int64_t v = integer(value, path);
    if (v < 0 || v > kMaxTokenId) error(path, "expected a token id (0 .. " + std::to_string(kMaxTokenId) + ")");
    return static_cast<int32_t>(v);
  }
  char32_t single_char(const Json& parent, const std::string& key, const std::string& path, char32_t fallback) const {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return fallback;
    if (!it->is_string()) error(path, "expected a one-character string");
    const std::string s = it->get<std::string>();
    size_t pos = 0;
    if (s.empty() || !is_valid_utf8(s)) error(path, "expected a one-character string");
    const char32_t cp = next_code_point(s, pos);
    if (pos != s.size()) error(path, "expected a one-character string");
    return cp;
  }
  std::string type(const Json& value, const std::string& path) const {
    if (!value.is_object()) error(path, "expected an object");
    return string(value, "type", path + ".type");
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// A {"String": s} or {"Regex": r} pattern: the literal, or a compiled regex.
std::pair<std::string, std::unique_ptr<Regex>> read_pattern(const Reader& r, const Json& parent, const std::string& path) {
  const Json& pattern = r.object(parent, "pattern", path + ".pattern");
  if (pattern.contains("String")) return {r.string(pattern, "String", path + ".pattern.String"), nullptr};
  if (pattern.contains("Regex"))
    return {std::string(), std::make_unique<Regex>(r.string(pattern, "Regex", path + ".pattern.Regex"),
                                                   r.file() + ": " + path + ".pattern.Regex")};
  r.error(path + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
}

SplitBehavior read_behavior(const Reader& r, const Json& parent, const std::string& path, SplitBehavior fallback) {
  const std::string name = r.string_or(parent, "behavior", path + ".behavior", "");
  if (name.empty()) return fallback;
  if (name == "Removed") return SplitBehavior::Removed;
  if (name == "Isolated") return SplitBehavior::Isolated;
  if (name == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (name == "Contiguous") return SplitBehavior::Contiguous;
  r.error(path + ".behavior", "unknown split behavior '" + name + "'");
}

// Metaspace's scheme from "prepend_scheme", or the older "add_prefix_space".
PrependScheme read_prepend_scheme(const Reader& r, const Json& value, const std::string& path) {
  const std::string scheme = r.string_or(value, "prepend_scheme", path + ".prepend_scheme", "");
  if (r.boolean_or(value, "add_prefix_space", path + ".add_prefix_space", true) == false) return PrependScheme::Never;
  if (scheme.empty() || scheme == "always") return PrependScheme::Always;
  if (scheme == "first") return PrependScheme::First;
  if (scheme == "never") return PrependScheme::Never;
  r.error(path + ".prepend_scheme", "expected \"always\", \"first\" or \"never\"");
}

std::unique_ptr<Normalizer> read_normalizer(const Reader& r, const Json& value, const std::string& path) {
  if (value.is_null()) return nullptr;
  const std::string type = r.type(value, path);
  if (type == "BertNormalizer") {
    const bool lowercase = r.boolean_or(value, "lowercase", path + ".lowercase", true);
    return std::make_unique<BertNormalizer>(r.boolean_or(value, "clean_text", path + ".clean_text", true),
                                            r.boolean_or(value, "handle_chinese_chars", path + ".handle_chinese_chars", true),
                                            r.boolean_or(value, "strip_accents", path + ".strip_accents", lowercase),
                                            lowercase);
  }
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(NormalizationForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(NormalizationForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(NormalizationForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(NormalizationForm::NFKD);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip")
    return std::make_unique<StripNormalizer>(r.boolean_or(value, "strip_left", path + ".strip_left", true),
                                             r.boolean_or(value, "strip_right", path + ".strip_right", true));
  if (type == "Replace") {
    auto [literal, regex] = read_pattern(r, value, path);
    return std::make_unique<ReplaceNormalizer>(std::move(literal), std::move(regex),
                                               r.string(value, "content", path + ".content"));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(r.string(value, "prepend", path + ".prepend"));
  if (type == "Precompiled") {
    const auto it = value.find("precompiled_charsmap");
    if (it == value.end() || it->is_null()) return nullptr;  // HF treats a missing map as identity
    if (!it->is_string()) r.error(path + ".precompiled_charsmap", "expected a base64 string");
    const std::string where = r.file() + ": " + path + ".precompiled_charsmap";
    const std::string blob = base64_decode(it->get<std::string>(), where);
    if (blob.empty()) return nullptr;
    return std::make_unique<PrecompiledNormalizer>(blob, where);
  }
  if (type == "Sequence") {
    const Json& list = r.array(value, "normalizers", path + ".normalizers");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = read_normalizer(r, list[i], path + ".normalizers[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  fail(ErrorKind::Unsupported, r.file() + ": " + path + ".type: normalizer '" + type + "' is not supported");
}

std::unique_ptr<PreTokenizer> read_pre_tokenizer(const Reader& r, const Json& value, const std::string& path) {
  if (value.is_null()) return nullptr;
  const std::string type = r.type(value, path);
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplitPreTokenizer>();
  if (type == "Metaspace")
    return std::make_unique<MetaspacePreTokenizer>(r.single_char(value, "replacement", path + ".replacement", 0x2581),
                                                   read_prepend_scheme(r, value, path),
                                                   r.boolean_or(value, "split", path + ".split", true));
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(r.boolean_or(value, "add_prefix_space", path + ".add_prefix_space", true),
                                                   r.boolean_or(value, "use_regex", path + ".use_regex", true));
  if (type == "Punctuation")
    return std::make_unique<PunctuationPreTokenizer>(read_behavior(r, value, path, SplitBehavior::Isolated));
  if (type == "Digits")
    return std::make_unique<DigitsPreTokenizer>(r.boolean_or(value, "individual_digits", path + ".individual_digits", false));
  if (type == "CharDelimiterSplit")
    return std::make_unique<CharDelimiterPreTokenizer>(r.single_char(value, "delimiter", path + ".delimiter", ' '));
  if (type == "Split") {
    auto [literal, regex] = read_pattern(r, value, path);
    return std::make_unique<SplitPreTokenizer>(std::move(literal), std::move(regex),
                                               read_behavior(r, value, path, SplitBehavior::Removed),
                                               r.boolean_or(value, "invert", path + ".invert", false));
  }
  if (type == "Sequence") {
    const Json& list = r.array(value, "pretokenizers", path + ".pretokenizers");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = read_pre_tokenizer(r, list[i], path + ".pretokenizers[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  fail(ErrorKind::Unsupported, r.file() + ": " + path + ".type: pre-tokenizer '" + type + "' is not supported");
}

Vocab read_vocab_object(const Reader& r, const Json& model, const std::string& path) {
  const Json& vocab_json = r.object(model, "vocab", path + ".vocab");
  Vocab vocab;
  for (auto it = vocab_json.begin(); it != vocab_json.end(); ++it)
    vocab.add(it.key(), r.id(it.value(), path + ".vocab[\"" + it.key() + "\"]"));
  return vocab;
}

std::unique_ptr<Model> read_model(const Reader& r, const Json& model) {
  const std::string path = "model";
  if (!model.is_object()) r.error(path, "expected an object");
  std::string type = r.string_or(model, "type", path + ".type", "");
  if (type.empty()) {  // old files: infer the model from its fields
    if (model.contains("merges")) type = "BPE";
    else if (model.contains("vocab") && model["vocab"].is_array()) type = "Unigram";
    else if (model.contains("continuing_subword_prefix")) type = "WordPiece";
    else r.error(path + ".type", "missing, and the model kind cannot be inferred");
  }
  if (type == "WordPiece") {
    return std::make_unique<WordPieceModel>(
        read_vocab_object(r, model, path), r.string_or(model, "unk_token", path + ".unk_token", "[UNK]"),
        r.string_or(model, "continuing_subword_prefix", path + ".continuing_subword_prefix", "##"),
        static_cast<size_t>(r.bounded_or(model, "max_input_chars_per_word", path + ".max_input_chars_per_word", 100, 0,
                                         INT64_MAX)));
  }
  if (type == "BPE") {
    BpeOptions options;
    if (auto it = model.find("unk_token"); it != model.end() && !it->is_null())
      options.unk_token = r.string(model, "unk_token", path + ".unk_token");
    options.continuing_subword_prefix = r.string_or(model, "continuing_subword_prefix", path + ".continuing_subword_prefix", "");
    options.end_of_word_suffix = r.string_or(model, "end_of_word_suffix", path + ".end_of_word_suffix", "");
    options.fuse_unk = r.boolean_or(model, "fuse_unk", path + ".fuse_unk", false);
    options.byte_fallback = r.boolean_or(model, "byte_fallback", path + ".byte_fallback", false);
    options.ignore_merges = r.boolean_or(model, "ignore_merges", path + ".ignore_merges", false);
    const Json& merges_json = r.array(model, "merges", path + ".merges");
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(merges_json.size());
    for (size_t i = 0; i < merges_json.size(); ++i) {
      const Json& m = merges_json[i];
      const std::string where = path + ".merges[" + std::to_string(i) + "]";
      if (m.is_string()) {  // "a b"
        const std::string s = m.get<std::string>();
        const size_t space = s.find(' ');
        if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
          r.error(where, "expected \"left right\" (two tokens separated by one space)");
        merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["a", "b"]
        merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      } else {
        r.error(where, "expected \"left right\" or [\"left\", \"right\"]");
      }
    }
    return std::make_unique<BpeModel>(read_vocab_object(r, model, path), merges, std::move(options), r.file() + ": model");
  }
  if (type == "Unigram") {
    const Json& vocab_json = r.array(model, "vocab", path + ".vocab");
    if (vocab_json.size() > static_cast<size_t>(kMaxTokenId) + 1)
      r.error(path + ".vocab", "more than " + std::to_string(kMaxTokenId + 1) + " pieces");
    std::vector<std::pair<std::string, double>> pieces;
    pieces.reserve(vocab_json.size());
    for (size_t i = 0; i < vocab_json.size(); ++i) {
      const Json& entry = vocab_json[i];
      if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number())
        r.error(path + ".vocab[" + std::to_string(i) + "]", "expected [token, score]");
      pieces.emplace_back(entry[0].get<std::string>(), serde_json_f64(entry[1].get<double>()));
    }
    std::optional<int32_t> unk_id;
    if (auto it = model.find("unk_id"); it != model.end() && !it->is_null()) {
      unk_id = r.id(*it, path + ".unk_id");
      if (static_cast<size_t>(*unk_id) >= pieces.size()) r.error(path + ".unk_id", "is not an id of model.vocab");
    }
    return std::make_unique<UnigramModel>(std::move(pieces), unk_id,
                                          r.boolean_or(model, "byte_fallback", path + ".byte_fallback", false));
  }
  fail(ErrorKind::Unsupported, r.file() + ": model.type: model '" + type + "' is not supported");
}

// One TemplateProcessing template ("single" or "pair"): sequences $A / $B and special tokens.
std::vector<TemplatePiece> read_template(const Reader& r, const Json& list,
                                         const std::map<std::string, std::vector<int32_t>>& specials,
                                         const std::string& path, bool pair) {
  std::vector<TemplatePiece> pieces;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = path + "[" + std::to_string(i) + "]";
    const Json& item = list[i];
    TemplatePiece piece;
    if (item.is_object() && item.contains("Sequence")) {
      const Json& sequence = item["Sequence"];
      piece.is_sequence = true;
      const std::string id = r.string_or(sequence, "id", where + ".Sequence.id", "A");
      if (id != "A" && id != "B") r.error(where + ".Sequence.id", "expected \"A\" or \"B\", got '" + id + "'");
      if (id == "B" && !pair) r.error(where + ".Sequence.id", "the single template can only use sequence A");
      piece.sequence = id == "B" ? 1 : 0;
      piece.type_id = static_cast<int32_t>(r.bounded_or(sequence, "type_id", where + ".Sequence.type_id", 0, 0, INT32_MAX));
    } else if (item.is_object() && item.contains("SpecialToken")) {
      const Json& special = item["SpecialToken"];
      const std::string name = r.string(special, "id", where + ".SpecialToken.id");
      auto found = specials.find(name);
      if (found == specials.end()) r.error(where + ".SpecialToken.id", "'" + name + "' is not in special_tokens");
      piece.special_ids = found->second;
      piece.type_id = static_cast<int32_t>(r.bounded_or(special, "type_id", where + ".SpecialToken.type_id", 0, 0, INT32_MAX));
    } else {
      r.error(where, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

std::unique_ptr<PostProcessor> read_post_processor(const Reader& r, const Json& value, const std::string& path) {
  if (value.is_null()) return nullptr;
  const std::string type = r.type(value, path);
  if (type == "TemplateProcessing") {
    std::map<std::string, std::vector<int32_t>> specials;
    if (auto it = value.find("special_tokens"); it != value.end() && it->is_object()) {
      for (auto s = it->begin(); s != it->end(); ++s) {
        const std::string where = path + ".special_tokens[\"" + s.key() + "\"]";
        const Json& ids = r.array(s.value(), "ids", where + ".ids");
        std::vector<int32_t> list;
        for (size_t i = 0; i < ids.size(); ++i) list.push_back(r.id(ids[i], where + ".ids[" + std::to_string(i) + "]"));
        specials[s.key()] = std::move(list);
      }
    }
    std::vector<TemplatePiece> single = read_template(r, r.array(value, "single", path + ".single"), specials,
                                                      path + ".single", /*pair=*/false);
    // HF refuses a file without "pair"; here it still encodes single texts, and encode_pair
    // says that there is no pair form.
    std::vector<TemplatePiece> pair;
    if (auto it = value.find("pair"); it != value.end() && !it->is_null()) {
      if (!it->is_array()) r.error(path + ".pair", "expected an array");
      pair = read_template(r, *it, specials, path + ".pair", /*pair=*/true);
      if (pair.empty()) r.error(path + ".pair", "expected at least one piece");
    }
    return std::make_unique<TemplatePostProcessor>(std::move(single), std::move(pair));
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    auto pair_id = [&](const char* key) {
      const Json& pair = r.array(value, key, path + "." + key);
      if (pair.size() != 2 || !pair[0].is_string()) r.error(path + "." + key, "expected [token, id]");
      return r.id(pair[1], path + "." + key + "[1]");
    };
    return std::make_unique<ClsSepPostProcessor>(
        pair_id("cls"), pair_id("sep"),
        type == "BertProcessing" ? ClsSepPostProcessor::Style::Bert : ClsSepPostProcessor::Style::Roberta);
  }
  if (type == "ByteLevel") return std::make_unique<IdentityPostProcessor>();
  if (type == "Sequence") {
    const Json& list = r.array(value, "processors", path + ".processors");
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = read_post_processor(r, list[i], path + ".processors[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePostProcessor>(std::move(steps));
  }
  fail(ErrorKind::Unsupported, r.file() + ": " + path + ".type: post-processor '" + type + "' is not supported");
}

std::unique_ptr<Decoder> read_decoder(const Reader& r, const Json& value, const std::string& path) {
  if (value.is_null()) return nullptr;
  const std::string type = r.type(value, path);
  if (type == "WordPiece")
    return std::make_unique<WordPieceDecoder>(r.string_or(value, "prefix", path + ".prefix", "##"),
                                              r.boolean_or(value, "cleanup", path + ".cleanup", true));
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace")
    return std::make_unique<MetaspaceDecoder>(r.single_char(value, "replacement", path + ".replacement", 0x2581),
                                              read_prepend_scheme(r, value, path));
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(r.string_or(value, "suffix", path + ".suffix", "</w>"));
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(r.single_char(value, "content", path + ".content", ' '),
                                          static_cast<size_t>(r.bounded_or(value, "start", path + ".start", 0, 0, INT64_MAX)),
                                          static_cast<size_t>(r.bounded_or(value, "stop", path + ".stop", 0, 0, INT64_MAX)));
  if (type == "Replace") {
    auto [literal, regex] = read_pattern(r, value, path);
    return std::make_unique<ReplaceDecoder>(std::make_unique<ReplaceNormalizer>(
        std::move(literal), std::move(regex), r.string(value, "content", path + ".content")));
  }
  if (type == "Sequence") {
    const Json& list = r.array(value, "decoders", path + ".decoders");
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = read_decoder(r, list[i], path + ".decoders[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  fail(ErrorKind::Unsupported, r.file() + ": " + path + ".type: decoder '" + type + "' is not supported");
}

std::vector<AddedToken> read_added_tokens(const Reader& r, const Json& root, const Model& model) {
  std::vector<AddedToken> tokens;
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return tokens;
  if (!it->is_array()) r.error("added_tokens", "expected an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& t = (*it)[i];
    const std::string path = "added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object()) r.error(path, "expected an object");
    AddedToken token;
    token.content = r.string(t, "content", path + ".content");
    if (token.content.empty()) continue;  // HF ignores empty tokens
    token.special = r.boolean_or(t, "special", path + ".special", false);
    token.single_word = r.boolean_or(t, "single_word", path + ".single_word", false);
    token.lstrip = r.boolean_or(t, "lstrip", path + ".lstrip", false);
    token.rstrip = r.boolean_or(t, "rstrip", path + ".rstrip", false);
    token.normalized = r.boolean_or(t, "normalized", path + ".normalized", !token.special);
    // A token the model already knows keeps the model's id, as HF's add_tokens does.
    if (auto model_id = model.token_to_id(token.content)) token.id = *model_id;
    else {
      auto id_it = t.find("id");
      if (id_it == t.end()) r.error(path + ".id", "expected a token id");
      token.id = r.id(*id_it, path + ".id");
    }
    bool duplicate = false;
    for (AddedToken& existing : tokens)
      if (existing.content == token.content) {
        existing = token;  // the later definition wins
        duplicate = true;
      }
    if (!duplicate) tokens.push_back(std::move(token));
  }
  return tokens;
}

std::optional<TruncationSettings> read_truncation(const Reader& r, const Json& root) {
  auto it = root.find("truncation");
  if (it == root.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) r.error("truncation", "expected an object or null");
  TruncationSettings settings;
  settings.max_length = static_cast<size_t>(r.bounded_or(*it, "max_length", "truncation.max_length", 512, 0, INT64_MAX));
  settings.side = r.string_or(*it, "direction", "truncation.direction", "Right") == "Left" ? TruncationSide::Left
                                                                                          : TruncationSide::Right;
  return settings;
}

std::optional<PaddingSettings> read_padding(const Reader& r, const Json& root) {
  auto it = root.find("padding");
  if (it == root.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) r.error("padding", "expected an object or null");
  const Json& p = *it;
  PaddingSettings settings;
  if (auto s = p.find("strategy"); s != p.end() && s->is_object() && s->contains("Fixed"))
    settings.length = static_cast<size_t>(r.bounded_or(*s, "Fixed", "padding.strategy.Fixed", 0, 0, kMaxPaddingLength));
  settings.pad_to_multiple_of =
      static_cast<size_t>(r.bounded_or(p, "pad_to_multiple_of", "padding.pad_to_multiple_of", 0, 0, kMaxPaddingLength));
  settings.left = r.string_or(p, "direction", "padding.direction", "Right") == "Left";
  settings.pad_id = static_cast<int32_t>(r.bounded_or(p, "pad_id", "padding.pad_id", 0, 0, kMaxTokenId));
  settings.pad_type_id = static_cast<int32_t>(r.bounded_or(p, "pad_type_id", "padding.pad_type_id", 0, 0, INT32_MAX));
  return settings;
}

}  // namespace

std::unique_ptr<PipelineTokenizer> load_tokenizer_json(std::string_view json_text, const std::string& name) {
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::exception& e) {  // parse errors, and numbers out of range (406)
    fail(ErrorKind::InvalidModel, name + ": not valid JSON: " + e.what());
  }
  const Reader r(name);
  if (!root.is_object()) r.error("(root)", "expected an object");
  PipelineParts parts;
  if (!root.contains("model")) r.error("model", "expected an object");
  parts.model = read_model(r, root["model"]);
  parts.normalizer = read_normalizer(r, root.value("normalizer", Json()), "normalizer");
  parts.pre_tokenizer = read_pre_tokenizer(r, root.value("pre_tokenizer", Json()), "pre_tokenizer");
  parts.post_processor = read_post_processor(r, root.value("post_processor", Json()), "post_processor");
  parts.decoder = read_decoder(r, root.value("decoder", Json()), "decoder");
  parts.added_tokens = read_added_tokens(r, root, *parts.model);
  parts.truncation = read_truncation(r, root);
  parts.padding = read_padding(r, root);
  return std::make_unique<PipelineTokenizer>(std::move(parts));
}

std::unique_ptr<PipelineTokenizer> load_tokenizer_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Io, "cannot open tokenizer file '" + path.string() + "'");
  std::error_code ec;
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxTokenizerJsonBytes)
    fail(ErrorKind::InvalidModel, path.string() + ": " + std::to_string(size) + " bytes is more than the " +
                                      std::to_string(kMaxTokenizerJsonBytes >> 20) + " MiB a tokenizer.json may have");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_tokenizer_json(buffer.str(), path.filename().string());
}

}  // namespace packformer::tokenizer
