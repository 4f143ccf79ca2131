// packformer: the command-line front end. It only parses options and calls the public API.
#include <cstdio>
#include <exception>
#include <new>

#include "commands.h"
#include "option_bounds.h"
#include "packformer/error.h"

int main(int argc, char** argv) {
  CLI::App app{"packformer: fast Transformer inference on Hugging Face model folders"};
  app.require_subcommand(1);
  packformer::cli::register_model_commands(app);
  packformer::cli::register_tokenize_commands(app);
  packformer::cli::register_bench_command(app);
  packformer::cli::register_synth_command(app);
  packformer::cli::register_similarity_command(app);
  packformer::cli::register_generate_command(app);
  packformer::cli::register_translate_command(app);
  packformer::cli::register_serve_command(app);
  packformer::cli::check_integer_widths(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints the help and exits 0. Every other parse error (an unknown option, a value
    // that is not a number, a missing required option) is a bad option like those the commands
    // refuse themselves: the same one-line format and exit status.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "error: %s: %s (see --help)\n", packformer::error_kind_name(packformer::ErrorKind::InvalidInput),
                 e.what());
    return 1;
  } catch (const packformer::Error& e) {
    std::fprintf(stderr, "error: %s: %s\n", packformer::error_kind_name(e.kind()), e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal: %s\n", e.what());
    return 2;
  }
  return 0;
}
