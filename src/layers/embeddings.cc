#include "layers/embeddings.h"

#include <algorithm>

namespace packformer {

Embeddings::Embeddings(FloatTensor word, FloatTensor position, FloatTensor token_type, LayerNorm norm,
                       int64_t first_position)
    : word_(std::move(word)),
      position_(std::move(position)),
      token_type_(std::move(token_type)),
      norm_(std::move(norm)),
      first_position_(first_position) {}

void Embeddings::forward(const EncoderInput& input, const BatchRows& rows, float* x) const {
  const int64_t h = norm_.size();
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < rows.batch; ++b) {
    const auto& ids = input.ids[b];
    const int64_t len = static_cast<int64_t>(ids.size());
    float* first = x + rows.row_start[b] * h;
    for (int64_t t = 0; t < len; ++t) {
      float* row = first + t * h;
      const float* word = word_.data() + static_cast<int64_t>(ids[t]) * h;
      const float* pos = position_.data() + (first_position_ + t) * h;
      const int64_t type = input.type_ids.empty() ? 0 : input.type_ids[b][t];
      const float* type_row = token_type_.empty() ? nullptr : token_type_.data() + type * h;
      for (int64_t i = 0; i < h; ++i) row[i] = word[i] + pos[i] + (type_row ? type_row[i] : 0.0f);
      norm_.forward_row(row, row);
    }
    std::fill(first + len * h, first + rows.query_rows[b] * h, 0.0f);
  }
}

}  // namespace packformer
