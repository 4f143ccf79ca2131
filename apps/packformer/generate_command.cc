// generate: prompts in (text lines, or JSON arrays of ids with --ids), new tokens out, one line
// per prompt. A single text prompt is streamed: its text is printed as tokens arrive.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "generation_cli.h"
#include "json_lines.h"
#include "line_io.h"
#include "packformer/error.h"
#include "packformer/generator.h"
#include "packformer/tokenizer.h"

namespace packformer::cli {
namespace {

struct GenerateOptions {
  GenerationCliOptions common;
  std::string prompt;
};

// Prints a single prompt's text as it grows; a token that ends inside a UTF-8 character waits
// for the next one (the decoded text then ends with U+FFFD).
class TextStream {
 public:
  explicit TextStream(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  void add(int32_t token) {
    ids_.push_back(token);
    const std::string text = tokenizer_.decode(ids_, true);
    if (text.size() >= 3 && text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0) return;
    flush(text);
  }
  void finish() {
    flush(tokenizer_.decode(ids_, true));
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

 private:
  // Prints what is new. Byte-level decoding only appends; should a decoder ever rewrite text
  // already printed, nothing more is printed rather than a garbled line.
  void flush(const std::string& text) {
    if (text.size() > printed_.size() && text.compare(0, printed_.size(), printed_) == 0) {
      std::fwrite(text.data() + printed_.size(), 1, text.size() - printed_.size(), stdout);
      std::fflush(stdout);
      printed_ = text;
    }
  }
  const Tokenizer& tokenizer_;
  std::vector<int32_t> ids_;
  std::string printed_;
};

void run_generate(GenerateOptions& options) {
  GenerationCliOptions& o = options.common;
  o.finish();
  if (!options.prompt.empty() && o.ids) fail(ErrorKind::InvalidInput, "--prompt is text; it cannot be combined with --ids");
  if (!options.prompt.empty() && !o.input.empty()) fail(ErrorKind::InvalidInput, "give either --prompt or --input, not both");
  auto generator = o.load();
  // An encoder-decoder model does not continue its input: it produces a new sequence.
  if (generator->is_encoder_decoder())
    fail(ErrorKind::Unsupported, o.model + ": model_type '" + generator->model_type() +
                                      "' is an encoder-decoder model: use `packformer translate`");
  const std::vector<std::string> lines =
      options.prompt.empty() ? read_lines(o.input) : std::vector<std::string>{options.prompt};
  if (lines.empty())
    fail(ErrorKind::InvalidInput, "no prompts: " + (o.input.empty() ? std::string("stdin") : "--input " + o.input) + " is empty");

  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < lines.size(); ++i) {
    prompts.push_back(o.ids ? parse_id_array(lines[i], i + 1) : generator->tokenizer().encode(lines[i]).ids);
    check_input_line(*generator, prompts.back(), o.generation.max_new_tokens,
                     options.prompt.empty() ? "line " + std::to_string(i + 1) : std::string("--prompt"));
  }

  const bool stream = !o.ids && prompts.size() == 1 && o.generation.num_return_sequences == 1 && o.output.empty();
  if (stream) {
    TextStream text(generator->tokenizer());
    generator->generate(prompts, o.generation, [&text](size_t, size_t, int32_t token) { text.add(token); });
    text.finish();
    return;
  }
  write_generated(*generator, prompts, o);
}

}  // namespace

void register_generate_command(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "generate", "prompts -> generated text (a JSON string per line; one prompt is streamed as plain text)");
  o->common.add_to(cmd, "prompts");
  cmd->add_option("--prompt", o->prompt, "a single text prompt instead of --input");
  cmd->callback([o] { run_generate(*o); });
}

}  // namespace packformer::cli
