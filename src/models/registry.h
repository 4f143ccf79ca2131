// Picks the architecture file for a model folder from config.json's `model_type`.
#pragma once

#include <filesystem>

#include "models/encoder_model.h"

namespace packformer {

EncoderModel load_encoder_model(const std::filesystem::path& dir);

// Architecture files without a header of their own.
class JsonFile;
EncoderModel load_distilbert(const std::filesystem::path& dir, const JsonFile& config_json);  // distilbert.cc

}  // namespace packformer
