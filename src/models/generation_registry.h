// Picks the generation model (a StepModel) for a model folder from config.json's
// `model_type`. Encoder-decoder architectures register here too.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "generation/step_model.h"

namespace packformer {

struct GenerationModel {
  std::unique_ptr<StepModel> model;
  std::string model_type;
  std::vector<int32_t> eos_token_ids;  // the folder's default (may be empty)
};

GenerationModel load_generation_model(const std::filesystem::path& dir);

}  // namespace packformer
