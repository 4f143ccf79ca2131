// A compiled PCRE2 regular expression (UTF + Unicode properties, JIT when available), used by
// the Split pre-tokenizer and the Replace normalizer/decoder. Hugging Face uses Oniguruma; the
// patterns tokenizer.json files ship (GPT-2/GPT-4 style) mean the same in both.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace packformer::tokenizer {

class Regex {
 public:
  // Throws packformer::Error (InvalidModel) naming `where` when `pattern` does not compile.
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Byte ranges [start, end) of all non-overlapping, non-empty matches, left to right.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& matches) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Widens \p{L} and \p{N} in `pattern` with the code points Oniguruma (HF's regex engine,
// newer Unicode) counts as letters/numbers and PCRE2 does not, so both engines agree.
std::string widen_unicode_classes(const std::string& pattern);

// Escapes `literal` so that it matches itself in a PCRE2 pattern.
std::string regex_escape(std::string_view literal);

}  // namespace packformer::tokenizer
