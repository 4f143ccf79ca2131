// Picks the generation model (a StepModel) for a model folder from config.json's
// `model_type`. Encoder-decoder architectures register here too.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "generation/step_model.h"
#include "packformer/device.h"

namespace packformer {

struct GenerationModel {
  std::unique_ptr<StepModel> model;
  std::string model_type;
  bool encoder_decoder = false;
  int64_t input_vocab_size = 0;  // ids a prompt / source may hold
  // The folder's defaults (may be empty / -1 = none).
  std::vector<int32_t> eos_token_ids;
  int32_t forced_bos_token_id = -1, forced_eos_token_id = -1;
  std::vector<int32_t> bad_token_ids;
};

// dtype: the precision of the model's Linear layers (fp32, bf16 or int8).
GenerationModel load_generation_model(const std::filesystem::path& dir, Precision dtype = Precision::F32);

}  // namespace packformer
