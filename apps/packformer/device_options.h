// --device cpu|cuda|cuda:N and --dtype fp32|bf16|int8|fp16, shared by every command that
// loads an encoder. The library checks the values (clear errors for a build without CUDA, a
// machine without a GPU, fp16 on the CPU or int8 on CUDA).
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "packformer/device.h"
#include "packformer/encoder.h"

namespace packformer::cli {

// One line on stderr when the CPU lacks the instructions that make `dtype` fast (it still runs,
// correctly); nothing for fp32.
inline void warn_if_slow_on_this_cpu(const std::string& dtype) {
  const Precision precision = parse_precision(dtype);
  if (!cpu_has_fast(precision))
    std::cerr << "warning: this CPU lacks " << (precision == Precision::BF16 ? "AVX512_BF16" : "AVX-512")
              << ": --dtype " << dtype << " runs correctly but may be slower than fp32\n";
}

struct DeviceOptions {
  std::string device = "cpu";
  std::string dtype = "fp32";

  void add_to(CLI::App* cmd) {
    cmd->add_option("--device", device, "where the fast path runs: cpu | cuda | cuda:N")->capture_default_str();
    cmd->add_option("--dtype", dtype,
                    "fast-path precision: fp32 | bf16 | int8 (CPU) | fp16 (CUDA); the slow path is always fp32")
        ->check(CLI::IsMember({"fp32", "fp16", "bf16", "int8"}))
        ->capture_default_str();
  }
  // `options` (from PathOptions) with the device and dtype set.
  EncoderOptions apply_to(EncoderOptions options) const {
    options.device = device;
    options.dtype = dtype;
    return options;
  }
  // Loads the encoder with the device and dtype set; says so on stderr, in one line, when the
  // CPU lacks the instructions that make the chosen precision fast.
  std::unique_ptr<Encoder> load(const std::filesystem::path& model, const EncoderOptions& options) const {
    auto encoder = Encoder::load(model, apply_to(options));
    if (parse_device(device).kind == DeviceKind::Cpu) warn_if_slow_on_this_cpu(dtype);
    return encoder;
  }
};

}  // namespace packformer::cli
