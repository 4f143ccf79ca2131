// --device cpu|cuda|cuda:N and --dtype fp32|fp16|bf16, shared by every command that loads an
// encoder. The library checks the values (clear errors for a build without CUDA, a machine
// without a GPU, or fp16 on the CPU).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "packformer/encoder.h"

namespace packformer::cli {

struct DeviceOptions {
  std::string device = "cpu";
  std::string dtype = "fp32";

  void add_to(CLI::App* cmd) {
    cmd->add_option("--device", device, "where the fast path runs: cpu | cuda | cuda:N")->capture_default_str();
    cmd->add_option("--dtype", dtype, "fast-path precision: fp32 | fp16 | bf16 (fp16/bf16 need --device cuda)")
        ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))
        ->capture_default_str();
  }
  // `options` (from PathOptions) with the device and dtype set.
  EncoderOptions apply_to(EncoderOptions options) const {
    options.device = device;
    options.dtype = dtype;
    return options;
  }
};

}  // namespace packformer::cli
