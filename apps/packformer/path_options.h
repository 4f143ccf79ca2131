// Options shared by every command that runs the encoder: --path slow|fast, --sparsity on|off
// and --max-memory SIZE.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "memory_size.h"
#include "packformer/encoder.h"

namespace packformer::cli {

struct PathOptions {
  std::string path = "fast";
  std::string sparsity = "on";
  std::string max_memory;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--path", path, "execution path")->check(CLI::IsMember({"slow", "fast"}))->capture_default_str();
    cmd->add_option("--sparsity", sparsity, "fast path: skip padding tokens")
        ->check(CLI::IsMember({"on", "off"}))
        ->capture_default_str();
    cmd->add_option("--max-memory", max_memory,
                    "most memory one batch may use for activations, e.g. 4G or 512M; a batch needing more is "
                    "refused before allocating (default: half of physical RAM)");
  }
  RunOptions run_options() const { return {path == "slow" ? ExecutionPath::Slow : ExecutionPath::Fast, sparsity == "on"}; }
  EncoderOptions encoder_options(int threads, bool load_tokenizer = true) const {
    EncoderOptions options;
    options.threads = threads;
    options.load_tokenizer = load_tokenizer;
    options.max_memory_bytes = parse_memory_size(max_memory);
    return options;
  }
};

}  // namespace packformer::cli
