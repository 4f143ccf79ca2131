// Each CLI command family lives in its own file and registers its subcommands here.
// Callbacks run during parsing; a packformer::Error they throw becomes `error: ...` in main.
#pragma once

#include <CLI/CLI.hpp>

namespace packformer::cli {

void register_model_commands(CLI::App& app);     // embed, classify, hidden
void register_tokenize_commands(CLI::App& app);  // tokenize, detokenize

}  // namespace packformer::cli
