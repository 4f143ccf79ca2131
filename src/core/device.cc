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
  fail(ErrorKind::InvalidInput, "dtype '" + text + "' is not one of: fp32, fp16, bf16");
}

const char* precision_name(Precision dtype) {
  switch (dtype) {
    case Precision::F32: return "fp32";
    case Precision::F16: return "fp16";
    case Precision::BF16: return "bf16";
  }
  return "?";
}

int precision_bytes(Precision dtype) { return dtype == Precision::F32 ? 4 : 2; }

}  // namespace packformer
