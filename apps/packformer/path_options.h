// --path slow|fast and --sparsity on|off, shared by every command that runs the encoder.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "packformer/encoder.h"

namespace packformer::cli {

struct PathOptions {
  std::string path = "fast";
  std::string sparsity = "on";

  void add_to(CLI::App* cmd) {
    cmd->add_option("--path", path, "execution path")->check(CLI::IsMember({"slow", "fast"}))->capture_default_str();
    cmd->add_option("--sparsity", sparsity, "fast path: skip padding tokens")
        ->check(CLI::IsMember({"on", "off"}))
        ->capture_default_str();
  }
  RunOptions run_options() const { return {path == "slow" ? ExecutionPath::Slow : ExecutionPath::Fast, sparsity == "on"}; }
};

}  // namespace packformer::cli
