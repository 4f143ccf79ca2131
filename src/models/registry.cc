#include "models/registry.h"

#include <array>

#include "loader/json_file.h"
#include "packformer/error.h"

namespace packformer {
namespace {

constexpr std::array kArchitectures = {
    Architecture{"bert", ModelKind::Encoder, load_bert_model, nullptr},
    Architecture{"roberta", ModelKind::Encoder, load_bert_model, nullptr},
    Architecture{"xlm-roberta", ModelKind::Encoder, load_bert_model, nullptr},
    Architecture{"distilbert", ModelKind::Encoder, load_distilbert, nullptr},
    Architecture{"mpnet", ModelKind::Encoder, load_mpnet, nullptr},
    Architecture{"gpt2", ModelKind::Decoder, nullptr, load_gpt2_generator},
    Architecture{"llama", ModelKind::Decoder, nullptr, load_llama_generator},
    Architecture{"mistral", ModelKind::Decoder, nullptr, load_llama_generator},
    Architecture{"qwen2", ModelKind::Decoder, nullptr, load_llama_generator},
    Architecture{"qwen3", ModelKind::Decoder, nullptr, load_llama_generator},
    Architecture{"marian", ModelKind::EncoderDecoder, nullptr, load_seq2seq_generator},
    Architecture{"bart", ModelKind::EncoderDecoder, nullptr, load_seq2seq_generator},
};

}  // namespace

std::span<const Architecture> architectures() { return kArchitectures; }

const Architecture* find_architecture(std::string_view model_type) {
  for (const Architecture& a : kArchitectures)
    if (a.model_type == model_type) return &a;
  return nullptr;
}

std::string supported_model_types(bool encoder) {
  std::string out;
  for (const Architecture& a : kArchitectures) {
    if ((a.kind == ModelKind::Encoder) != encoder) continue;
    if (!out.empty()) out += ", ";
    out += a.model_type;
  }
  return out;
}

EncoderModel load_encoder_model(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    fail(ErrorKind::InvalidModel, dir.string() + ": model folder not found");
  const JsonFile config(dir / "config.json");
  const std::string model_type = config.get_string("model_type");
  const Architecture* architecture = find_architecture(model_type);
  if (architecture && architecture->load_encoder) return architecture->load_encoder(dir, config);
  const std::string why =
      !architecture ? ""
      : architecture->kind == ModelKind::EncoderDecoder ? " (it translates: use packformer translate)"
                                                          : " (it generates text: use packformer generate)";
  fail(ErrorKind::Unsupported, (dir / "config.json").string() + ": field 'model_type': '" + model_type +
                                   "' is not a supported encoder" + why +
                                   " (supported: " + supported_model_types(true) + ")");
}

}  // namespace packformer
