#include "tokenizer/byte_level.h"

#include <vector>

#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {

// Printable bytes map to themselves; the others, in byte order, to U+0100 onwards.
std::array<char32_t, 256> make_byte_table() {
  std::array<char32_t, 256> table{};
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    table[b] = printable ? static_cast<char32_t>(b) : next++;
  }
  return table;
}

const std::array<char32_t, 256>& byte_table() {
  static const auto table = make_byte_table();
  return table;
}

enum CharClass : uint8_t { kSpace, kLetter, kNumber, kOther };

inline CharClass classify(char32_t cp) {
  if (is_whitespace(cp)) return kSpace;
  if (is_letter(cp)) return kLetter;
  if (is_number(cp)) return kNumber;
  return kOther;
}

struct Decoded {
  size_t start;
  char32_t cp;
  CharClass cls;
};

}  // namespace

const std::array<std::string, 256>& byte_to_unicode() {
  static const auto strings = [] {
    std::array<std::string, 256> out;
    for (int b = 0; b < 256; ++b) append_utf8(out[b], byte_table()[b]);
    return out;
  }();
  return strings;
}

int unicode_to_byte(char32_t cp) {
  static const auto inverse = [] {
    std::array<int16_t, 512> out;
    out.fill(-1);
    for (int b = 0; b < 256; ++b) out[byte_table()[b]] = static_cast<int16_t>(b);
    return out;
  }();
  return cp < inverse.size() ? inverse[cp] : -1;
}

std::string bytes_to_unicode_string(std::string_view text) {
  const auto& table = byte_to_unicode();
  std::string out;
  out.reserve(text.size() * 2);
  for (char c : text) out.append(table[static_cast<unsigned char>(c)]);
  return out;
}

template <typename Emit>
void gpt2_split(std::string_view text, Emit&& emit) {
  // Decode once; the matcher then works on code points with their classes.
  thread_local std::vector<Decoded> chars;
  chars.clear();
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t cp = next_code_point(text, pos);
    chars.push_back({start, cp, classify(cp)});
  }
  const size_t n = chars.size();
  auto offset = [&](size_t i) { return i < n ? chars[i].start : text.size(); };
  auto run = [&](size_t i, CharClass cls) {
    while (i < n && chars[i].cls == cls) ++i;
    return i;
  };
  size_t i = 0;
  while (i < n) {
    const char32_t cp = chars[i].cp;
    size_t end = 0;
    if (cp == '\'' && i + 1 < n) {
      const char32_t c1 = chars[i + 1].cp;
      const char32_t c2 = i + 2 < n ? chars[i + 2].cp : 0;
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') end = i + 2;
      else if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) end = i + 3;
    }
    if (end == 0) {
      const bool space_prefix = cp == ' ' && i + 1 < n && chars[i + 1].cls != kSpace;
      const size_t body = space_prefix ? i + 1 : i;
      const CharClass cls = chars[body].cls;
      if (cls != kSpace) {
        end = run(body, cls);
      } else {
        const size_t space_end = run(i, kSpace);
        if (space_end == n || space_end - i == 1) end = space_end;  // \s+ at the end, or a lone \s
        else end = space_end - 1;  // \s+(?!\S): leave the last one to prefix the next word
      }
    }
    emit(offset(i), offset(end));
    i = end;
  }
}

void ByteLevelPreTokenizer::pre_tokenize(Pieces& pieces) const {
  Pieces out;
  out.reserve(pieces.size() * 4);
  std::string prefixed;
  for (const Piece& piece : pieces) {
    const std::string* text = &piece.text;
    if (add_prefix_space_ && !piece.text.starts_with(' ')) {
      prefixed.clear();  // not assign(" "): GCC 12 warns -Wrestrict falsely there (GCC bug 105329)
      prefixed.push_back(' ');
      prefixed.append(piece.text);
      text = &prefixed;
    }
    if (!use_regex_) {
      if (!text->empty()) out.push_back(Piece{bytes_to_unicode_string(*text), piece.at_start});
      continue;
    }
    gpt2_split(*text, [&](size_t start, size_t end) {
      out.push_back(Piece{bytes_to_unicode_string(std::string_view(*text).substr(start, end - start)),
                          piece.at_start && start == 0});
    });
  }
  pieces = std::move(out);
}

}  // namespace packformer::tokenizer
