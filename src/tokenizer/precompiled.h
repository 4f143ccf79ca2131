// The Precompiled normalizer: sentencepiece's compiled character map (a darts-clone double
// array over UTF-8 bytes plus a blob of NUL-terminated replacements), as XLM-R and T5
// tokenizer.json files ship it base64-encoded in "precompiled_charsmap".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/normalizers.h"

namespace packformer::tokenizer {

class PrecompiledNormalizer final : public Normalizer {
 public:
  // `charsmap` is the decoded blob; throws InvalidModel naming `where` when it is malformed.
  PrecompiledNormalizer(std::string_view charsmap, const std::string& where);
  void normalize(std::string& text) const override;

 private:
  // Replacement for the shortest prefix of `chunk` found in the map, if any. Shortest, and a
  // prefix rather than the whole chunk, on purpose: that is what HF's implementation does.
  std::optional<std::string_view> transform(std::string_view chunk) const;

  std::vector<uint32_t> units_;
  std::string replacements_;
};

// Decodes standard base64 (with or without padding); throws InvalidModel naming `where`.
std::string base64_decode(std::string_view text, const std::string& where);

}  // namespace packformer::tokenizer
