// embed, classify and hidden: text (or ids) in, one JSON value per input line out.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "device_options.h"
#include "json_lines.h"
#include "line_io.h"
#include "option_bounds.h"
#include "path_options.h"
#include "packformer/encoder.h"
#include "packformer/error.h"

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
  bool ids = false;
  PathOptions paths;
  DeviceOptions device;
};

// Token ids given directly: one JSON array per line, cut to max_length. Ids are checked here
// so that the error names the input line, not the position inside the batch.
EncoderInput parse_id_lines(const std::vector<std::string>& lines, size_t first, size_t count, int64_t max_length,
                            int64_t vocab_size, size_t& truncated) {
  EncoderInput input;
  for (size_t i = first; i < first + count; ++i) {
    std::vector<int32_t> ids = parse_id_array(lines[i], i + 1);
    for (int32_t id : ids)
      if (id >= vocab_size)
        fail(ErrorKind::InvalidInput, "line " + std::to_string(i + 1) + ": token id " + std::to_string(id) +
                                          " is outside the vocabulary [0, " + std::to_string(vocab_size) + ")");
    if (static_cast<int64_t>(ids.size()) > max_length) {
      ids.resize(static_cast<size_t>(max_length));
      ++truncated;
    }
    input.ids.push_back(std::move(ids));
  }
  return input;
}

std::string label_name(const ModelInfo& info, int64_t index) {
  const auto it = info.id2label.find(index);
  return it != info.id2label.end() ? it->second : "LABEL_" + std::to_string(index);
}

void write_results(Task task, const ModelInfo& info, const EncoderOutput& out, OutputFile& file) {
  const int64_t h = out.hidden_size;
  for (int64_t b = 0; b < out.batch_size(); ++b) {
    std::string line;
    switch (task) {
      case Task::Embed: append_float_array(line, out.sentence_embeddings.data() + b * h, h); break;
      case Task::Hidden: {
        line.push_back('[');
        for (int64_t t = out.offsets[b]; t < out.offsets[b + 1]; ++t) {
          if (t > out.offsets[b]) line.push_back(',');
          append_float_array(line, out.hidden_states.data() + t * h, h);
        }
        line.push_back(']');
        break;
      }
      case Task::Classify: {
        const float* logits = out.logits.data() + b * out.num_labels;
        const int64_t best = std::max_element(logits, logits + out.num_labels) - logits;
        line = "{\"label\":" + json_string(label_name(info, best)) + ",\"logits\":";
        append_float_array(line, logits, out.num_labels);
        line.push_back('}');
        break;
      }
    }
    file.write_line(line);
  }
}

void run_task(Task task, const ModelOptions& o) {
  check_range("--batch-size", o.batch_size, 1, kMaxBatchSize);
  check_range("--max-length", o.max_length, 0, kMaxLength);  // 0 = the model's maximum
  const int threads = checked_threads(o.threads);
  const auto encoder = Encoder::load(o.model, o.device.apply_to(o.paths.encoder_options(threads, /*load_tokenizer=*/!o.ids)));
  const ModelInfo& info = encoder->info();
  if (task == Task::Classify && info.num_labels == 0)
    fail(ErrorKind::InvalidInput, o.model + ": the model has no sequence-classification head "
                                            "(classifier.weight or classifier.out_proj.weight)");
  const unsigned wanted = task == Task::Embed ? kSentenceEmbedding : task == Task::Classify ? kLogits : kHiddenStates;
  const int64_t max_length = o.max_length > 0 ? std::min(o.max_length, info.max_length) : info.max_length;

  const std::vector<std::string> lines = read_lines(o.input);
  OutputFile file(o.output);
  size_t truncated = 0;
  for (size_t first = 0; first < lines.size(); first += static_cast<size_t>(o.batch_size)) {
    const size_t count = std::min(lines.size() - first, static_cast<size_t>(o.batch_size));
    EncoderInput input;
    if (o.ids) {
      input = parse_id_lines(lines, first, count, max_length, info.vocab_size, truncated);
    } else {
      size_t cut = 0;
      input = encoder->tokenize({lines.begin() + first, lines.begin() + first + count}, max_length, &cut);
      truncated += cut;
    }
    write_results(task, info, encoder->run(input, wanted, o.paths.run_options()), file);
  }
  if (truncated > 0)
    std::fprintf(stderr, "warning: %zu of %zu inputs were longer than %lld tokens and were truncated\n", truncated,
                 lines.size(), static_cast<long long>(max_length));
}

void add_task(CLI::App& app, Task task, const char* name, const char* description) {
  auto options = std::make_shared<ModelOptions>();
  CLI::App* cmd = app.add_subcommand(name, description);
  cmd->add_option("--model", options->model, "Hugging Face model folder")->required();
  cmd->add_option("--input", options->input, "input file, one text per line (default: stdin)");
  cmd->add_option("--output", options->output, "output file, one JSON value per line (default: stdout)");
  cmd->add_option("--batch-size", options->batch_size, "sequences per batch")->capture_default_str();
  cmd->add_option("--max-length", options->max_length, "truncate inputs to N tokens (default: the model's maximum)");
  cmd->add_option("--threads", options->threads, "threads (default: all cores)");
  cmd->add_flag("--ids", options->ids, "read token ids, one JSON array per line, instead of text");
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
