#pragma once

#include <cstdint>

namespace packformer {

// In-place softmax over each of `rows` rows of `n` values (max subtracted first).
void softmax_rows(float* x, int64_t rows, int64_t n);

}  // namespace packformer
