#include "models/registry.h"

#include "loader/json_file.h"
#include "models/bert.h"
#include "packformer/error.h"

namespace packformer {

EncoderModel load_encoder_model(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    fail(ErrorKind::InvalidModel, dir.string() + ": model folder not found");
  const JsonFile config(dir / "config.json");
  const std::string model_type = config.get_string("model_type");
  if (is_bert_family(model_type)) return load_bert_family(dir, config, model_type);
  if (model_type == "distilbert") return load_distilbert(dir, config);
  fail(ErrorKind::Unsupported, (dir / "config.json").string() + ": field 'model_type': '" + model_type +
                                   "' is not a supported encoder (supported: bert, roberta, xlm-roberta, distilbert)");
}

}  // namespace packformer
