// Unigram language model: the segmentation with the highest total log-probability (Viterbi
// over all vocabulary pieces that match), unknown characters scored min_score - 10 and
// consecutive unknowns fused into one unknown token, as HF does.
#pragma once

#include <array>
#include <unordered_map>

#include "tokenizer/model.h"
#include "tokenizer/vocab.h"

namespace packformer::tokenizer {

class UnigramModel final : public Model {
 public:
  // `pieces[i]` is (token, score) of id i.
  UnigramModel(std::vector<std::pair<std::string, double>> pieces, std::optional<int32_t> unk_id, bool byte_fallback);
  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return scores_.size(); }

 private:
  // Byte trie over all pieces: node 0 is the root.
  int32_t child(int32_t node, unsigned char byte) const {
    auto it = edges_.find((static_cast<uint64_t>(node) << 8) | byte);
    return it == edges_.end() ? -1 : it->second;
  }

  Vocab vocab_;
  std::vector<double> scores_;
  std::unordered_map<uint64_t, int32_t> edges_;
  std::vector<int32_t> node_token_;  // token id ending at each node, or -1
  std::optional<int32_t> unk_id_;
  bool byte_fallback_;
  double unk_score_ = 0;
  std::array<int32_t, 256> byte_ids_{};
};

}  // namespace packformer::tokenizer
