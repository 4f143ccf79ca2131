// What `generate` and `translate` share: the model / input / output / batching options, every
// search option (greedy, sampling, beams), the per-line input checks, and writing one output
// line per input line.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "packformer/generator.h"

namespace packformer::cli {

struct GenerationCliOptions {
  std::string model, input, output;
  std::string early_stopping = "false";
  std::string max_memory;
  std::string dtype = "fp32";
  bool ids = false;
  int64_t batch_size = 8;
  int64_t threads = 0;  // wide, so that 2^31 gets the range error, not a conversion error
  GenerationOptions generation;

  // Registers --model, --input, --output, --ids, --batch-size, --threads, --max-memory, --dtype
  // and the search options.
  void add_to(CLI::App* cmd, const std::string& input_what);
  // Checks the values CLI11 cannot (ranges: option_bounds.h) and finishes `generation` (early stopping).
  void finish();
  // --threads, --max-memory, --dtype, and a tokenizer unless the inputs are ids.
  GeneratorLoadOptions load_options() const;
  // Generator::load with load_options(); one warning line on stderr when this CPU lacks the
  // instructions that make --dtype fast.
  std::unique_ptr<Generator> load() const;
};

// Throws InvalidInput starting with `where` ("line 3", "--prompt") when the model cannot take
// `ids` with `max_new_tokens` new tokens: empty, an id outside the vocabulary, too long for the
// positions (a decoder-only prompt needs len + max_new_tokens - 1 positions; an
// encoder-decoder source needs len encoder positions and max_new_tokens decoder positions).
void check_input_line(const Generator& generator, const std::vector<int32_t>& ids, int64_t max_new_tokens,
                      const std::string& where);

// Generates in batches of o.batch_size and writes a line per input: with --ids the new ids as
// a JSON array, else the decoded text as a JSON string; several returned sequences make a
// JSON array of them.
void write_generated(Generator& generator, const std::vector<std::vector<int32_t>>& inputs,
                     const GenerationCliOptions& o);

}  // namespace packformer::cli
