#include "models/generation_defaults.h"

#include <filesystem>

#include "packformer/error.h"

namespace packformer {
namespace {

int32_t checked_id(const JsonFile& json, const std::string& key, const nlohmann::json& v, int64_t vocab_size) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= vocab_size)
    json.invalid(key, "expected token ids in [0, " + std::to_string(vocab_size) + ")");
  return static_cast<int32_t>(v.get<int64_t>());
}

}  // namespace

std::optional<int32_t> read_token_id(const JsonFile& json, const std::string& key, int64_t vocab_size) {
  if (!json.has(key)) return std::nullopt;
  return checked_id(json, key, json.root()[key], vocab_size);
}

std::vector<int32_t> read_token_ids(const JsonFile& json, const std::string& key, int64_t vocab_size) {
  if (!json.has(key)) return {};
  const auto& value = json.root()[key];
  std::vector<int32_t> ids;
  if (value.is_array()) {
    for (const auto& v : value) ids.push_back(checked_id(json, key, v, vocab_size));
  } else {
    ids.push_back(checked_id(json, key, value, vocab_size));
  }
  return ids;
}

GenerationDefaults read_generation_defaults(const JsonFile& config_json, int64_t vocab_size) {
  const auto generation_path = config_json.path().parent_path() / "generation_config.json";
  std::optional<JsonFile> generation;
  if (std::filesystem::exists(generation_path)) generation.emplace(generation_path);
  const JsonFile& source = generation ? *generation : config_json;
  GenerationDefaults d;
  d.eos_token_ids = read_token_ids(generation && generation->has("eos_token_id") ? *generation : config_json,
                                   "eos_token_id", vocab_size);
  d.decoder_start_token_id = read_token_id(source, "decoder_start_token_id", vocab_size);
  d.bos_token_id = read_token_id(source, "bos_token_id", vocab_size);
  d.pad_token_id = read_token_id(source, "pad_token_id", vocab_size);
  d.forced_bos_token_id = read_token_id(source, "forced_bos_token_id", vocab_size);
  d.forced_eos_token_id = read_token_id(source, "forced_eos_token_id", vocab_size);
  if (source.has("bad_words_ids")) {
    const auto& words = source.root()["bad_words_ids"];
    if (!words.is_array()) source.invalid("bad_words_ids", "expected a list of lists of token ids");
    for (const auto& word : words) {
      if (!word.is_array() || word.empty()) source.invalid("bad_words_ids", "expected a list of lists of token ids");
      if (word.size() > 1)
        fail(ErrorKind::Unsupported, source.path().string() + ": field 'bad_words_ids': bad words of more than one "
                                                              "token are not supported (got " + word.dump() + ")");
      d.bad_token_ids.push_back(checked_id(source, "bad_words_ids", word[0], vocab_size));
    }
  }
  return d;
}

}  // namespace packformer
