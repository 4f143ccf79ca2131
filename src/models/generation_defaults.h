// The token ids transformers' generate() takes from a model folder: eos, decoder start,
// forced BOS/EOS and single-token bad words. Shared by every generation model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loader/json_file.h"

namespace packformer {

// A field holding a token id or null/absent; the id must be in [0, vocab_size).
std::optional<int32_t> read_token_id(const JsonFile& json, const std::string& key, int64_t vocab_size);
// A field holding a token id, a list of ids, or null/absent (empty).
std::vector<int32_t> read_token_ids(const JsonFile& json, const std::string& key, int64_t vocab_size);

struct GenerationDefaults {
  std::vector<int32_t> eos_token_ids;
  std::optional<int32_t> decoder_start_token_id, bos_token_id, pad_token_id;
  std::optional<int32_t> forced_bos_token_id, forced_eos_token_id;
  std::vector<int32_t> bad_token_ids;  // bad_words_ids entries of one token
};

// transformers 5 builds its GenerationConfig from generation_config.json when the folder has
// one (config.json's generation fields are then ignored), else from config.json. eos keeps
// packformer's GPT-2 rule: generation_config.json's when it sets one, else config.json's.
// bad_words_ids entries longer than one token are refused (Unsupported), naming the field.
GenerationDefaults read_generation_defaults(const JsonFile& config_json, int64_t vocab_size);

}  // namespace packformer
