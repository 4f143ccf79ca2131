#include "tokenizer/pre_tokenizers.h"

#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {

void emit(const Piece& parent, size_t start, size_t end, Pieces& out) {
  if (end > start) out.push_back(Piece{parent.text.substr(start, end - start), parent.at_start && start == 0});
}

// Matches where each code point for which `predicate` holds is its own match.
template <typename Predicate>
void char_matches(const std::string& text, Predicate predicate, std::vector<Match>& matches) {
  matches.clear();
  size_t last = 0, pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const char32_t cp = next_code_point(text, pos);
    if (predicate(cp)) {
      if (last < start) matches.push_back({last, start, false});
      matches.push_back({start, pos, true});
      last = pos;
    }
  }
  if (last < text.size()) matches.push_back({last, text.size(), false});
}

template <typename Predicate>
void split_each(Pieces& pieces, Predicate predicate, SplitBehavior behavior) {
  Pieces out;
  out.reserve(pieces.size() * 2);
  std::vector<Match> matches;
  for (const Piece& piece : pieces) {
    char_matches(piece.text, predicate, matches);
    split_by_matches(piece, matches, behavior, out);
  }
  pieces = std::move(out);
}

}  // namespace

void split_by_matches(const Piece& piece, const std::vector<Match>& matches, SplitBehavior behavior, Pieces& out) {
  switch (behavior) {
    case SplitBehavior::Removed:
      for (const Match& m : matches)
        if (!m.is_match) emit(piece, m.start, m.end, out);
      return;
    case SplitBehavior::Isolated:
      for (const Match& m : matches) emit(piece, m.start, m.end, out);
      return;
    case SplitBehavior::Contiguous:
    case SplitBehavior::MergedWithPrevious: {
      // Fold left: a range joins the previous one when it continues a run (Contiguous) or is
      // a delimiter that follows a non-delimiter (MergedWithPrevious).
      std::vector<std::pair<size_t, size_t>> ranges;
      bool previous_match = false;
      for (const Match& m : matches) {
        const bool join = behavior == SplitBehavior::Contiguous ? m.is_match == previous_match
                                                                : (m.is_match && !previous_match);
        if (join && !ranges.empty()) ranges.back().second = m.end;
        else ranges.emplace_back(m.start, m.end);
        previous_match = m.is_match;
      }
      for (const auto& [s, e] : ranges) emit(piece, s, e, out);
      return;
    }
    case SplitBehavior::MergedWithNext: {
      std::vector<std::pair<size_t, size_t>> ranges;  // built right to left
      bool previous_match = false;
      for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
        if (it->is_match && !previous_match && !ranges.empty()) ranges.back().first = it->start;
        else ranges.emplace_back(it->start, it->end);
        previous_match = it->is_match;
      }
      for (auto it = ranges.rbegin(); it != ranges.rend(); ++it) emit(piece, it->first, it->second, out);
      return;
    }
  }
}

void BertPreTokenizer::pre_tokenize(Pieces& pieces) const {
  // Equivalent to splitting on whitespace (removed) and then on punctuation (isolated), in
  // one pass. A piece only counts as at_start if it starts at byte 0.
  Pieces out;
  out.reserve(pieces.size() * 4);
  for (const Piece& piece : pieces) {
    const std::string& text = piece.text;
    size_t word_start = 0, pos = 0;
    while (pos < text.size()) {
      const size_t start = pos;
      const auto byte = static_cast<unsigned char>(text[pos]);
      char32_t cp;
      if (byte < 0x80) {
        cp = byte;
        ++pos;
      } else {
        cp = next_code_point(text, pos);
      }
      if (is_whitespace(cp)) {
        emit(piece, word_start, start, out);
        word_start = pos;
      } else if (is_bert_punctuation(cp)) {
        emit(piece, word_start, start, out);
        emit(piece, start, pos, out);
        word_start = pos;
      }
    }
    emit(piece, word_start, text.size(), out);
  }
  pieces = std::move(out);
}

