// A tokenization model turns one pre-tokenized word into ids (tokenizer.json "model").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace packformer::tokenizer {

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of `word` (well-formed UTF-8, non-empty) to `ids`.
  virtual void tokenize(std::string_view word, std::vector<int32_t>& ids) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  // nullptr when `id` is not in the vocabulary.
  virtual const std::string* id_to_token(int32_t id) const = 0;
  virtual size_t vocab_size() const = 0;
};

}  // namespace packformer::tokenizer
