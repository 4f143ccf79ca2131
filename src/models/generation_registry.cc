#include "models/generation_registry.h"

#include "loader/json_file.h"
#include "models/bert.h"
#include "models/gpt2.h"
#include "packformer/error.h"

namespace packformer {

GenerationModel load_generation_model(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail(ErrorKind::InvalidModel, dir.string() + ": model folder not found");
  const JsonFile config(dir / "config.json");
  const std::string model_type = config.get_string("model_type");
  GenerationModel loaded;
  loaded.model_type = model_type;
  if (is_gpt2(model_type)) {
    auto model = std::make_unique<Gpt2Model>(dir, config);
    loaded.eos_token_ids = model->config().eos_token_ids;
    loaded.model = std::move(model);
    return loaded;
  }
  const std::string where = (dir / "config.json").string() + ": field 'model_type': '" + model_type + "' ";
  if (is_bert_family(model_type))
    fail(ErrorKind::Unsupported, where + "is an encoder; it cannot generate text (generation supports: gpt2)");
  fail(ErrorKind::Unsupported, where + "is not a supported generation model (supported: gpt2)");
}

}  // namespace packformer
