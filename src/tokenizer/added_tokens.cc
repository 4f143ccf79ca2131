#include "tokenizer/added_tokens.h"

#include <algorithm>

#include "tokenizer/normalizers.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {

// Code point that ends at `end` (exclusive) of well-formed UTF-8.
char32_t code_point_before(std::string_view text, size_t end, size_t* start_out = nullptr) {
  size_t start = end - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  if (start_out) *start_out = start;
  size_t p = start;
  return next_code_point(text, p);
}

}  // namespace

void AddedVocabulary::Matcher::add(const std::string& pattern, int32_t token_index) {
  if (pattern.empty()) return;
  trie_.insert(pattern, token_index);
  first_byte_[static_cast<unsigned char>(pattern[0])] = true;
}

bool AddedVocabulary::Matcher::find(std::string_view text, size_t from, size_t& start, size_t& end,
                                    int32_t& token_index) const {
  for (size_t i = from; i < text.size(); ++i) {
    if (!first_byte_[static_cast<unsigned char>(text[i])]) continue;
    size_t length = 0;
    const int32_t best = trie_.longest_prefix(text.substr(i), length);
    if (best != ByteTrie::kNone) {
      start = i;
      end = i + length;
      token_index = best;
      return true;
    }
  }
  return false;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer)
    : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    AddedToken& token = tokens_[i];
    by_id_[token.id] = i;
    token.decoded = token.content;
    if (token.special) special_contents_.insert(token.content);
    if (token.normalized) {
      std::string pattern = token.content;
      if (normalizer != nullptr) normalizer->normalize(pattern);
      normalized_matcher_.add(pattern, static_cast<int32_t>(i));
      token.decoded = pattern;
    } else {
      raw_matcher_.add(token.content, static_cast<int32_t>(i));
    }
  }
}

std::optional<int32_t> AddedVocabulary::find_by_content(std::string_view content) const {
  for (const AddedToken& token : tokens_)
    if (token.content == content) return token.id;
  return std::nullopt;
}

void AddedVocabulary::split(const Segment& segment, const Matcher& matcher, std::vector<Segment>& out) const {
  const std::string& text = segment.text;
  if (matcher.empty()) {
    out.push_back(segment);
    return;
  }
  size_t offset = 0;  // end of the last emitted piece
  size_t search = 0;
  size_t start, end;
  int32_t index;
  while (search < text.size() && matcher.find(text, search, start, end, index)) {
    search = end;
    const AddedToken& token = tokens_[index];
    if (token.single_word) {
      // Only whole words: no word character right before or right after.
      const bool before_ok = start == 0 || !is_word_char(code_point_before(text, start));
      size_t p = end;
      const bool after_ok = end == text.size() || !is_word_char(next_code_point(text, p));
      if (!before_ok || !after_ok) continue;
    }
    if (token.lstrip) {
      size_t s = start;
      while (s > 0) {
        size_t cp_start;
        if (!is_whitespace(code_point_before(text, s, &cp_start))) break;
        s = cp_start;
      }
      start = std::max(s, offset);
    }
    if (token.rstrip) {
      while (end < text.size()) {
        size_t p = end;
        if (!is_whitespace(next_code_point(text, p))) break;
        end = p;
      }
      search = end;
    }
    if (offset < start) out.push_back(Segment{text.substr(offset, start - offset), -1, segment.at_start && offset == 0});
    out.push_back(Segment{text.substr(start, end - start), token.id, segment.at_start && start == 0});
    offset = end;
  }
  if (offset < text.size()) out.push_back(Segment{text.substr(offset), -1, segment.at_start && offset == 0});
}

void AddedVocabulary::split_and_normalize(std::string_view text, const Normalizer* normalizer,
                                          std::vector<Segment>& out) const {
  thread_local std::vector<Segment> raw;
  raw.clear();
  split(Segment{std::string(text), -1, true}, raw_matcher_, raw);
  for (Segment& segment : raw) {
    if (segment.token_id >= 0) {
      out.push_back(std::move(segment));
      continue;
    }
    if (normalizer != nullptr) normalizer->normalize(segment.text);
    split(segment, normalized_matcher_, out);
  }
}

}  // namespace packformer::tokenizer
