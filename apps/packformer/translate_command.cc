// translate: source texts in (lines, or JSON arrays of source ids with --ids), the new
// sequences out, one line per source, for encoder-decoder models (Marian, BART). The search
// options are generate's (generation_cli.h).
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

struct TranslateOptions {
  GenerationCliOptions common;
  std::string text;
  bool max_new_tokens_given = false;
};

void run_translate(TranslateOptions& options) {
  GenerationCliOptions& o = options.common;
  o.finish();
  if (!options.text.empty() && o.ids) fail(ErrorKind::InvalidInput, "--text is text; it cannot be combined with --ids");
  if (!options.text.empty() && !o.input.empty()) fail(ErrorKind::InvalidInput, "give either --text or --input, not both");
  auto generator = o.load();
  if (!generator->is_encoder_decoder())
    fail(ErrorKind::Unsupported, o.model + ": model_type '" + generator->model_type() +
                                     "' is not an encoder-decoder model: use `packformer generate`");
  // As transformers' generate for these models (max_length = the positions), a translation
  // may fill the decoder unless --max-new-tokens says otherwise.
  if (!options.max_new_tokens_given) o.generation.max_new_tokens = generator->max_positions();
  const std::vector<std::string> lines =
      options.text.empty() ? read_lines(o.input) : std::vector<std::string>{options.text};
  if (lines.empty())
    fail(ErrorKind::InvalidInput, "no sources: " + (o.input.empty() ? std::string("stdin") : "--input " + o.input) + " is empty");

  std::vector<std::vector<int32_t>> sources;
  for (size_t i = 0; i < lines.size(); ++i) {
    sources.push_back(o.ids ? parse_id_array(lines[i], i + 1) : generator->tokenizer().encode(lines[i]).ids);
    check_input_line(*generator, sources.back(), o.generation.max_new_tokens,
                     options.text.empty() ? "line " + std::to_string(i + 1) : std::string("--text"));
  }
  write_generated(*generator, sources, o);
}

}  // namespace

void register_translate_command(CLI::App& app) {
  auto o = std::make_shared<TranslateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "translate", "source texts -> translations with an encoder-decoder model (Marian, BART): a JSON string per line");
  o->common.add_to(cmd, "source texts");
  cmd->add_option("--text", o->text, "a single source text instead of --input");
  cmd->callback([o, cmd] {
    o->max_new_tokens_given = cmd->get_option("--max-new-tokens")->count() > 0;
    run_translate(*o);
  });
}

}  // namespace packformer::cli
