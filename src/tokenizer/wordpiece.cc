#include "tokenizer/wordpiece.h"

#include <algorithm>

#include "packformer/error.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {

WordPieceModel::WordPieceModel(Vocab vocab, std::string unk_token, std::string continuing_subword_prefix,
                               size_t max_input_chars_per_word)
    : vocab_(std::move(vocab)), unk_token_(std::move(unk_token)), prefix_(std::move(continuing_subword_prefix)),
      max_input_chars_per_word_(max_input_chars_per_word) {
  unk_id_ = vocab_.find(unk_token_);
  vocab_.for_each([&](const std::string& token, int32_t id) {
    max_token_bytes_ = std::max(max_token_bytes_, token.size());
    if (!prefix_.empty() && token.starts_with(prefix_)) continuations_[token.substr(prefix_.size())] = id;
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
    size_t end = std::min(word.size(), start + max_token_bytes_);
    // Never cut inside a code point.
    while (end > start && end < word.size() && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
    std::optional<int32_t> found;
    while (end > start) {
      const std::string_view piece = word.substr(start, end - start);
      if (start == 0 || prefix_.empty()) {
        found = vocab_.find(piece);
      } else {
        auto it = continuations_.find(piece);
        if (it != continuations_.end()) found = it->second;
      }
      if (found) break;
      --end;
      while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
    }
    if (!found) {
      ids.resize(first);
      ids.push_back(unk_id());
      return;
    }
    ids.push_back(*found);
    start = end;
  }
}

}  // namespace packformer::tokenizer
