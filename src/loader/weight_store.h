// All tensors of a model folder: model.safetensors, or the shards listed by
// model.safetensors.index.json. Lookups accept names with or without the architecture
// prefix ("bert.", "roberta.") that task-specific checkpoints add.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "loader/float_tensor.h"
#include "loader/safetensors.h"

namespace packformer {

class WeightStore {
 public:
  static constexpr size_t kMaxShards = 10'000;

  explicit WeightStore(const std::filesystem::path& model_dir);

  bool contains(const std::string& name) const { return resolve(name) != nullptr; }
  // The stored shape of a tensor; empty when the tensor is absent.
  std::vector<int64_t> shape(const std::string& name) const;
  // The tensor as fp32, checked against the expected shape.
  std::vector<float> get(const std::string& name, const std::vector<int64_t>& shape) const;
  // The same without a copy where the file allows: a view into the mapped file for aligned
  // little-endian F32 (outliving the store), else the converted values.
  FloatTensor tensor(const std::string& name, const std::vector<int64_t>& shape) const;
  std::vector<std::string> names() const;

 private:
  struct Location {
    const SafetensorsFile* file;
    const TensorInfo* info;
  };
  const Location* resolve(const std::string& name) const;
  // The tensor's location after checking its shape and dtype (F32, F16 or BF16).
  const Location& checked(const std::string& name, const std::vector<int64_t>& shape) const;

  std::filesystem::path dir_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, Location> by_name_;  // canonical names: prefixes removed
};

}  // namespace packformer
