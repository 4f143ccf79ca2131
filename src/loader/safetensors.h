// A validating reader for the safetensors format: an 8-byte little-endian header length, a
// JSON header mapping names to {dtype, shape, data_offsets}, then the raw tensor bytes.
// Every rule of the format is checked before any tensor byte is touched, because model files
// come from the internet.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace packformer {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets relative to the start of the data section
  uint64_t end = 0;
  int64_t element_count() const;
};

class MappedFile;

class SafetensorsFile {
 public:
  // Largest JSON header accepted (the reference implementation uses the same bound).
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;
  static constexpr size_t kMaxTensors = 1'000'000;

  explicit SafetensorsFile(const std::filesystem::path& path);
  // The same checks on `size` bytes already in memory, which must outlive the object;
  // `name` stands for the file in error messages.
  static SafetensorsFile from_memory(const uint8_t* data, uint64_t size, const std::string& name);
  ~SafetensorsFile();
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;

  const std::filesystem::path& path() const { return path_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* find(const std::string& name) const;

  // Raw bytes of a tensor inside the mapping.
  const uint8_t* data(const TensorInfo& info) const;
  // The mapping itself: views into it keep it alive.
  const std::shared_ptr<const MappedFile>& mapping() const { return file_; }
  // The tensor converted to fp32 (F32, F16, BF16, F64 and integer types).
  std::vector<float> to_f32(const TensorInfo& info) const;
  // The tensor converted to int64 (integer types only).
  std::vector<int64_t> to_i64(const TensorInfo& info) const;

 private:
  SafetensorsFile(const std::filesystem::path& name, std::shared_ptr<const MappedFile> bytes);
  void parse_header();

  std::filesystem::path path_;
  std::shared_ptr<const MappedFile> file_;
  uint64_t data_start_ = 0;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace packformer
