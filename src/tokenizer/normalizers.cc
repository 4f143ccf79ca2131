#include "tokenizer/normalizers.h"

#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {

bool is_bert_whitespace(char32_t cp) { return cp == '\t' || cp == '\n' || cp == '\r' || is_whitespace(cp); }

bool is_bert_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  return is_other(cp);
}

}  // namespace

void BertNormalizer::normalize(std::string& text) const {
  std::string out;
  out.reserve(text.size() + 8);
  // Pass 1: clean control characters and pad CJK ideographs (one loop, same order as HF).
  size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {  // ASCII fast path
      ++pos;
      if (clean_text_) {
        if (byte == 0 || (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7F) continue;
        if (byte == '\t' || byte == '\n' || byte == '\r') {
          out.push_back(' ');
          continue;
        }
      }
      out.push_back(static_cast<char>(byte));
      continue;
    }
    const char32_t cp = next_code_point(text, pos);
    if (clean_text_) {
      if (cp == kReplacementChar || is_bert_control(cp)) continue;
      if (is_bert_whitespace(cp)) {
        out.push_back(' ');
        continue;
      }
    }
    if (handle_chinese_chars_ && is_chinese_char(cp)) {
      out.push_back(' ');
      append_utf8(out, cp);
      out.push_back(' ');
      continue;
    }
    append_utf8(out, cp);
  }
  // Pass 2: accents (NFD, then drop Mn).
  if (strip_accents_) {
    std::string decomposed = normalize_unicode(out, NormalizationForm::NFD);
    out.clear();
    pos = 0;
    while (pos < decomposed.size()) {
      const size_t start = pos;
      const char32_t cp = next_code_point(decomposed, pos);
      if (!is_mark_nonspacing(cp)) out.append(decomposed, start, pos - start);
    }
  }
  if (lowercase_) {
    text.clear();
    pos = 0;
    while (pos < out.size()) {
      const auto byte = static_cast<unsigned char>(out[pos]);
      if (byte < 0x80) {
        text.push_back(static_cast<char>(byte >= 'A' && byte <= 'Z' ? byte + 32 : byte));
        ++pos;
        continue;
      }
      append_lowercase(text, next_code_point(out, pos));
    }
  } else {
    text = std::move(out);
  }
}

void LowercaseNormalizer::normalize(std::string& text) const {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) append_lowercase(out, next_code_point(text, pos));
  text = std::move(out);
}

void StripNormalizer::normalize(std::string& text) const {
  size_t begin = 0, end = text.size();
  if (left_) {
    while (begin < end) {
      size_t p = begin;
      if (!is_whitespace(next_code_point(text, p))) break;
      begin = p;
    }
  }
  if (right_) {
    while (end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
      size_t p = start;
      if (!is_whitespace(next_code_point(text, p))) break;
      end = start;
    }
  }
  text = text.substr(begin, end - begin);
}

void StripAccentsNormalizer::normalize(std::string& text) const {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    if (!is_mark(next_code_point(text, pos))) out.append(text, start, pos - start);
  }
  text = std::move(out);
}

std::string ReplaceNormalizer::apply(const std::string& text) const {
  std::string out;
  if (regex_) {
    std::vector<std::pair<size_t, size_t>> matches;
    regex_->find_all(text, matches);
    size_t last = 0;
    for (const auto& [start, end] : matches) {
      out.append(text, last, start - last);
      out.append(content_);
      last = end;
    }
    out.append(text, last, std::string::npos);
    return out;
  }
  if (literal_.empty()) return text;
  size_t last = 0;
  for (size_t at = text.find(literal_); at != std::string::npos; at = text.find(literal_, last)) {
    out.append(text, last, at - last);
    out.append(content_);
    last = at + literal_.size();
  }
  out.append(text, last, std::string::npos);
  return out;
}

void ReplaceNormalizer::normalize(std::string& text) const { text = apply(text); }

}  // namespace packformer::tokenizer
