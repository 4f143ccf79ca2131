// WordPiece: greedy longest-match-first over the vocabulary; pieces after the first carry
// the continuing-subword prefix ("##"). A word that cannot be covered, or longer than
// max_input_chars_per_word code points, becomes the unknown token.
#pragma once

#include "tokenizer/byte_trie.h"
#include "tokenizer/model.h"
#include "tokenizer/vocab.h"

namespace packformer::tokenizer {

class WordPieceModel final : public Model {
 public:
  WordPieceModel(Vocab vocab, std::string unk_token, std::string continuing_subword_prefix,
                 size_t max_input_chars_per_word);
  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override { return vocab_.find(token); }
  const std::string* id_to_token(int32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return vocab_.size(); }

 private:
  int32_t unk_id() const;

  Vocab vocab_;
  // Greedy longest match is a longest-prefix search: one trie for word-initial pieces, one
  // for continuation pieces keyed without their prefix.
  ByteTrie initial_, continuations_;
  std::string unk_token_;
  std::optional<int32_t> unk_id_;
  std::string prefix_;
  size_t max_input_chars_per_word_;
};

}  // namespace packformer::tokenizer
