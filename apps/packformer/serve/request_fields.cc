#include "request_fields.h"

#include <limits>

#include "api.h"

namespace packformer::serve {
namespace {

using nlohmann::json;

std::string type_name(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer() || value.is_number_unsigned()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "a list";
  return "an object";
}

[[noreturn]] void wrong_type(const std::string& name, const char* expected, const json& value) {
  validation_error("`" + name + "` must be " + expected + " (got " + type_name(value) + ")");
}

// A present, non-null field, or null.
const json* find(const json& body, const char* name) {
  const auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

int32_t parse_id(const json& value, const std::string& name) {
  if (!value.is_number_integer() && !value.is_number_unsigned()) wrong_type(name, "a token id (an integer)", value);
  if (value.is_number_unsigned() ? value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())
                                 : (value.get<int64_t>() < 0 || value.get<int64_t>() > std::numeric_limits<int32_t>::max()))
    validation_error("`" + name + "` holds the token id " + value.dump() + ", outside [0, 2^31)");
  return static_cast<int32_t>(value.get<int64_t>());
}

std::vector<int32_t> parse_ids(const json& value, const std::string& name) {
  std::vector<int32_t> ids;
  ids.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) ids.push_back(parse_id(value[i], name + "[" + std::to_string(i) + "]"));
  return ids;
}

}  // namespace

json parse_body(const std::string& body) {
  json value;
  try {
    value = json::parse(body);
  } catch (const json::parse_error& e) {
    throw ApiError(400, "BadRequest", std::string("the request body is not valid JSON: ") + e.what());
  }
  if (!value.is_object()) validation_error("the request body must be a JSON object (got " + type_name(value) + ")");
  return value;
}

bool bool_field(const json& body, const char* name, bool fallback) {
  return optional_bool_field(body, name).value_or(fallback);
}

std::optional<bool> optional_bool_field(const json& body, const char* name) {
  const json* value = find(body, name);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) wrong_type(name, "true or false", *value);
  return value->get<bool>();
}

std::string string_field(const json& body, const char* name, const std::string& fallback) {
  const json* value = find(body, name);
  if (!value) return fallback;
  if (!value->is_string()) wrong_type(name, "a string", *value);
  return value->get<std::string>();
}

int64_t int_field(const json& body, const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  const json* value = find(body, name);
  if (!value) return fallback;
  if (!value->is_number_integer() && !value->is_number_unsigned()) wrong_type(name, "an integer", *value);
  const bool too_big = value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(hi);
  const int64_t v = too_big ? hi : value->get<int64_t>();
  if (too_big || v < lo || v > hi)
    validation_error("`" + std::string(name) + "` must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                     "] (got " + value->dump() + ")");
  return v;
}

double number_field(const json& body, const char* name, double fallback, double lo, double hi) {
  const json* value = find(body, name);
  if (!value) return fallback;
  if (!value->is_number()) wrong_type(name, "a number", *value);
  const double v = value->get<double>();
  if (!(v >= lo && v <= hi))
    validation_error("`" + std::string(name) + "` must be in [" + json(lo).dump() + ", " + json(hi).dump() + "] (got " +
                     value->dump() + ")");
  return v;
}

const json& required_field(const json& body, const char* name) {
  const json* value = find(body, name);
  if (!value) validation_error("missing field `" + std::string(name) + "`");
  return *value;
}

void check_batch_size(size_t count, const char* name, size_t max_batch) {
  if (count > max_batch)
    throw ApiError(413, "Validation", "batch size " + std::to_string(count) + " > maximum allowed batch size " +
                                          std::to_string(max_batch) + " (`" + name + "`; see --max-client-batch-size)");
}

std::vector<TextOrIds> parse_text_or_ids(const json& value, const char* name, size_t max_batch) {
  const std::string field = name;
  std::vector<TextOrIds> inputs;
  if (value.is_string()) {
    inputs.push_back({value.get<std::string>(), {}, false});
    return inputs;
  }
  if (!value.is_array()) wrong_type(field, "a string, a list of strings or a list of token ids", value);
  if (value.empty()) throw ApiError(422, "Empty", "`" + field + "` cannot be empty");
  // A list of integers is one input of token ids; otherwise each element is one input.
  if (value[0].is_number()) {
    inputs.push_back({{}, parse_ids(value, field), true});
    return inputs;
  }
  check_batch_size(value.size(), name, max_batch);
  for (size_t i = 0; i < value.size(); ++i) {
    const json& item = value[i];
    const std::string item_name = field + "[" + std::to_string(i) + "]";
    if (item.is_string()) inputs.push_back({item.get<std::string>(), {}, false});
    else if (item.is_array()) inputs.push_back({{}, parse_ids(item, item_name), true});
    else wrong_type(item_name, "a string or a list of token ids", item);
  }
  return inputs;
}

std::vector<std::string> parse_texts(const json& value, const char* name, size_t max_batch, bool* batch) {
  std::vector<std::string> texts;
  if (batch) *batch = value.is_array();
  if (value.is_string()) {
    texts.push_back(value.get<std::string>());
    return texts;
  }
  if (!value.is_array()) wrong_type(name, "a string or a list of strings", value);
  if (value.empty()) throw ApiError(422, "Empty", "`" + std::string(name) + "` cannot be empty");
  check_batch_size(value.size(), name, max_batch);
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) wrong_type(std::string(name) + "[" + std::to_string(i) + "]", "a string", value[i]);
    texts.push_back(value[i].get<std::string>());
  }
  return texts;
}

std::vector<std::vector<int32_t>> parse_id_lists(const json& value, const char* name, size_t max_batch) {
  const std::string field = name;
  if (!value.is_array()) wrong_type(field, "a list of token ids or a list of such lists", value);
  if (value.empty()) throw ApiError(422, "Empty", "`" + field + "` cannot be empty");
  if (!value[0].is_array()) return {parse_ids(value, field)};
  check_batch_size(value.size(), name, max_batch);
  std::vector<std::vector<int32_t>> lists;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item_name = field + "[" + std::to_string(i) + "]";
    if (!value[i].is_array()) wrong_type(item_name, "a list of token ids", value[i]);
    lists.push_back(parse_ids(value[i], item_name));
  }
  return lists;
}

}  // namespace packformer::serve
