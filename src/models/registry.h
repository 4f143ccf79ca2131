// Picks the architecture file for a model folder from config.json's `model_type`.
#pragma once

#include <filesystem>

#include "models/encoder_model.h"

namespace packformer {

EncoderModel load_encoder_model(const std::filesystem::path& dir);

}  // namespace packformer
