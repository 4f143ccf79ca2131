#include "tokenizer/precompiled.h"

#include <array>
#include <cstring>

#include "packformer/error.h"
#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace packformer::tokenizer {
namespace {

// darts-clone unit layout.
inline bool unit_has_leaf(uint32_t unit) { return (unit >> 8) & 1; }
inline uint32_t unit_value(uint32_t unit) { return unit & ((1U << 31) - 1); }
inline uint32_t unit_label(uint32_t unit) { return unit & ((1U << 31) | 0xFF); }
inline uint32_t unit_offset(uint32_t unit) { return (unit >> 10) << ((unit & (1U << 9)) >> 6); }

}  // namespace

std::string base64_decode(std::string_view text, const std::string& where) {
  static const auto table = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const int8_t v = table[static_cast<unsigned char>(c)];
    if (v < 0) fail(ErrorKind::InvalidModel, where + ": invalid base64");
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

PrecompiledNormalizer::PrecompiledNormalizer(std::string_view charsmap, const std::string& where) {
  if (charsmap.size() < 4) fail(ErrorKind::InvalidModel, where + ": precompiled_charsmap is too short");
  uint32_t trie_bytes;
  std::memcpy(&trie_bytes, charsmap.data(), 4);  // little-endian on every supported target
  if (trie_bytes % 4 != 0 || trie_bytes > charsmap.size() - 4 || trie_bytes == 0)
    fail(ErrorKind::InvalidModel, where + ": precompiled_charsmap has an invalid trie size");
  units_.resize(trie_bytes / 4);
  std::memcpy(units_.data(), charsmap.data() + 4, trie_bytes);
  replacements_ = std::string(charsmap.substr(4 + trie_bytes));
  if (!is_valid_utf8(replacements_))
    fail(ErrorKind::InvalidModel, where + ": precompiled_charsmap replacements are not UTF-8");
}

std::optional<std::string_view> PrecompiledNormalizer::transform(std::string_view chunk) const {
  size_t node = unit_offset(units_[0]);
  for (char ch : chunk) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) break;
    node ^= c;
    if (node >= units_.size()) return std::nullopt;
    const uint32_t unit = units_[node];
    if (unit_label(unit) != c) return std::nullopt;
    node ^= unit_offset(unit);
    if (node >= units_.size()) return std::nullopt;
    if (unit_has_leaf(unit)) {
      const size_t begin = unit_value(units_[node]);
      if (begin >= replacements_.size()) return std::nullopt;
      const size_t end = replacements_.find('\0', begin);
      return std::string_view(replacements_).substr(begin, (end == std::string::npos ? replacements_.size() : end) - begin);
    }
  }
  return std::nullopt;
}

void PrecompiledNormalizer::normalize(std::string& text) const {
  std::string out;
  out.reserve(text.size() + 8);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t length = grapheme_length(text, pos);
    const std::string_view grapheme(text.data() + pos, length);
    pos += length;
    if (length < 6) {
      if (auto replacement = transform(grapheme)) {
        out.append(*replacement);
        continue;
      }
    }
    for (size_t i = 0; i < grapheme.size();) {
      const size_t n = utf8_length(static_cast<unsigned char>(grapheme[i]));
      const std::string_view part = grapheme.substr(i, n);
      if (auto replacement = transform(part)) out.append(*replacement);
      else out.append(part);
      i += n;
    }
  }
  text = std::move(out);
}

}  // namespace packformer::tokenizer
