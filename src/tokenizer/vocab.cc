#include "tokenizer/vocab.h"

namespace packformer::tokenizer {

void Vocab::add(std::string token, int32_t id) {
  if (id < 0) return;
  if (static_cast<size_t>(id) >= tokens_.size()) {
    tokens_.resize(static_cast<size_t>(id) + 1);
    present_.resize(static_cast<size_t>(id) + 1, false);
  }
  tokens_[id] = token;
  present_[id] = true;
  map_[std::move(token)] = id;
}

}  // namespace packformer::tokenizer
