// Token <-> id tables shared by the models: a hash map searchable by string_view and a dense
// reverse table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace packformer::tokenizer {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept {
    // FNV-1a: short keys, and std::hash<string_view> is no faster for them.
    uint64_t h = 1469598103934665603ULL;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return static_cast<size_t>(h);
  }
};

class Vocab {
 public:
  // Adds `token` with `id`; a later duplicate token overrides the earlier id (as serde does).
  void add(std::string token, int32_t id);
  std::optional<int32_t> find(std::string_view token) const {
    auto it = map_.find(token);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  const std::string* token(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= tokens_.size() || !present_[id]) return nullptr;
    return &tokens_[id];
  }
  size_t size() const { return map_.size(); }
  // One past the largest id (0 when empty).
  size_t id_bound() const { return tokens_.size(); }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [token, id] : map_) f(token, id);
  }

 private:
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> map_;
  std::vector<std::string> tokens_;
  std::vector<bool> present_;
};

}  // namespace packformer::tokenizer
