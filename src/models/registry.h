// The one registry of architectures: config.json's `model_type` -> the family file that loads
// it, for encoders, decoders and encoder-decoders alike. Adding a family is one file in
// src/models/, its loader's declaration below and one line in registry.cc; error messages list
// what this table holds.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "models/encoder_model.h"
#include "models/generation_registry.h"

namespace packformer {

class JsonFile;

enum class ModelKind { Encoder, Decoder, EncoderDecoder };

struct Architecture {
  std::string_view model_type;
  ModelKind kind;
  // Exactly one is set: encoders load an EncoderModel, the others a generation model.
  EncoderModel (*load_encoder)(const std::filesystem::path& dir, const JsonFile& config_json);
  GenerationModel (*load_generator)(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype);
};

std::span<const Architecture> architectures();
// Null when model_type is not in the registry.
const Architecture* find_architecture(std::string_view model_type);
// "bert, roberta, ..." for the architectures that can encode (encoder = true) or generate.
std::string supported_model_types(bool encoder);

EncoderModel load_encoder_model(const std::filesystem::path& dir);

// Family loaders the table points to, for files without a header of their own.
EncoderModel load_bert_model(const std::filesystem::path& dir, const JsonFile& config_json);  // bert.cc
EncoderModel load_distilbert(const std::filesystem::path& dir, const JsonFile& config_json);  // distilbert.cc
EncoderModel load_mpnet(const std::filesystem::path& dir, const JsonFile& config_json);       // mpnet.cc
GenerationModel load_gpt2_generator(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype);     // gpt2.cc
GenerationModel load_llama_generator(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype);    // llama.cc
GenerationModel load_seq2seq_generator(const std::filesystem::path& dir, const JsonFile& config_json, Precision dtype);  // seq2seq.cc

}  // namespace packformer
