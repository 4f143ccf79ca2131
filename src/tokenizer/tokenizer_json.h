// Reads a Hugging Face tokenizer.json into a PipelineTokenizer.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "tokenizer/pipeline.h"

namespace packformer::tokenizer {

// `name` is used in error messages ("tokenizer.json: model.vocab: expected an object").
std::unique_ptr<PipelineTokenizer> load_tokenizer_json(std::string_view json_text, const std::string& name);
std::unique_ptr<PipelineTokenizer> load_tokenizer_json_file(const std::filesystem::path& path);

}  // namespace packformer::tokenizer