void WhitespacePreTokenizer::pre_tokenize(Pieces& pieces) const {
  Pieces out;
  out.reserve(pieces.size() * 4);
  for (const Piece& piece : pieces) {
    const std::string& text = piece.text;
    size_t run_start = 0, pos = 0;
    int run_kind = 0;  // 0 = whitespace, 1 = word, 2 = other
    while (pos < text.size()) {
      const size_t start = pos;
      const char32_t cp = next_code_point(text, pos);
      const int kind = is_word_char(cp) ? 1 : is_whitespace(cp) ? 0 : 2;
      if (kind != run_kind) {
        if (run_kind != 0) emit(piece, run_start, start, out);
        run_start = start;
        run_kind = kind;
      }
    }
    if (run_kind != 0) emit(piece, run_start, text.size(), out);
  }
  pieces = std::move(out);
}

void WhitespaceSplitPreTokenizer::pre_tokenize(Pieces& pieces) const {
  split_each(pieces, [](char32_t cp) { return is_whitespace(cp); }, SplitBehavior::Removed);
}

void PunctuationPreTokenizer::pre_tokenize(Pieces& pieces) const {
  split_each(pieces, [](char32_t cp) { return is_bert_punctuation(cp); }, behavior_);
}

void DigitsPreTokenizer::pre_tokenize(Pieces& pieces) const {
  split_each(pieces, [](char32_t cp) { return is_numeric(cp); },
             individual_digits_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
}

void CharDelimiterPreTokenizer::pre_tokenize(Pieces& pieces) const {
  const char32_t delimiter = delimiter_;
  split_each(pieces, [delimiter](char32_t cp) { return cp == delimiter; }, SplitBehavior::Removed);
}

void SplitPreTokenizer::pre_tokenize(Pieces& pieces) const {
  Pieces out;
  out.reserve(pieces.size() * 4);
  std::vector<std::pair<size_t, size_t>> found;
  std::vector<Match> matches;
  for (const Piece& piece : pieces) {
    const std::string& text = piece.text;
    found.clear();
    if (regex_) {
      regex_->find_all(text, found);
    } else if (!literal_.empty()) {
      for (size_t at = text.find(literal_); at != std::string::npos; at = text.find(literal_, at + literal_.size()))
        found.emplace_back(at, at + literal_.size());
    }
    matches.clear();
    size_t last = 0;
    for (const auto& [s, e] : found) {
      if (last < s) matches.push_back({last, s, invert_});
      matches.push_back({s, e, !invert_});
      last = e;
    }
    if (last < text.size()) matches.push_back({last, text.size(), invert_});
    split_by_matches(piece, matches, behavior_, out);
  }
  pieces = std::move(out);
}

MetaspacePreTokenizer::MetaspacePreTokenizer(char32_t replacement, PrependScheme scheme, bool split)
    : scheme_(scheme), split_(split) {
  append_utf8(replacement_, replacement);
}

void MetaspacePreTokenizer::pre_tokenize(Pieces& pieces) const {
  Pieces out;
  out.reserve(pieces.size() * 4);
  std::vector<Match> matches;
  for (const Piece& piece : pieces) {
    Piece replaced{std::string(), piece.at_start};
    std::string& text = replaced.text;
    text.reserve(piece.text.size() + 8);
    const bool starts_with_replacement = piece.text.starts_with(replacement_) ||
                                         (piece.text.starts_with(' '));
    if (!starts_with_replacement &&
        (scheme_ == PrependScheme::Always || (scheme_ == PrependScheme::First && piece.at_start)))
      text.append(replacement_);
    for (char c : piece.text) {
      if (c == ' ') text.append(replacement_);
      else text.push_back(c);
    }
    if (!split_) {
      if (!text.empty()) out.push_back(std::move(replaced));
      continue;
    }
    matches.clear();
    size_t last = 0;
    for (size_t at = text.find(replacement_); at != std::string::npos; at = text.find(replacement_, at + replacement_.size())) {
      if (last < at) matches.push_back({last, at, false});
      matches.push_back({at, at + replacement_.size(), true});
      last = at + replacement_.size();
    }
    if (last < text.size()) matches.push_back({last, text.size(), false});
    split_by_matches(replaced, matches, SplitBehavior::MergedWithNext, out);
  }
  pieces = std::move(out);
}

}  // namespace packformer::tokenizer
