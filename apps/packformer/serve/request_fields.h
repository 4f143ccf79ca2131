// Reading a request's JSON body: parse errors are 400, a field of the wrong type or out of
// range is 422, and every message names the field and what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace packformer::serve {

// The body as a JSON object; 400 (BadRequest) when it is not JSON, 422 when it is not an object.
nlohmann::json parse_body(const std::string& body);

// A field that may be absent or null (then `fallback`); 422 naming it when of another type.
bool bool_field(const nlohmann::json& body, const char* name, bool fallback);
std::optional<bool> optional_bool_field(const nlohmann::json& body, const char* name);
std::string string_field(const nlohmann::json& body, const char* name, const std::string& fallback);
int64_t int_field(const nlohmann::json& body, const char* name, int64_t fallback, int64_t lo, int64_t hi);
double number_field(const nlohmann::json& body, const char* name, double fallback, double lo, double hi);
// A field that must be present (422 "missing field" otherwise).
const nlohmann::json& required_field(const nlohmann::json& body, const char* name);

// One input of /embed, /v1/embeddings: a text, or token ids given directly.
struct TextOrIds {
  std::string text;
  std::vector<int32_t> ids;
  bool is_ids = false;
};

// TEI's `inputs` / OpenAI's `input`: a string, a list of strings, a list of token ids, or a
// list of lists of ids (mixed lists of strings and id lists too). `batch` says whether the
// value was a list of inputs (the response is a list either way for /embed). An empty list, a
// list longer than `max_batch` (413), or an element of another type are refused, naming
// `name`. Ids are checked against [0, 2^31).
std::vector<TextOrIds> parse_text_or_ids(const nlohmann::json& value, const char* name, size_t max_batch);

// A string or a list of strings (/tokenize, /predict batches of singles).
std::vector<std::string> parse_texts(const nlohmann::json& value, const char* name, size_t max_batch, bool* batch);

// A list of ids or a list of lists of ids (/decode).
std::vector<std::vector<int32_t>> parse_id_lists(const nlohmann::json& value, const char* name, size_t max_batch);

// Refuses more than `max_batch` inputs with 413, naming the field and the limit.
void check_batch_size(size_t count, const char* name, size_t max_batch);

}  // namespace packformer::serve
