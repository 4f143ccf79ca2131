#include "loader/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/half.h"
#include "loader/mapped_file.h"
#include "packformer/error.h"

namespace packformer {
namespace {

struct DTypeEntry {
  const char* name;
  DType dtype;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {"F64", DType::F64, 8}, {"F32", DType::F32, 4}, {"F16", DType::F16, 2},
    {"BF16", DType::BF16, 2}, {"I64", DType::I64, 8}, {"I32", DType::I32, 4},
    {"I16", DType::I16, 2}, {"I8", DType::I8, 1}, {"U8", DType::U8, 1},
    {"BOOL", DType::BOOL, 1},
};

[[noreturn]] void invalid(const std::filesystem::path& path, const std::string& why) {
  fail(ErrorKind::InvalidModel, path.string() + ": " + why);
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

template <typename T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

}  // namespace

const char* dtype_name(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry.name;
  return "?";
}

size_t dtype_size(DType dtype) {
  for (const auto& entry : kDTypes)
    if (entry.dtype == dtype) return entry.size;
  return 0;
}

int64_t TensorInfo::element_count() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : path_(path), file_(std::make_shared<const MappedFile>(path)) {
  parse_header();
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& name, std::shared_ptr<const MappedFile> bytes)
    : path_(name), file_(std::move(bytes)) {
  parse_header();
}

SafetensorsFile SafetensorsFile::from_memory(const uint8_t* data, uint64_t size, const std::string& name) {
  return SafetensorsFile(name, std::make_shared<const MappedFile>(data, size));
}

SafetensorsFile::~SafetensorsFile() = default;
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;

void SafetensorsFile::parse_header() {
  const uint64_t file_size = file_->size();
  if (file_size < 8)
    invalid(path_, "file is " + std::to_string(file_size) + " bytes; a safetensors file starts with an 8-byte header length");
  const uint64_t header_size = read_u64_le(file_->data());
  if (header_size > kMaxHeaderBytes)
    invalid(path_, "header length " + std::to_string(header_size) + " exceeds the limit of " +
                       std::to_string(kMaxHeaderBytes) + " bytes");
  if (header_size > file_size - 8)
    invalid(path_, "header length " + std::to_string(header_size) + " runs past the end of the file (" +
                       std::to_string(file_size) + " bytes): the file is truncated or not safetensors");
  data_start_ = 8 + header_size;
  const uint64_t data_size = file_size - data_start_;

  const char* header_begin = reinterpret_cast<const char*>(file_->data() + 8);
  // nlohmann's lexer takes a NUL byte for the end of input and would ignore whatever follows.
  if (std::memchr(header_begin, '\0', header_size) != nullptr)
    invalid(path_, "header is not valid JSON: it contains a NUL byte");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_begin, header_begin + header_size);
  } catch (const nlohmann::json::exception& e) {
    invalid(path_, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) invalid(path_, "header must be a JSON object");
  if (header.size() > kMaxTensors) invalid(path_, "header lists more than " + std::to_string(kMaxTensors) + " tensors");

  std::vector<const TensorInfo*> by_offset;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) invalid(path_, "__metadata__ must be an object of strings");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) invalid(path_, "__metadata__." + key + " must be a string");
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "': ";
    if (!entry.is_object()) invalid(path_, where + "entry must be an object");
    TensorInfo info;
    info.name = name;

    const auto dtype_it = entry.find("dtype");
    if (dtype_it == entry.end() || !dtype_it->is_string()) invalid(path_, where + "missing string field 'dtype'");
    const std::string dtype = dtype_it->get<std::string>();
    const auto known = std::find_if(std::begin(kDTypes), std::end(kDTypes),
                                    [&](const DTypeEntry& e) { return dtype == e.name; });
    if (known == std::end(kDTypes)) invalid(path_, where + "unknown dtype '" + dtype + "'");
    info.dtype = known->dtype;

    const auto shape_it = entry.find("shape");
    if (shape_it == entry.end() || !shape_it->is_array()) invalid(path_, where + "missing array field 'shape'");
    if (shape_it->size() > 8) invalid(path_, where + "shape has more than 8 dimensions");
    uint64_t elements = 1;
    for (const auto& dim : *shape_it) {
      if (!dim.is_number_unsigned()) invalid(path_, where + "shape dimensions must be non-negative integers");
      const uint64_t d = dim.get<uint64_t>();
      // Every partial product, in bytes, must fit int64 (element_count() and the byte spans
      // are signed): a zero later in the shape does not excuse an overflow before it.
      constexpr uint64_t kMaxBytes = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      if (d > kMaxBytes || (d != 0 && elements > kMaxBytes / d / known->size))
        invalid(path_, where + "shape " + shape_it->dump() + " overflows");
      elements *= d;
      info.shape.push_back(static_cast<int64_t>(d));
    }

    const auto offsets_it = entry.find("data_offsets");
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
        !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned())
      invalid(path_, where + "'data_offsets' must be [begin, end] with non-negative integers");
    info.begin = (*offsets_it)[0].get<uint64_t>();
    info.end = (*offsets_it)[1].get<uint64_t>();
    if (info.begin > info.end) invalid(path_, where + "data_offsets begin > end");
    if (info.end > data_size)
      invalid(path_, where + "data_offsets end " + std::to_string(info.end) + " is past the end of the data (" +
                         std::to_string(data_size) + " bytes): the file is truncated");
    if (info.end - info.begin != elements * known->size)
      invalid(path_, where + "shape " + shape_it->dump() + " of " + dtype + " needs " +
                         std::to_string(elements * known->size) + " bytes but data_offsets span " +
                         std::to_string(info.end - info.begin));
    by_offset.push_back(&tensors_.emplace(name, std::move(info)).first->second);
  }

  // The data section must be covered exactly: no gaps, no overlaps, nothing after the end.
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected = 0;
  for (const TensorInfo* info : by_offset) {
    if (info->begin < expected) invalid(path_, "tensor '" + info->name + "' overlaps another tensor's bytes");
    if (info->begin > expected)
      invalid(path_, "tensor '" + info->name + "' starts at byte " + std::to_string(info->begin) +
                         ", leaving a gap after byte " + std::to_string(expected));
    expected = info->end;
  }
  if (expected != data_size)
    invalid(path_, "data section is " + std::to_string(data_size) + " bytes but the tensors cover " +
                       std::to_string(expected));
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const uint8_t* SafetensorsFile::data(const TensorInfo& info) const {
  return file_->data() + data_start_ + info.begin;
}

