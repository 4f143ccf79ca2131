// embed, classify and hidden: text (or ids, or for classify --pairs tab-separated text pairs)
// in, one JSON value per input line out (or for embed an .npy matrix). Input is streamed
// through the runtime's Batcher: lines are read, checked and submitted --batch-size at a time,
// results are written in input order as they complete, so memory stays bounded whatever the
// input's size.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>

#include "commands.h"
#include "device_options.h"
#include "json_lines.h"
#include "line_io.h"
#include "npy_writer.h"
#include "option_bounds.h"
#include "path_options.h"
#include "progress.h"
#include "packformer/encoder.h"
#include "packformer/error.h"
#include "packformer/runtime.h"

namespace packformer::cli {
namespace {

enum class Task { Embed, Classify, Hidden };

struct ModelOptions {
  std::string model;
  std::string input;
  std::string output;
  int64_t batch_size = 32;
  int64_t max_length = 0;
  int64_t threads = 0;  // wide, so that 2^31 gets the range error, not a conversion error
  int64_t max_batch_tokens = 16384;
  int64_t sessions = 1;
  std::string format = "jsonl";
  bool ids = false;
  bool pairs = false;  // classify: each line is "first<TAB>second" (cross-encoders)
  std::string prompt_name, prompt;  // embed, hidden: sentence-transformers prompts
  bool verbose = false;
  PathOptions paths;
  DeviceOptions device;
};

// Token ids given directly: one JSON array per line, cut to max_length. Ids are checked here
// so that the error names the input line, not the position inside the batch.
// `first_line` is the input line number of lines[0].
EncoderInput parse_id_lines(const std::vector<std::string>& lines, size_t first_line, int64_t max_length,
                            int64_t vocab_size, size_t& truncated) {
  EncoderInput input;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<int32_t> ids = parse_id_array(lines[i], first_line + i);
    for (int32_t id : ids)
      if (id >= vocab_size)
        fail(ErrorKind::InvalidInput, "line " + std::to_string(first_line + i) + ": token id " + std::to_string(id) +
                                          " is outside the vocabulary [0, " + std::to_string(vocab_size) + ")");
    if (static_cast<int64_t>(ids.size()) > max_length) {
      ids.resize(static_cast<size_t>(max_length));
      ++truncated;
    }
    input.ids.push_back(std::move(ids));
  }
  return input;
}

// classify --pairs: each line "first<TAB>second" becomes one sequence with the tokenizer's
// pair form and its type ids. `first_line` is the input line number of lines[0].
EncoderInput tokenize_pair_lines(const Encoder& encoder, const std::vector<std::string>& lines, size_t first_line,
                                 int64_t max_length, size_t& truncated) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) pairs.push_back(split_pair_line(lines[i], first_line + i));
  size_t cut = 0;
  EncoderInput input = encoder.tokenize_pairs(pairs, max_length, &cut);
  truncated += cut;
  return input;
}

std::string label_name(const ModelInfo& info, int64_t index) {
  const auto it = info.id2label.find(index);
  return it != info.id2label.end() ? it->second : "LABEL_" + std::to_string(index);
}

std::string format_line(Task task, const ModelInfo& info, const RequestResult& r) {
  const int64_t h = r.hidden_size;
  std::string line;
  switch (task) {
    case Task::Embed: append_float_array(line, r.sentence_embeddings.data(), h); break;
    case Task::Hidden: {
      line.push_back('[');
      for (int64_t t = 0; t < r.offsets[1]; ++t) {
        if (t > 0) line.push_back(',');
        append_float_array(line, r.hidden_states.data() + t * h, h);
      }
      line.push_back(']');
      break;
    }
    case Task::Classify: {
      const float* logits = r.logits.data();
      const int64_t best = std::max_element(logits, logits + r.num_labels) - logits;
      line = "{\"label\":" + json_string(label_name(info, best)) + ",\"logits\":";
      append_float_array(line, logits, r.num_labels);
      line.push_back('}');
      break;
    }
  }
  return line;
}

bool is_stdout(const std::string& path) { return path.empty() || path == "-"; }

// Where results go, in input order: JSON lines, or rows of an .npy matrix.
class ResultWriter {
 public:
  ResultWriter(Task task, const ModelInfo& info, const ModelOptions& o) : task_(task), info_(info) {
    if (o.format == "npy") npy_ = std::make_unique<NpyWriter>(o.output, info.hidden_size);
    else lines_ = std::make_unique<OutputFile>(o.output);
  }
  void write(const RequestResult& r) {
    if (npy_) npy_->write_row(r.sentence_embeddings.data());
    else lines_->write_line(format_line(task_, info_, r));
  }
  void flush() {
    if (lines_) lines_->flush();
  }
  // The last results' write errors (a full disk, /dev/full) are reported, not lost.
  void finish() {
    if (npy_) npy_->finish();
    if (lines_) lines_->flush();
  }

