#include "tokenizer/byte_trie.h"

namespace packformer::tokenizer {

void ByteTrie::grow() {
  std::vector<uint64_t> old_keys = std::move(keys_);
  std::vector<int32_t> old_children = std::move(children_);
  const size_t capacity = old_keys.size() * 2;
  keys_.assign(capacity, 0);
  children_.assign(capacity, kNone);
  mask_ = capacity - 1;
  --shift_;
  for (size_t i = 0; i < old_keys.size(); ++i) {
    if (old_keys[i] == 0) continue;
    size_t slot = slot_of(old_keys[i]);
    while (keys_[slot] != 0) slot = (slot + 1) & mask_;
    keys_[slot] = old_keys[i];
    children_[slot] = old_children[i];
  }
}

void ByteTrie::insert(std::string_view key, int32_t value) {
  if (key.empty()) return;
  int32_t node = 0;
  for (char c : key) {
    int32_t next = child(node, static_cast<unsigned char>(c));
    if (next == kNone) {
      if ((edges_ + 1) * 2 > keys_.size()) grow();  // keep the load factor under 1/2
      next = static_cast<int32_t>(values_.size());
      values_.push_back(kNone);
      const uint64_t k = edge_key(node, static_cast<unsigned char>(c));
      size_t slot = slot_of(k);
      while (keys_[slot] != 0) slot = (slot + 1) & mask_;
      keys_[slot] = k;
      children_[slot] = next;
      ++edges_;
    }
    node = next;
  }
  values_[node] = value;
}

}  // namespace packformer::tokenizer
