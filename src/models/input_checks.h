// Small helpers shared by the models: growing scratch buffers and checking token ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packformer/error.h"

namespace packformer {

// Grows `buffer` to at least `size` elements and never shrinks it, so a planned workspace is
// allocated once for the largest call and reused after.
template <typename T>
void ensure_size(std::vector<T>& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
}

// Throws InvalidInput naming the input (`where()` gives e.g. "sequence 3: ", built only on
// error so that a valid call allocates nothing) and the position of the first id outside
// [0, vocab_size).
template <typename Where>
void check_ids_in_vocabulary(const std::vector<int32_t>& ids, int64_t vocab_size, const Where& where) {
  for (size_t t = 0; t < ids.size(); ++t)
    if (ids[t] < 0 || ids[t] >= vocab_size)
      fail(ErrorKind::InvalidInput, where() + "token id " + std::to_string(ids[t]) + " at position " +
                                        std::to_string(t) + " is outside the vocabulary [0, " +
                                        std::to_string(vocab_size) + ")");
}

}  // namespace packformer