 private:
  Task task_;
  const ModelInfo& info_;
  std::unique_ptr<OutputFile> lines_;
  std::unique_ptr<NpyWriter> npy_;
};

// The next `count` lines of the input (fewer at its end).
std::vector<std::string> read_chunk(LineReader& reader, size_t count) {
  std::vector<std::string> lines;
  for (std::string line; lines.size() < count && reader.next(line);) lines.push_back(std::move(line));
  return lines;
}

void run_task(Task task, const ModelOptions& o) {
  check_range("--batch-size", o.batch_size, 1, kMaxBatchSize);
  check_range("--max-length", o.max_length, 0, kMaxLength);  // 0 = the model's maximum
  check_range("--max-batch-tokens", o.max_batch_tokens, 1, kMaxBatchTokens);
  check_range("--sessions", o.sessions, 1, kMaxThreads);
  const int threads = checked_threads(o.threads);
  if (o.pairs && o.ids) fail(ErrorKind::InvalidInput, "--pairs reads text pairs: it cannot be combined with --ids");
  if (o.format == "npy" && is_stdout(o.output) && ::isatty(STDOUT_FILENO))
    fail(ErrorKind::InvalidInput, "--format npy writes binary data: give --output FILE or redirect stdout");
  const auto encoder = o.device.load(o.model, o.paths.encoder_options(threads, /*load_tokenizer=*/!o.ids));
  const ModelInfo& info = encoder->info();
  if (task == Task::Classify && info.num_labels == 0)
    fail(ErrorKind::InvalidInput, o.model + ": the model has no sequence-classification head "
                                            "(classifier.weight or classifier.out_proj.weight)");
  const int64_t max_length = o.max_length > 0 ? std::min(o.max_length, info.max_length) : info.max_length;
  // Prepended to each text line before tokenization, as sentence-transformers' encode() does
  // (the folder's default_prompt_name applies when neither option is given).
  const std::string prompt =
      task == Task::Classify || o.ids ? std::string() : encoder->prompt_text(o.prompt_name, o.prompt);
  if (o.ids && !(o.prompt_name.empty() && o.prompt.empty()))
    fail(ErrorKind::InvalidInput, "--prompt and --prompt-name prepend text: they cannot be combined with --ids");

  BatcherOptions options;
  options.max_batch_tokens = o.max_batch_tokens;
  options.max_batch_requests = o.batch_size;
  options.max_queued_requests = std::max<int64_t>(1024, 2 * o.batch_size);
  options.sessions = static_cast<int>(o.sessions);
  options.threads = threads;
  options.outputs = task == Task::Embed ? kSentenceEmbedding : task == Task::Classify ? kLogits : kHiddenStates;
  options.run_options = o.paths.run_options();

  LineReader reader(o.input);
  ResultWriter writer(task, info, o);
  const bool terminal = ::isatty(STDERR_FILENO);
  Progress progress(terminal, terminal || o.verbose, terminal ? count_lines(o.input) : -1);
  Batcher batcher(*encoder, options);

  struct Pending {
    std::future<RequestResult> result;
    int64_t tokens;
  };
  std::deque<Pending> pending;
  // Taken off the queue before get(): get() rethrows a failed batch's error and leaves the
  // future empty, which must not be waited on again while the error propagates.
  const auto write_first = [&] {
    Pending first = std::move(pending.front());
    pending.pop_front();
    writer.write(first.result.get());  // rethrows the error of a failed batch
    progress.add(1, first.tokens);
  };
  // Results already computed but not written stay bounded too.
  const size_t max_pending = static_cast<size_t>(2 * options.max_queued_requests);

  size_t lines_read = 0, truncated = 0;
  try {
    for (std::vector<std::string> chunk; !(chunk = read_chunk(reader, static_cast<size_t>(o.batch_size))).empty();) {
      // The whole chunk is checked before any of it is submitted: a bad line fails the run
      // with the results of the earlier chunks written and none of its own chunk.
      EncoderInput input;
      if (o.ids) {
        input = parse_id_lines(chunk, lines_read + 1, max_length, info.vocab_size, truncated);
      } else if (o.pairs) {
        input = tokenize_pair_lines(*encoder, chunk, lines_read + 1, max_length, truncated);
      } else {
        size_t cut = 0;
        if (!prompt.empty())
          for (std::string& line : chunk) line.insert(0, prompt);
        input = encoder->tokenize(chunk, max_length, &cut);
        truncated += cut;
      }
      for (size_t i = 0; i < input.ids.size(); ++i)
        if (static_cast<int64_t>(input.ids[i].size()) > o.max_batch_tokens)
          fail(ErrorKind::InvalidInput, "line " + std::to_string(lines_read + 1 + i) + " has " +
                                            std::to_string(input.ids[i].size()) + " tokens, more than --max-batch-tokens (" +
                                            std::to_string(o.max_batch_tokens) +
                                            ") allows in one batch: raise --max-batch-tokens or lower --max-length");
      lines_read += chunk.size();
      for (size_t i = 0; i < input.ids.size(); ++i) {
        const auto tokens = static_cast<int64_t>(input.ids[i].size());
        // A pair's type ids (0 / 1 for BERT) matter; single texts keep the model's default 0.
        std::vector<int32_t> types = o.pairs ? std::move(input.type_ids[i]) : std::vector<int32_t>{};
        pending.push_back({batcher.submit(std::move(input.ids[i]), std::move(types)), tokens});
      }
      using namespace std::chrono_literals;
      while (!pending.empty() && pending.front().result.wait_for(0s) == std::future_status::ready) write_first();
      while (pending.size() > max_pending) write_first();
      writer.flush();
    }
  } catch (...) {
    batcher.close();
    while (!pending.empty()) write_first();  // a failed batch's error replaces this one
    throw;
  }
  batcher.close();
  while (!pending.empty()) write_first();
  writer.finish();
  progress.finish();
  if (truncated > 0)
    std::fprintf(stderr, "warning: %zu of %zu inputs were longer than %lld tokens and were truncated\n", truncated,
                 lines_read, static_cast<long long>(max_length));
}

