// generate: prompts in (text lines, or JSON arrays of ids with --ids), new tokens out, one line
// per prompt. A single text prompt is streamed: its text is printed as tokens arrive.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "json_lines.h"
#include "line_io.h"
#include "packformer/error.h"
#include "packformer/generator.h"
#include "packformer/tokenizer.h"

namespace packformer::cli {
namespace {

struct GenerateOptions {
  std::string model, input, output, prompt;
  std::string early_stopping = "false";
  bool ids = false;
  int64_t batch_size = 8;
  int threads = 0;
  GenerationOptions generation;
};

EarlyStopping early_stopping_from(const std::string& value) {
  if (value == "true") return EarlyStopping::Stop;
  if (value == "never") return EarlyStopping::Never;
  return EarlyStopping::Heuristic;
}

// Prompts are checked here so that errors name the input line, not a batch position.
void check_prompt(const Generator& generator, const std::vector<int32_t>& ids, int64_t max_new_tokens, size_t line) {
  const std::string where = "line " + std::to_string(line) + ": ";
  if (ids.empty()) fail(ErrorKind::InvalidInput, where + "the prompt has no tokens");
  for (int32_t id : ids)
    if (id >= generator.vocab_size())
      fail(ErrorKind::InvalidInput, where + "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                        std::to_string(generator.vocab_size()) + ")");
  const int64_t needed = static_cast<int64_t>(ids.size()) + max_new_tokens - 1;
  if (needed > generator.max_positions())
    fail(ErrorKind::InvalidInput, where + "the prompt has " + std::to_string(ids.size()) + " tokens; with " +
                                      "--max-new-tokens " + std::to_string(max_new_tokens) + " it needs " +
                                      std::to_string(needed) + " positions but the model has " +
                                      std::to_string(generator.max_positions()));
}

std::string id_array(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

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

void run_generate(GenerateOptions& o) {
  if (o.model.empty()) fail(ErrorKind::InvalidInput, "--model DIR is required");
  if (o.batch_size < 1) fail(ErrorKind::InvalidInput, "--batch-size must be >= 1");
  if (!o.prompt.empty() && o.ids) fail(ErrorKind::InvalidInput, "--prompt is text; it cannot be combined with --ids");
  if (!o.prompt.empty() && !o.input.empty()) fail(ErrorKind::InvalidInput, "give either --prompt or --input, not both");
  o.generation.early_stopping = early_stopping_from(o.early_stopping);
  auto generator = Generator::load(o.model, {.threads = o.threads, .load_tokenizer = !o.ids});
  const std::vector<std::string> lines = o.prompt.empty() ? read_lines(o.input) : std::vector<std::string>{o.prompt};
  if (lines.empty()) fail(ErrorKind::InvalidInput, "no prompts: the input is empty");

  std::vector<std::vector<int32_t>> prompts;
  for (size_t i = 0; i < lines.size(); ++i) {
    prompts.push_back(o.ids ? parse_id_array(lines[i], i + 1) : generator->tokenizer().encode(lines[i]).ids);
    check_prompt(*generator, prompts.back(), o.generation.max_new_tokens, i + 1);
  }

  const bool stream = !o.ids && prompts.size() == 1 && o.generation.num_return_sequences == 1 && o.output.empty();
  if (stream) {
    TextStream text(generator->tokenizer());
    generator->generate(prompts, o.generation, [&text](size_t, size_t, int32_t token) { text.add(token); });
    text.finish();
    return;
  }
  OutputFile out(o.output);
  for (size_t first = 0; first < prompts.size(); first += static_cast<size_t>(o.batch_size)) {
    const size_t end = std::min(prompts.size(), first + static_cast<size_t>(o.batch_size));
    const std::vector<std::vector<int32_t>> batch(prompts.begin() + first, prompts.begin() + end);
    const GeneratedIds result = generator->generate(batch, o.generation);
    for (const auto& sequences : result) {
      // One sequence: its value; several: a JSON array of them.
      std::string line = sequences.size() > 1 ? "[" : "";
      for (size_t s = 0; s < sequences.size(); ++s) {
        if (s) line += ",";
        line += o.ids ? id_array(sequences[s]) : json_string(generator->tokenizer().decode(sequences[s], true));
      }
      if (sequences.size() > 1) line += "]";
      out.write_line(line);
    }
  }
}

}  // namespace

void register_generate_command(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  GenerationOptions& g = o->generation;
  CLI::App* cmd = app.add_subcommand(
      "generate", "prompts -> generated text (a JSON string per line; one prompt is streamed as plain text)");
  cmd->add_option("--model", o->model, "model folder (config.json, model.safetensors, tokenizer.json)")->required();
  cmd->add_option("--input", o->input, "prompts, one per line (default: stdin)");
  cmd->add_option("--output", o->output, "output file (default: stdout)");
  cmd->add_option("--prompt", o->prompt, "a single text prompt instead of --input");
  cmd->add_flag("--ids", o->ids, "prompts are JSON arrays of token ids; print JSON arrays of the new ids");
  cmd->add_option("--max-new-tokens", g.max_new_tokens, "tokens to generate at most")->capture_default_str();
  cmd->add_flag("--do-sample", g.do_sample, "sample instead of greedy / beam search");
  cmd->add_option("--temperature", g.temperature, "sampling temperature")->capture_default_str();
  cmd->add_option("--top-k", g.top_k, "sampling: keep the k most likely tokens (0 = off)")->capture_default_str();
  cmd->add_option("--top-p", g.top_p, "sampling: keep the most likely tokens up to this mass")->capture_default_str();
  cmd->add_option("--seed", g.seed, "sampling seed")->capture_default_str();
  cmd->add_option("--repetition-penalty", g.repetition_penalty, "penalise tokens already present")
      ->capture_default_str();
  cmd->add_option("--no-repeat-ngram-size", g.no_repeat_ngram_size, "never repeat an n-gram of this size (0 = off)")
      ->capture_default_str();
  cmd->add_option("--num-beams", g.num_beams, "beam search with this many beams (1 = off)")->capture_default_str();
  cmd->add_option("--length-penalty", g.length_penalty, "beam search: score / length ** penalty")
      ->capture_default_str();
  cmd->add_option("--early-stopping", o->early_stopping, "beam search: false, true or never")
      ->check(CLI::IsMember({"false", "true", "never"}))
      ->capture_default_str();
  cmd->add_option("--num-return-sequences", g.num_return_sequences, "sequences per prompt (beams or samples)")
      ->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "prompts generated together")->capture_default_str();
  cmd->add_option("--threads", o->threads, "threads (0 = all cores)");
  cmd->callback([o] { run_generate(*o); });
}

}  // namespace packformer::cli
