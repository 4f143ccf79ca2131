// Byte-pair encoding: a word starts as its characters (or byte-fallback / unknown tokens)
// and pairs are merged lowest rank first, leftmost first among equal ranks. Results are
// cached per word, since running text repeats words constantly.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "tokenizer/model.h"
#include "tokenizer/vocab.h"

namespace packformer::tokenizer {

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  size_t cache_capacity = 10000;  // words; 0 disables the cache
};

class BpeModel final : public Model {
 public:
  // `merges` are (left, right) token pairs in rank order. Throws InvalidModel naming `where`
  // when a merge refers to a token not in the vocabulary.
  BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
           const std::string& where);
  ~BpeModel() override;
  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return vocab_.size(); }

 private:
  struct MergeInfo {
    uint32_t rank;
    int32_t new_id;
  };
  void merge_word(std::string_view word, std::vector<int32_t>& ids) const;
  const MergeInfo* find_merge(int32_t left, int32_t right) const {
    auto it = merges_.find(pair_key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  }
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }

  Vocab vocab_;
  std::unordered_map<uint64_t, MergeInfo> merges_;
  BpeOptions options_;
  std::optional<int32_t> unk_id_;
  std::array<int32_t, 256> byte_ids_;  // id of "<0xXX>" or -1
  bool all_bytes_present_ = false;

  class Cache;
  std::unique_ptr<Cache> cache_;
};

}  // namespace packformer::tokenizer
