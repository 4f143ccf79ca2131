// Parsing of device and dtype names (host code, every build).
#include "packformer/device.h"

#include <cctype>

#include "packformer/error.h"

namespace packformer {

std::string Device::name() const { return kind == DeviceKind::Cpu ? "cpu" : "cuda:" + std::to_string(index); }

Device parse_device(const std::string& text) {
  const auto bad = [&] {
    fail(ErrorKind::InvalidInput, "device '" + text + "' is not one of: cpu, cuda, cuda:N (N = 0, 1, ...)");
  };
  if (text == "cpu") return {};
  if (text == "cuda") return {DeviceKind::Cuda, 0};
  if (text.rfind("cuda:", 0) != 0) bad();
  const std::string digits = text.substr(5);
  if (digits.empty() || digits.size() > 4) bad();
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) bad();
  return {DeviceKind::Cuda, std::stoi(digits)};
}

Precision parse_precision(const std::string& text) {
  if (text == "fp32" || text == "float32") return Precision::F32;
  if (text == "fp16" || text == "float16") return Precision::F16;
  if (text == "bf16" || text == "bfloat16") return Precision::BF16;
  if (text == "int8") return Precision::Int8;
  fail(ErrorKind::InvalidInput, "dtype '" + text + "' is not one of: fp32, fp16, bf16, int8");
}

const char* precision_name(Precision dtype) {
  switch (dtype) {
    case Precision::F32: return "fp32";
    case Precision::F16: return "fp16";
    case Precision::BF16: return "bf16";
    case Precision::Int8: return "int8";
  }
  return "?";
}

int precision_bytes(Precision dtype) {
  switch (dtype) {
    case Precision::F32: return 4;
    case Precision::F16:
    case Precision::BF16: return 2;
    case Precision::Int8: return 1;
  }
  return 4;
}

void check_precision_on(Precision dtype, DeviceKind device) {
  if (device == DeviceKind::Cpu && dtype == Precision::F16)
    fail(ErrorKind::InvalidInput, "dtype fp16 needs a CUDA device (--device cuda): the CPU computes in fp32, bf16 or int8");
  if (device == DeviceKind::Cuda && dtype == Precision::Int8)
    fail(ErrorKind::InvalidInput, "dtype int8 runs on the CPU only (--device cpu): CUDA computes in fp32, fp16 or bf16");
}

}  // namespace packformer
