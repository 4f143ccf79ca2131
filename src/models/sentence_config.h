// sentence-transformers folders: modules.json lists the modules; 1_Pooling/config.json
// says how token embeddings become one sentence embedding; sentence_bert_config.json holds
// max_seq_length.
#pragma once

#include <filesystem>

#include "models/encoder_model.h"

namespace packformer {

SentencePooling load_sentence_config(const std::filesystem::path& dir, int64_t hidden_size);

}  // namespace packformer
