#include "tokenizer/wordpiece.h"

#include "packformer/error.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {

WordPieceModel::WordPieceModel(Vocab vocab, std::string unk_token, std::string continuing_subword_prefix,
                               size_t max_input_chars_per_word)
    : vocab_(std::move(vocab)), unk_token_(std::move(unk_token)), prefix_(std::move(continuing_subword_prefix)),
      max_input_chars_per_word_(max_input_chars_per_word) {
  unk_id_ = vocab_.find(unk_token_);
  vocab_.for_each([&](const std::string& token, int32_t id) {
    initial_.insert(token, id);
    if (prefix_.empty()) continuations_.insert(token, id);
    else if (token.starts_with(prefix_)) continuations_.insert(std::string_view(token).substr(prefix_.size()), id);
  });
}

int32_t WordPieceModel::unk_id() const {
  if (!unk_id_) fail(ErrorKind::InvalidModel, "WordPiece: unk_token '" + unk_token_ + "' is not in the vocabulary");
  return *unk_id_;
}

void WordPieceModel::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  if (count_code_points(word) > max_input_chars_per_word_) {
    ids.push_back(unk_id());
    return;
  }
  const size_t first = ids.size();
  size_t start = 0;
  while (start < word.size()) {
    // The longest vocabulary piece starting here; tokens are whole UTF-8 sequences, so a
    // match always ends on a character boundary, as HF's char-by-char shortening does.
    size_t length = 0;
    const int32_t id = (start == 0 ? initial_ : continuations_).longest_prefix(word.substr(start), length);
    if (id == ByteTrie::kNone) {
      ids.resize(first);
      ids.push_back(unk_id());
      return;
    }
    ids.push_back(id);
    start += length;
  }
}

}  // namespace packformer::tokenizer