void add_task(CLI::App& app, Task task, const char* name, const char* description) {
  auto options = std::make_shared<ModelOptions>();
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->add_option("--model", options->model, "Hugging Face model folder")->required();
  cmd->add_option("--input", options->input, "input file, one text per line (default: stdin)");
  cmd->add_option("--output", options->output, "output file, one JSON value per line (default: stdout)");
  cmd->add_option("--batch-size", options->batch_size,
                  "most sequences per batch; input is also read and checked this many lines at a time")
      ->capture_default_str();
  cmd->add_option("--max-batch-tokens", options->max_batch_tokens,
                  "most tokens per batch: real tokens on the packed path, sequences x longest when padded")
      ->capture_default_str();
  cmd->add_option("--sessions", options->sessions,
                  "batches run at the same time, each with threads/sessions threads")
      ->capture_default_str();
  cmd->add_option("--max-length", options->max_length, "truncate inputs to N tokens (default: the model's maximum)");
  cmd->add_option("--threads", options->threads, "threads (default: all cores)");
  cmd->add_flag("--ids", options->ids, "read token ids, one JSON array per line, instead of text");
  cmd->add_flag("--verbose", options->verbose, "print a throughput summary on stderr (always on a terminal)");
  if (task == Task::Classify)
    cmd->add_flag("--pairs", options->pairs,
                  "each line is a text pair \"first<TAB>second\", read as one sequence (cross-encoders)");
  if (task != Task::Classify) {
    cmd->add_option("--prompt-name", options->prompt_name,
                    "prepend the folder's sentence-transformers prompt of this name to each line "
                    "(config_sentence_transformers.json; default: its default_prompt_name, if any)");
    cmd->add_option("--prompt", options->prompt, "prepend this text to each line (wins over --prompt-name)");
  }
  if (task == Task::Embed)
    cmd->add_option("--format", options->format,
                    "jsonl: one JSON array per line; npy: one float32 array [lines, dim] (NumPy .npy)")
        ->check(CLI::IsMember({"jsonl", "npy"}))
        ->capture_default_str();
  options->paths.add_to(cmd);
  options->device.add_to(cmd);
  cmd->callback([task, options] { run_task(task, *options); });
}

}  // namespace

void register_model_commands(CLI::App& app) {
  add_task(app, Task::Embed, "embed", "sentence embeddings, one JSON array per input line");
  add_task(app, Task::Classify, "classify", "sequence-classification logits and label, one JSON object per line");
  add_task(app, Task::Hidden, "hidden", "last hidden states, one JSON array of token vectors per line");
}

}  // namespace packformer::cli
