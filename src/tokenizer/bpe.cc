#include "tokenizer/bpe.h"

#include <array>
#include <cstdio>
#include <algorithm>

#include "packformer/error.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {

// Word -> ids, sharded so that threads encoding at once rarely wait on each other. Like HF,
// it stops growing at capacity instead of evicting.
class BpeModel::Cache {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxWordBytes = 256;

  explicit Cache(size_t capacity) : per_shard_(capacity / kShards + 1) {}

  bool lookup(std::string_view word, std::vector<int32_t>& ids) const {
    const Shard& shard = shards_[StringHash{}(word) % kShards];
    std::shared_lock lock(shard.mutex);
    auto it = shard.map.find(word);
    if (it == shard.map.end()) return false;
    ids.insert(ids.end(), it->second.begin(), it->second.end());
    return true;
  }

  void store(std::string_view word, const int32_t* ids, size_t count) {
    if (word.size() >= kMaxWordBytes) return;
    Shard& shard = shards_[StringHash{}(word) % kShards];
    std::unique_lock lock(shard.mutex);
    if (shard.map.size() >= per_shard_) return;
    shard.map.emplace(std::string(word), std::vector<int32_t>(ids, ids + count));
  }

 private:
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> map;
  };
  size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

BpeModel::BpeModel(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
                   const std::string& where)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  const size_t prefix_len = options_.continuing_subword_prefix.size();
  merges_.reserve(merges.size() * 2);
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const auto left_id = vocab_.find(left), right_id = vocab_.find(right);
    if (!left_id || !right_id)
      fail(ErrorKind::InvalidModel, where + ": merge " + std::to_string(rank) + " ('" + left + "', '" + right +
                                        "') uses a token that is not in model.vocab");
    // The right side loses its continuing-subword prefix in the merged token.
    const std::string merged = left + (right.size() >= prefix_len ? right.substr(prefix_len) : std::string());
    const auto merged_id = vocab_.find(merged);
    if (!merged_id)
      fail(ErrorKind::InvalidModel, where + ": merge " + std::to_string(rank) + " makes '" + merged +
                                        "', which is not in model.vocab");
    merges_[pair_key(*left_id, *right_id)] = MergeInfo{static_cast<uint32_t>(rank), *merged_id};
  }
  if (options_.unk_token) unk_id_ = vocab_.find(*options_.unk_token);
  all_bytes_present_ = true;
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const auto id = vocab_.find(name);
    byte_ids_[b] = id ? *id : -1;
    all_bytes_present_ = all_bytes_present_ && id.has_value();
  }
  if (options_.cache_capacity > 0) cache_ = std::make_unique<Cache>(options_.cache_capacity);
}

BpeModel::~BpeModel() = default;

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (auto id = vocab_.find(word)) {
      ids.push_back(*id);
      return;
    }
  }
  if (cache_ && cache_->lookup(word, ids)) return;
  const size_t first = ids.size();
  merge_word(word, ids);
  if (cache_) cache_->store(word, ids.data() + first, ids.size() - first);
}

void BpeModel::merge_word(std::string_view word, std::vector<int32_t>& ids) const {
  struct Symbol {
    int32_t id;
    int32_t prev, next;
    bool alive;
  };
  thread_local std::vector<Symbol> symbols;
  thread_local std::string scratch;
  symbols.clear();

  auto push = [&](int32_t id) {
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back(Symbol{id, index - 1, index + 1, true});
  };
  // The fused or not-yet-flushed unknown, kNoId when none (not std::optional: GCC 12 warns
  // -Wmaybe-uninitialized falsely on it here).
  constexpr int32_t kNoId = -1;
  int32_t pending_unk = kNoId;
  const bool has_affixes = !options_.continuing_subword_prefix.empty() || !options_.end_of_word_suffix.empty();
  size_t pos = 0;
  while (pos < word.size()) {
    const size_t start = pos;
    pos += utf8_length(static_cast<unsigned char>(word[pos]));
    std::string_view piece = word.substr(start, pos - start);
    if (has_affixes) {
      scratch.clear();
      if (start > 0) scratch.append(options_.continuing_subword_prefix);
      scratch.append(piece);
      if (pos == word.size()) scratch.append(options_.end_of_word_suffix);
      piece = scratch;
    }
    if (auto id = vocab_.find(piece)) {
      if (pending_unk != kNoId) {
        push(pending_unk);
        pending_unk = kNoId;
      }
      push(*id);
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (char c : piece) all = all && byte_ids_[static_cast<unsigned char>(c)] >= 0;
      if (all) {
        // HF does not flush a pending unknown here; keep that order.
        for (char c : piece) push(byte_ids_[static_cast<unsigned char>(c)]);
        continue;
      }
    }
    if (options_.unk_token) {
      if (!unk_id_)
        fail(ErrorKind::InvalidModel, "BPE: unk_token '" + *options_.unk_token + "' is not in the vocabulary");
      if (pending_unk != kNoId && !options_.fuse_unk) push(pending_unk);
      pending_unk = *unk_id_;
    }
  }
  if (pending_unk != kNoId) push(pending_unk);
  if (symbols.empty()) return;
  symbols.back().next = -1;

  struct Candidate {
    uint32_t rank;
    int32_t pos;
    int32_t new_id;
    bool operator<(const Candidate& o) const {  // std heaps keep the largest on top
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  thread_local std::vector<Candidate> queue;  // a binary heap, reused across calls
  queue.clear();
  auto push_candidate = [&](Candidate c) {
    queue.push_back(c);
    std::push_heap(queue.begin(), queue.end());
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    if (const MergeInfo* m = find_merge(symbols[i].id, symbols[i + 1].id))
      push_candidate(Candidate{m->rank, static_cast<int32_t>(i), m->new_id});
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end());
    const Candidate top = queue.back();
    queue.pop_back();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    const MergeInfo* m = find_merge(left.id, right.id);
    if (m == nullptr || m->new_id != top.new_id) continue;  // stale entry
    left.id = top.new_id;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.pos;
    if (left.prev >= 0)
      if (const MergeInfo* pm = find_merge(symbols[left.prev].id, left.id))
        push_candidate(Candidate{pm->rank, left.prev, pm->new_id});
    if (left.next >= 0)
      if (const MergeInfo* nm = find_merge(left.id, symbols[left.next].id))
        push_candidate(Candidate{nm->rank, top.pos, nm->new_id});
  }
  for (const Symbol& s : symbols)
    if (s.alive) ids.push_back(s.id);
}

}  // namespace packformer::tokenizer
