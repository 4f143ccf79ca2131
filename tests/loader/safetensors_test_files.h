// Test helpers that write safetensors files byte by byte: a raw form (any header string, any
// data bytes, so tests can build broken files) and a checked form from a list of tensors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loader/safetensors.h"
#include "test_util.h"

namespace packformer::test {

// 8-byte little-endian `header_length`, then `header`, then `data`. `header_length` is
// normally header.size(); tests that lie about it pass another value.
inline std::string safetensors_bytes(const std::string& header, const std::string& data, uint64_t header_length) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header_length >> (8 * i)) & 0xff));
  return out + header + data;
}

inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return safetensors_bytes(header, data, header.size());
}

inline void write_safetensors(const std::filesystem::path& path, const std::string& header, const std::string& data) {
  write_file(path, safetensors_bytes(header, data));
}

// Raw little-endian bytes of a vector of trivially copyable values (x86 and ARM are both
// little-endian, as the format requires).
template <typename T>
std::string le_bytes(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

struct WriterTensor {
  std::string name;
  std::string dtype;  // "F32", "I64", ...
  std::vector<int64_t> shape;
  std::string bytes;
};

// A valid file: tensors laid out back to back in the order given.
inline void write_tensors(const std::filesystem::path& path, const std::vector<WriterTensor>& tensors,
                          const std::map<std::string, std::string>& metadata = {}) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string data;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  write_safetensors(path, header.dump(), data);
}

// Every tensor of an existing file, in offset order, with its raw bytes.
inline std::vector<WriterTensor> read_tensors(const SafetensorsFile& file) {
  std::vector<const TensorInfo*> infos;
  for (const auto& [name, info] : file.tensors()) infos.push_back(&info);
  std::sort(infos.begin(), infos.end(), [](const TensorInfo* a, const TensorInfo* b) { return a->begin < b->begin; });
  std::vector<WriterTensor> out;
  for (const TensorInfo* info : infos)
    out.push_back({info->name, dtype_name(info->dtype), info->shape,
                   std::string(reinterpret_cast<const char*>(file.data(*info)), info->end - info->begin)});
  return out;
}

// Rewrites `path` without the tensor `name`; returns false (file unchanged) when it has none.
inline bool drop_tensor(const std::filesystem::path& path, const std::string& name) {
  std::vector<WriterTensor> tensors = read_tensors(SafetensorsFile(path));
  const auto it = std::find_if(tensors.begin(), tensors.end(), [&](const WriterTensor& t) { return t.name == name; });
  if (it == tensors.end()) return false;
  tensors.erase(it);
  write_tensors(path, tensors, {{"format", "pt"}});
  return true;
}

}  // namespace packformer::test
