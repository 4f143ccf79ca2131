// GPT-2 byte-level pieces: the byte <-> printable-character table and the ByteLevel
// pre-tokenizer. Its split regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// is hand-written in byte_level.cc: it runs on every word.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "tokenizer/pre_tokenizers.h"

namespace packformer::tokenizer {

// UTF-8 of the printable code point GPT-2 maps each byte to.
const std::array<std::string, 256>& byte_to_unicode();
// Inverse of byte_to_unicode(): the byte for a code point, or -1 if it is not in the table.
int unicode_to_byte(char32_t cp);

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}
  void pre_tokenize(Pieces& pieces) const override;

 private:
  bool add_prefix_space_, use_regex_;
};

// Maps each byte of `text` to its GPT-2 character (the ByteLevel normalizer/pre-tokenizer step).
std::string bytes_to_unicode_string(std::string_view text);

}  // namespace packformer::tokenizer
