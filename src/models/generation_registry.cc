#include "models/generation_registry.h"

#include "loader/json_file.h"
#include "models/registry.h"
#include "packformer/error.h"

namespace packformer {

GenerationModel load_generation_model(const std::filesystem::path& dir, Precision dtype) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) fail(ErrorKind::InvalidModel, dir.string() + ": model folder not found");
  const JsonFile config(dir / "config.json");
  const std::string model_type = config.get_string("model_type");
  const Architecture* architecture = find_architecture(model_type);
  if (architecture && architecture->load_generator) {
    GenerationModel loaded = architecture->load_generator(dir, config, dtype);
    loaded.model_type = model_type;
    return loaded;
  }
  const std::string where = (dir / "config.json").string() + ": field 'model_type': '" + model_type + "' ";
  const std::string supported = "(generation supports: " + supported_model_types(false) + ")";
  if (architecture) fail(ErrorKind::Unsupported, where + "is an encoder; it cannot generate text " + supported);
  fail(ErrorKind::Unsupported, where + "is not a supported generation model " + supported);
}

}  // namespace packformer
