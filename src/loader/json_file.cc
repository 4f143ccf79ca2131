#include "loader/json_file.h"

#include <fstream>
#include <sstream>

#include "packformer/error.h"

namespace packformer {
namespace {

const char* json_type(const nlohmann::json& value) { return value.type_name(); }

}  // namespace

JsonFile::JsonFile(const std::filesystem::path& path, bool require_object) : path_(path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail(ErrorKind::InvalidModel, path.string() + ": file not found");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) fail(ErrorKind::InvalidModel, path.string() + ": cannot read: " + ec.message());
  if (size > kMaxBytes) fail(ErrorKind::InvalidModel, path.string() + ": file is larger than 64 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::InvalidModel, path.string() + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  *this = from_text(text.str(), path, require_object);
}

JsonFile JsonFile::from_text(const std::string& content, const std::filesystem::path& path, bool require_object) {
  if (content.size() > kMaxBytes) fail(ErrorKind::InvalidModel, path.string() + ": file is larger than 64 MiB");
  // nlohmann's lexer takes a NUL byte for the end of input and would ignore whatever follows.
  if (content.find('\0') != std::string::npos)
    fail(ErrorKind::InvalidModel, path.string() + ": not valid JSON: it contains a NUL byte");
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(content);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::InvalidModel, path.string() + ": not valid JSON: " + e.what());
  }
  if (require_object && !root.is_object()) fail(ErrorKind::InvalidModel, path.string() + ": expected a JSON object at the top level");
  return JsonFile(path, std::move(root));
}

void JsonFile::invalid(const std::string& key, const std::string& why) const {
  fail(ErrorKind::InvalidModel, path_.string() + ": field '" + key + "': " + why);
}

int64_t JsonFile::get_int(const std::string& key, int64_t min, int64_t max) const {
  if (!has(key)) invalid(key, "missing (expected an integer)");
  const auto& value = root_[key];
  if (!value.is_number_integer()) invalid(key, std::string("expected an integer, got ") + json_type(value));
  const int64_t v = value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                        ? INT64_MAX
                        : value.get<int64_t>();
  if (v < min || v > max)
    invalid(key, "value " + value.dump() + " is outside the supported range [" + std::to_string(min) + ", " +
                     std::to_string(max) + "]");
  return v;
}

int64_t JsonFile::get_int(const std::string& key, int64_t min, int64_t max, int64_t fallback) const {
  return has(key) ? get_int(key, min, max) : fallback;
}

double JsonFile::get_number(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  const auto& value = root_[key];
  if (!value.is_number()) invalid(key, std::string("expected a number, got ") + json_type(value));
  return value.get<double>();
}

bool JsonFile::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const auto& value = root_[key];
  if (!value.is_boolean()) invalid(key, std::string("expected true or false, got ") + json_type(value));
  return value.get<bool>();
}

std::string JsonFile::get_string(const std::string& key) const {
  if (!has(key)) invalid(key, "missing (expected a string)");
  const auto& value = root_[key];
  if (!value.is_string()) invalid(key, std::string("expected a string, got ") + json_type(value));
  return value.get<std::string>();
}

std::string JsonFile::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::map<int64_t, std::string> JsonFile::get_int_keyed_strings(const std::string& key) const {
  std::map<int64_t, std::string> out;
  if (!has(key)) return out;
  const auto& value = root_[key];
  if (!value.is_object()) invalid(key, std::string("expected an object, got ") + json_type(value));
  for (const auto& [k, v] : value.items()) {
    if (!v.is_string()) invalid(key + "." + k, "expected a string");
    try {
      size_t used = 0;
      const long long index = std::stoll(k, &used);
      if (used != k.size()) throw std::invalid_argument(k);
      out[index] = v.get<std::string>();
    } catch (const std::exception&) {
      invalid(key, "key '" + k + "' is not an integer");
    }
  }
  return out;
}

}  // namespace packformer
