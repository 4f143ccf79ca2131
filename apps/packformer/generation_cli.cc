#include "generation_cli.h"

#include <algorithm>

#include "device_options.h"
#include "json_lines.h"
#include "line_io.h"
#include "memory_size.h"
#include "option_bounds.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"

namespace packformer::cli {
namespace {

EarlyStopping early_stopping_from(const std::string& value) {
  if (value == "true") return EarlyStopping::Stop;
  if (value == "never") return EarlyStopping::Never;
  return EarlyStopping::Heuristic;
}

std::string id_array(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

}  // namespace

void GenerationCliOptions::add_to(CLI::App* cmd, const std::string& input_what) {
  GenerationOptions& g = generation;
  cmd->add_option("--model", model, "model folder (config.json, model.safetensors, tokenizer files)")->required();
  cmd->add_option("--input", input, input_what + ", one per line (default: stdin)");
  cmd->add_option("--output", output, "output file (default: stdout)");
  cmd->add_flag("--ids", ids, "inputs are JSON arrays of token ids; print JSON arrays of the new ids");
  cmd->add_option("--max-new-tokens", g.max_new_tokens, "tokens to generate at most (translate: default = the model's positions)")->capture_default_str();
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
  cmd->add_option("--early-stopping", early_stopping, "beam search: false, true or never")
      ->check(CLI::IsMember({"false", "true", "never"}))
      ->capture_default_str();
  cmd->add_option("--num-return-sequences", g.num_return_sequences, "sequences per input (beams or samples)")
      ->capture_default_str();
  cmd->add_option("--batch-size", batch_size, "inputs generated together")->capture_default_str();
  cmd->add_option("--threads", threads, "threads (0 = all cores)");
  cmd->add_option("--dtype", dtype, "precision of the Linear layers, LM head included: fp32 | bf16 | int8")
      ->check(CLI::IsMember({"fp32", "bf16", "int8"}))
      ->capture_default_str();
  cmd->add_option("--max-memory", max_memory,
                  "most memory one batch may use (KV cache, activations, logits), e.g. 4G or 512M; a batch "
                  "needing more is refused before allocating (default: half of physical RAM)");
}

void GenerationCliOptions::finish() {
  if (model.empty()) fail(ErrorKind::InvalidInput, "--model DIR is required");
  check_range("--batch-size", batch_size, 1, kMaxBatchSize);
  checked_threads(threads);
  // The library checks these too, but only once the model is loaded.
  check_range("--max-new-tokens", generation.max_new_tokens, 1, kMaxNewTokens);
  check_range("--num-beams", generation.num_beams, 1, kMaxBeams);
  check_range("--num-return-sequences", generation.num_return_sequences, 1, kMaxReturnSequences);
  parse_memory_size(max_memory);  // its errors too, before the model loads
  generation.early_stopping = early_stopping_from(early_stopping);
}

GeneratorLoadOptions GenerationCliOptions::load_options() const {
  return {.threads = checked_threads(threads),
          .load_tokenizer = !ids,
          .max_memory_bytes = parse_memory_size(max_memory),
          .dtype = dtype};
}

std::unique_ptr<Generator> GenerationCliOptions::load() const {
  auto generator = Generator::load(model, load_options());
  warn_if_slow_on_this_cpu(dtype);
  return generator;
}

void check_input_line(const Generator& generator, const std::vector<int32_t>& ids, int64_t max_new_tokens,
                      const std::string& input) {
  const std::string where = input + ": ";
  const bool seq2seq = generator.is_encoder_decoder();
  const char* what = seq2seq ? "source" : "prompt";
  if (ids.empty()) fail(ErrorKind::InvalidInput, where + "the " + what + " has no tokens");
  for (int32_t id : ids)
    if (id < 0 || id >= generator.input_vocab_size())
      fail(ErrorKind::InvalidInput, where + "token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                        std::to_string(generator.input_vocab_size()) + ")");
  const int64_t len = static_cast<int64_t>(ids.size()), positions = generator.max_positions();
  if (seq2seq) {
    if (len > positions)
      fail(ErrorKind::InvalidInput, where + "the source has " + std::to_string(len) + " tokens but the model has " +
                                        std::to_string(positions) + " positions");
    if (max_new_tokens > positions)
      fail(ErrorKind::InvalidInput, "--max-new-tokens " + std::to_string(max_new_tokens) +
                                        " needs more decoder positions than the model has (" +
                                        std::to_string(positions) + ")");
    return;
  }
  const int64_t needed = len + max_new_tokens - 1;
  if (needed > positions)
    fail(ErrorKind::InvalidInput, where + "the prompt has " + std::to_string(len) + " tokens; with " +
                                      "--max-new-tokens " + std::to_string(max_new_tokens) + " it needs " +
                                      std::to_string(needed) + " positions but the model has " +
                                      std::to_string(positions));
}

void write_generated(Generator& generator, const std::vector<std::vector<int32_t>>& inputs,
                     const GenerationCliOptions& o) {
  OutputFile out(o.output);
  for (size_t first = 0; first < inputs.size(); first += static_cast<size_t>(o.batch_size)) {
    const size_t end = std::min(inputs.size(), first + static_cast<size_t>(o.batch_size));
    const std::vector<std::vector<int32_t>> batch(inputs.begin() + first, inputs.begin() + end);
    const GeneratedIds result = generator.generate(batch, o.generation);
    for (const auto& sequences : result) {
      std::string line = sequences.size() > 1 ? "[" : "";
      for (size_t s = 0; s < sequences.size(); ++s) {
        if (s) line += ",";
        line += o.ids ? id_array(sequences[s]) : json_string(generator.tokenizer().decode(sequences[s], true));
      }
      if (sequences.size() > 1) line += "]";
      out.write_line(line);
    }
  }
}

}  // namespace packformer::cli
