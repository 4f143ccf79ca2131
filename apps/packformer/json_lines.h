// Small JSON writers and readers for the line formats of the CLI.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace packformer::cli {

// Appends [v0,v1,...] with round-trip precision (9 significant digits).
void append_float_array(std::string& out, const float* values, int64_t n);
// A JSON string literal for `text` (invalid UTF-8 bytes become U+FFFD).
std::string json_string(std::string_view text);
// Parses one line holding a JSON array of token ids; errors name the line number.
std::vector<int32_t> parse_id_array(const std::string& line, size_t line_number);

}  // namespace packformer::cli
