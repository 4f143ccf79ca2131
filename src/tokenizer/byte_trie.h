// A byte trie with its edges in one open-addressing hash table: prefix searches cost one
// integer probe per byte, with no string hashing. Shared by WordPiece (longest match),
// Unigram (all matches) and the added-token matcher.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace packformer::tokenizer {

class ByteTrie {
 public:
  static constexpr int32_t kNone = -1;

  ByteTrie() : values_{kNone} {}

  // Maps `key` (non-empty) to `value`, replacing an earlier value of the same key.
  void insert(std::string_view key, int32_t value);

  int32_t child(int32_t node, unsigned char byte) const {
    const uint64_t key = edge_key(node, byte);
    for (size_t slot = slot_of(key);; slot = (slot + 1) & mask_) {
      const uint64_t k = keys_[slot];
      if (k == key) return children_[slot];
      if (k == 0) return kNone;
    }
  }
  int32_t value(int32_t node) const { return values_[node]; }
  bool empty() const { return values_.size() <= 1; }

  // Calls f(length, value) for every key that is a prefix of `text`, shortest first.
  template <typename F>
  void for_each_prefix(std::string_view text, F&& f) const {
    int32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      node = child(node, static_cast<unsigned char>(text[i]));
      if (node == kNone) return;
      if (values_[node] != kNone) f(i + 1, values_[node]);
    }
  }

  // The value of the longest key that is a prefix of `text` (kNone if none); its length in `length`.
  int32_t longest_prefix(std::string_view text, size_t& length) const {
    int32_t best = kNone;
    int32_t node = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      node = child(node, static_cast<unsigned char>(text[i]));
      if (node == kNone) break;
      if (values_[node] != kNone) {
        best = values_[node];
        length = i + 1;
      }
    }
    return best;
  }

 private:
  static uint64_t edge_key(int32_t node, unsigned char byte) {
    return ((static_cast<uint64_t>(node) << 8) | byte) + 1;  // 0 marks an empty slot
  }
  size_t slot_of(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_); }
  void grow();

  std::vector<uint64_t> keys_ = std::vector<uint64_t>(16, 0);
  std::vector<int32_t> children_ = std::vector<int32_t>(16, kNone);
  size_t mask_ = 15;
  int shift_ = 60;  // 64 - log2(capacity)
  size_t edges_ = 0;
  std::vector<int32_t> values_;  // per node; node 0 is the root
};

}  // namespace packformer::tokenizer
