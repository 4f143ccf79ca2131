#include "models/sentence_config.h"

#include "loader/json_file.h"
#include "packformer/error.h"

namespace packformer {
namespace {

PoolingMode read_pooling_mode(const JsonFile& pooling) {
  struct Flag {
    const char* key;
    PoolingMode mode;
  };
  const Flag flags[] = {{"pooling_mode_cls_token", PoolingMode::Cls},
                        {"pooling_mode_mean_tokens", PoolingMode::Mean},
                        {"pooling_mode_max_tokens", PoolingMode::Max},
                        {"pooling_mode_mean_sqrt_len_tokens", PoolingMode::MeanSqrtLen}};
  int count = 0;
  PoolingMode mode = PoolingMode::Mean;
  for (const Flag& flag : flags) {
    if (pooling.get_bool(flag.key, false)) {
      mode = flag.mode;
      ++count;
    }
  }
  if (pooling.has("pooling_mode")) {  // newer configs may name the mode directly
    const std::string name = pooling.get_string("pooling_mode");
    if (name == "cls") mode = PoolingMode::Cls;
    else if (name == "mean") mode = PoolingMode::Mean;
    else if (name == "max") mode = PoolingMode::Max;
    else if (name == "mean_sqrt_len_tokens") mode = PoolingMode::MeanSqrtLen;
    else fail(ErrorKind::Unsupported, pooling.path().string() + ": pooling_mode '" + name + "' is not supported");
    return mode;
  }
  if (count != 1)
    fail(ErrorKind::Unsupported, pooling.path().string() +
                                     ": exactly one pooling mode (cls, mean, max, mean_sqrt_len) must be true; "
                                     "concatenated or weighted poolings are not supported");
  return mode;
}

// config_sentence_transformers.json's "prompts" ({name: text}) and "default_prompt_name",
// which sentence-transformers' encode() applies when the caller names no prompt.
void read_prompts(const std::filesystem::path& path, SentencePooling& sentence) {
  if (!std::filesystem::exists(path)) return;
  const JsonFile config(path);
  if (config.has("prompts")) {
    const nlohmann::json& prompts = config.root()["prompts"];
    if (!prompts.is_object()) config.invalid("prompts", "expected an object of prompt name -> text");
    for (const auto& [name, text] : prompts.items()) {
      if (!text.is_string()) config.invalid("prompts", "prompt '" + name + "' must be a string");
      sentence.prompts[name] = text.get<std::string>();
    }
  }
  if (config.has("default_prompt_name")) {
    sentence.default_prompt_name = config.get_string("default_prompt_name");
    if (!sentence.prompts.contains(sentence.default_prompt_name))
      config.invalid("default_prompt_name", "'" + sentence.default_prompt_name + "' is not one of the prompts");
  }
}

}  // namespace

SentencePooling load_sentence_config(const std::filesystem::path& dir, int64_t hidden_size) {
  SentencePooling sentence;
  const auto modules_path = dir / "modules.json";
  if (!std::filesystem::exists(modules_path)) return sentence;
  const JsonFile modules(modules_path, /*require_object=*/false);
  if (!modules.root().is_array()) fail(ErrorKind::InvalidModel, modules_path.string() + ": expected a JSON array of modules");
  sentence.present = true;
  std::filesystem::path pooling_dir;
  for (const auto& module : modules.root()) {
    if (!module.is_object() || !module.contains("type") || !module["type"].is_string())
      fail(ErrorKind::InvalidModel, modules_path.string() + ": each module needs a string 'type'");
    const std::string type = module["type"].get<std::string>();
    const std::string path = module.contains("path") && module["path"].is_string() ? module["path"].get<std::string>() : "";
    if (type.ends_with("models.Transformer")) continue;
    if (type.ends_with("models.Pooling")) pooling_dir = dir / path;
    else if (type.ends_with("models.Normalize")) sentence.normalize = true;
    else
      fail(ErrorKind::Unsupported, modules_path.string() + ": module type '" + type +
                                       "' is not supported (supported: Transformer, Pooling, Normalize)");
  }
  if (!pooling_dir.empty()) {
    const JsonFile pooling(pooling_dir / "config.json");
    const int64_t dim = pooling.get_int("word_embedding_dimension", 1, 1 << 20, hidden_size);
    if (dim != hidden_size)
      pooling.invalid("word_embedding_dimension", "is " + std::to_string(dim) + " but the model's hidden_size is " +
                                                      std::to_string(hidden_size));
    sentence.mode = read_pooling_mode(pooling);
    sentence.include_prompt = pooling.get_bool("include_prompt", true);
  }
  read_prompts(dir / "config_sentence_transformers.json", sentence);
  const auto bert_config = dir / "sentence_bert_config.json";
  if (std::filesystem::exists(bert_config))
    sentence.max_seq_length = JsonFile(bert_config).get_int("max_seq_length", 1, 1 << 20, 0);
  return sentence;
}

}  // namespace packformer
