#pragma once

#include <filesystem>
#include <string>

#include "loader/json_file.h"
#include "models/encoder_model.h"

namespace packformer {

bool is_bert_family(const std::string& model_type);
// config.json -> EncoderConfig, every field type- and range-checked (no weights read).
EncoderConfig parse_bert_config(const JsonFile& config_json, const std::string& model_type);

}  // namespace packformer
