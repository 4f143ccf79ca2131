// Each CLI command family lives in its own file and registers its subcommands here.
// Callbacks run during parsing; a packformer::Error they throw becomes `error: ...` in main.
#pragma once

#include <CLI/CLI.hpp>

namespace packformer::cli {

void register_model_commands(CLI::App& app);     // embed, classify, hidden
void register_tokenize_commands(CLI::App& app);  // tokenize, detokenize
void register_bench_command(CLI::App& app);      // bench
void register_synth_command(CLI::App& app);      // synth
void register_similarity_command(CLI::App& app); // similarity
void register_generate_command(CLI::App& app);   // generate
void register_translate_command(CLI::App& app);  // translate
void register_serve_command(CLI::App& app);      // serve

}  // namespace packformer::cli
