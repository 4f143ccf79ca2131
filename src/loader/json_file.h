// Typed access to a JSON file (config.json and friends). Every error names the file and the
// field and says what type or range was expected.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace packformer {

class JsonFile {
 public:
  // Files larger than this are refused before parsing (config files are a few KB).
  static constexpr uint64_t kMaxBytes = 64ull << 20;

  // A top-level object is required unless `require_object` is false (modules.json is an array).
  explicit JsonFile(const std::filesystem::path& path, bool require_object = true);
  JsonFile(std::filesystem::path path, nlohmann::json root) : path_(std::move(path)), root_(std::move(root)) {}
  // Parses `text` with the same checks as the file constructor; `path` names it in errors.
  static JsonFile from_text(const std::string& text, const std::filesystem::path& path, bool require_object = true);

  const std::filesystem::path& path() const { return path_; }
  const nlohmann::json& root() const { return root_; }
  bool has(const std::string& key) const { return root_.contains(key) && !root_[key].is_null(); }

  int64_t get_int(const std::string& key, int64_t min, int64_t max) const;
  int64_t get_int(const std::string& key, int64_t min, int64_t max, int64_t fallback) const;
  double get_number(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  // {"0": "negative", ...} -> {0: "negative"}; empty when absent.
  std::map<int64_t, std::string> get_int_keyed_strings(const std::string& key) const;

  [[noreturn]] void invalid(const std::string& key, const std::string& why) const;

 private:
  std::filesystem::path path_;
  nlohmann::json root_;
};

}  // namespace packformer
