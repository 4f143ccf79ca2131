// Writes safetensors files tensor by tensor, so a multi-GB checkpoint never sits in memory:
// declare every tensor first (the header needs all offsets), then stream each one's values.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace packformer {

class SafetensorsWriter {
 public:
  // Fills `count` values starting at element `offset` of the tensor.
  using Fill = std::function<void(float* values, int64_t offset, int64_t count)>;

  void add(const std::string& name, std::vector<int64_t> shape, Fill fill);
  // Writes F32 tensors in the order added (safetensors sorts nothing; readers use offsets).
  void write(const std::filesystem::path& path, const std::function<void(int64_t done, int64_t total)>& progress = {}) const;

 private:
  struct Pending {
    std::string name;
    std::vector<int64_t> shape;
    Fill fill;
    int64_t count;
  };
  std::vector<Pending> tensors_;
};

}  // namespace packformer
