#include "models/embeddings.h"

namespace packformer {

void embedding_sum(const EncoderModel& model, int32_t id, int64_t position, int32_t type_id, float* out) {
  const int64_t h = model.config.hidden_size;
  const float* word = model.weights.word_embeddings.data() + static_cast<int64_t>(id) * h;
  const float* pos = model.weights.position_embeddings.data() + position * h;
  const float* type = model.weights.token_type_embeddings.empty()
                          ? nullptr
                          : model.weights.token_type_embeddings.data() + static_cast<int64_t>(type_id) * h;
  for (int64_t i = 0; i < h; ++i) out[i] = word[i] + pos[i] + (type ? type[i] : 0.0f);
}

}  // namespace packformer
