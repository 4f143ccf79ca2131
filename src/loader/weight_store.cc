#include "loader/weight_store.h"

#include <bit>
#include <set>

#include "loader/json_file.h"
#include "packformer/error.h"

namespace packformer {
namespace {

// Prefixes that *ForSequenceClassification (and similar) checkpoints put before the base
// model's weight names.
constexpr const char* kPrefixes[] = {"bert.", "roberta.", "model."};

std::string canonical_name(const std::string& name) {
  for (const char* prefix : kPrefixes) {
    const std::string p(prefix);
    if (name.rfind(p, 0) == 0) return name.substr(p.size());
  }
  return name;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

WeightStore::WeightStore(const std::filesystem::path& model_dir) : dir_(model_dir) {
  const auto single = model_dir / "model.safetensors";
  const auto index = model_dir / "model.safetensors.index.json";
  std::vector<std::filesystem::path> shards;
  if (std::filesystem::exists(single)) {
    shards.push_back(single);
  } else if (std::filesystem::exists(index)) {
    const JsonFile index_file(index);
    const auto& map = index_file.root().find("weight_map");
    if (map == index_file.root().end() || !map->is_object())
      index_file.invalid("weight_map", "expected an object mapping tensor names to shard files");
    std::set<std::string> shard_names;
    for (const auto& [tensor, shard] : map->items()) {
      if (!shard.is_string()) index_file.invalid("weight_map." + tensor, "expected a file name");
      const std::string file = shard.get<std::string>();
      if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos || file == ".." ||
          file == ".")
        index_file.invalid("weight_map." + tensor, "shard '" + file + "' must be a file name inside the model folder");
      shard_names.insert(file);
    }
    if (shard_names.empty()) index_file.invalid("weight_map", "lists no shards");
    if (shard_names.size() > kMaxShards) index_file.invalid("weight_map", "lists too many shards");
    for (const auto& name : shard_names) shards.push_back(model_dir / name);
  } else {
    fail(ErrorKind::InvalidModel, model_dir.string() + ": no model.safetensors or model.safetensors.index.json found " +
                                      "(packformer reads safetensors checkpoints; convert .bin files with " +
                                      "transformers' save_pretrained(safe_serialization=True))");
  }
  files_.reserve(shards.size());
  for (const auto& shard : shards) files_.emplace_back(shard);
  for (const auto& file : files_) {
    for (const auto& [name, info] : file.tensors()) {
      const std::string key = canonical_name(name);
      if (!by_name_.emplace(key, Location{&file, &info}).second)
        fail(ErrorKind::InvalidModel, file.path().string() + ": tensor '" + name + "' appears twice in the checkpoint");
    }
  }
}

const WeightStore::Location* WeightStore::resolve(const std::string& name) const {
  const auto it = by_name_.find(canonical_name(name));
  return it == by_name_.end() ? nullptr : &it->second;
}

const WeightStore::Location& WeightStore::checked(const std::string& name, const std::vector<int64_t>& shape) const {
  const Location* location = resolve(name);
  if (location == nullptr)
    fail(ErrorKind::InvalidModel, dir_.string() + ": missing weight '" + name + "' in the checkpoint");
  if (location->info->shape != shape)
    fail(ErrorKind::InvalidModel, location->file->path().string() + ": weight '" + location->info->name +
                                      "' has shape " + shape_string(location->info->shape) + ", expected " +
                                      shape_string(shape) + " from config.json");
  const DType dtype = location->info->dtype;
  if (dtype != DType::F32 && dtype != DType::F16 && dtype != DType::BF16)
    fail(ErrorKind::Unsupported, location->file->path().string() + ": weight '" + location->info->name +
                                     "' has dtype " + dtype_name(dtype) + "; expected F32, F16 or BF16");
  return *location;
}

std::vector<float> WeightStore::get(const std::string& name, const std::vector<int64_t>& shape) const {
  const Location& location = checked(name, shape);
  return location.file->to_f32(*location.info);
}

FloatTensor WeightStore::tensor(const std::string& name, const std::vector<int64_t>& shape) const {
  const Location& location = checked(name, shape);
  const uint8_t* bytes = location.file->data(*location.info);
  // safetensors does not promise alignment: a misaligned F32 tensor is copied instead.
  const bool aligned = reinterpret_cast<uintptr_t>(bytes) % alignof(float) == 0;
  static_assert(std::endian::native == std::endian::little, "views read the file's little-endian floats as they are");
  if (location.info->dtype == DType::F32 && aligned)
    return FloatTensor(location.file->mapping(), reinterpret_cast<const float*>(bytes),
                       static_cast<size_t>(location.info->element_count()));
  return FloatTensor(location.file->to_f32(*location.info));
}

std::vector<int64_t> WeightStore::shape(const std::string& name) const {
  const Location* location = resolve(name);
  return location == nullptr ? std::vector<int64_t>{} : location->info->shape;
}

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  for (const auto& [name, location] : by_name_) out.push_back(name);
  return out;
}

}  // namespace packformer