std::vector<float> SafetensorsFile::to_f32(const TensorInfo& info) const {
  const size_t n = static_cast<size_t>(info.element_count());
  const uint8_t* p = data(info);
  std::vector<float> out(n);
  switch (info.dtype) {
    case DType::F32: if (n > 0) std::memcpy(out.data(), p, n * 4); break;  // memcpy(nullptr, .., 0) is UB
    case DType::F16: for (size_t i = 0; i < n; ++i) out[i] = half_to_float(load<uint16_t>(p + 2 * i)); break;
    case DType::BF16: for (size_t i = 0; i < n; ++i) out[i] = bfloat16_to_float(load<uint16_t>(p + 2 * i)); break;
    case DType::F64: for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load<double>(p + 8 * i)); break;
    default: {
      const std::vector<int64_t> ints = to_i64(info);
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(ints[i]);
    }
  }
  return out;
}

std::vector<int64_t> SafetensorsFile::to_i64(const TensorInfo& info) const {
  const size_t n = static_cast<size_t>(info.element_count());
  const uint8_t* p = data(info);
  std::vector<int64_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    switch (info.dtype) {
      case DType::I64: out[i] = load<int64_t>(p + 8 * i); break;
      case DType::I32: out[i] = load<int32_t>(p + 4 * i); break;
      case DType::I16: out[i] = load<int16_t>(p + 2 * i); break;
      case DType::I8: out[i] = load<int8_t>(p + i); break;
      case DType::U8:
      case DType::BOOL: out[i] = p[i]; break;
      default: invalid(path_, "tensor '" + info.name + "': expected an integer dtype, got " + dtype_name(info.dtype));
    }
  }
  return out;
}

}  // namespace packformer
