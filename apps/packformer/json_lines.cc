#include "json_lines.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>

#include "packformer/error.h"

namespace packformer::cli {

void append_float_array(std::string& out, const float* values, int64_t n) {
  out.push_back('[');
  char buffer[32];
  for (int64_t i = 0; i < n; ++i) {
    if (i) out.push_back(',');
    if (!std::isfinite(values[i])) {
      out += "null";  // JSON has no NaN or infinity
      continue;
    }
    const int len = std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(values[i]));
    out.append(buffer, static_cast<size_t>(len));
  }
  out.push_back(']');
}

std::string json_string(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<int32_t> parse_id_array(const std::string& line, size_t line_number) {
  const std::string where = "line " + std::to_string(line_number) + ": ";
  // nlohmann's lexer takes a NUL byte for the end of input and would ignore whatever follows.
  if (line.find('\0') != std::string::npos) fail(ErrorKind::InvalidInput, where + "contains a NUL byte");
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception&) {
    fail(ErrorKind::InvalidInput, where + "expected a JSON array of token ids, e.g. [101, 7592, 102]");
  }
  if (!value.is_array()) fail(ErrorKind::InvalidInput, where + "expected a JSON array of token ids");
  if (value.empty()) fail(ErrorKind::InvalidInput, where + "the array of token ids is empty");
  std::vector<int32_t> ids;
  ids.reserve(value.size());
  for (const auto& id : value) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max())
      // Only scalars are echoed: dumping a deeply nested value would recurse once per level.
      fail(ErrorKind::InvalidInput, where + "token ids must be non-negative integers, got " +
                                        (id.is_structured() ? std::string("an ") + id.type_name() : id.dump()));
    ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return ids;
}

}  // namespace packformer::cli
