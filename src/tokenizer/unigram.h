// Unigram language model: the segmentation with the highest total log-probability (Viterbi
// over all vocabulary pieces that match), unknown characters scored min_score - 10 and
// consecutive unknowns fused into one unknown token, as HF does.
#pragma once

#include <array>

#include "tokenizer/byte_trie.h"
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
  Vocab vocab_;
  std::vector<double> scores_;
  ByteTrie trie_;  // all pieces
  std::optional<int32_t> unk_id_;
  bool byte_fallback_;
  double unk_score_ = 0;
  std::array<int32_t, 256> byte_ids_{};
};

}  // namespace packformer::tokenizer
