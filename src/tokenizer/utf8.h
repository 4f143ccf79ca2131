// UTF-8 helpers. Tokenizer input is bytes: anything that is not well-formed UTF-8 is replaced
// by U+FFFD once per maximal ill-formed subpart (the Unicode-recommended practice, which is
// also what Python's bytes.decode(errors="replace") does), so goldens made in Python agree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace packformer::tokenizer {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// True when `text` is well-formed UTF-8 (no surrogates, no overlongs, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Returns `text` with every ill-formed subpart replaced by U+FFFD.
std::string sanitize_utf8(std::string_view text);

// Decodes the code point at `pos` of well-formed UTF-8 and advances `pos` past it.
inline char32_t next_code_point(std::string_view text, size_t& pos) {
  const auto b0 = static_cast<unsigned char>(text[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  if (b0 < 0xE0) {
    char32_t cp = ((b0 & 0x1F) << 6) | (static_cast<unsigned char>(text[pos + 1]) & 0x3F);
    pos += 2;
    return cp;
  }
  if (b0 < 0xF0) {
    char32_t cp = ((b0 & 0x0F) << 12) | ((static_cast<unsigned char>(text[pos + 1]) & 0x3F) << 6) |
                  (static_cast<unsigned char>(text[pos + 2]) & 0x3F);
    pos += 3;
    return cp;
  }
  char32_t cp = ((b0 & 0x07) << 18) | ((static_cast<unsigned char>(text[pos + 1]) & 0x3F) << 12) |
                ((static_cast<unsigned char>(text[pos + 2]) & 0x3F) << 6) |
                (static_cast<unsigned char>(text[pos + 3]) & 0x3F);
  pos += 4;
  return cp;
}

// Byte length of the UTF-8 sequence that starts with `lead` (1 for stray bytes).
inline size_t utf8_length(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Number of code points in well-formed UTF-8.
inline size_t count_code_points(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace packformer::tokenizer
