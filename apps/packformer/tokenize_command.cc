// tokenize and detokenize: text lines <-> JSON arrays of token ids, with a model folder's
// tokenizer or a tokenizer file; tokenize --pair reads tab-separated text pairs. detokenize prints each text as a JSON string so that
// decoded newlines cannot break the one-record-per-line format.
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "json_lines.h"
#include "line_io.h"
#include "option_bounds.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"

namespace packformer::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string tokenizer;
  std::string input;
  std::string output;
  int64_t max_length = 0;
  bool no_special_tokens = false;
  bool keep_special_tokens = false;
  bool pair = false;
};

std::unique_ptr<Tokenizer> open_tokenizer(const TokenizeOptions& o) {
  if (!o.model.empty() && !o.tokenizer.empty())
    fail(ErrorKind::InvalidInput, "give either --model or --tokenizer, not both");
  if (!o.model.empty()) return Tokenizer::from_model_dir(o.model);
  if (!o.tokenizer.empty()) return Tokenizer::from_file(o.tokenizer);
  fail(ErrorKind::InvalidInput, "--model DIR or --tokenizer FILE is required");
}

void add_source_options(CLI::App* command, TokenizeOptions& o) {
  command->add_option("--model", o.model, "model folder (tokenizer.json, a sentencepiece .model or vocab.txt)");
  command->add_option("--tokenizer", o.tokenizer, "tokenizer file: tokenizer.json, a .model or vocab.txt");
  command->add_option("--input", o.input, "input file, one record per line (default: stdin)");
  command->add_option("--output", o.output, "output file (default: stdout)");
}

void append_int_array(std::string& record, const std::vector<int32_t>& values) {
  record.push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) record.push_back(',');
    record += std::to_string(values[i]);
  }
  record.push_back(']');
}

// --pair: each line is "first<TAB>second"; each record {"ids":[...],"type_ids":[...]}, since a
// pair's type ids (0 / 1 for BERT) are part of what the model reads.
void write_pair_records(const Tokenizer& tokenizer, const EncodeOptions& options, const std::vector<std::string>& lines,
                        OutputFile& out) {
  std::string record;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto [first, second] = split_pair_line(lines[i], i + 1);
    const Encoding encoding = tokenizer.encode_pair(first, second, options);
    record.assign("{\"ids\":");
    append_int_array(record, encoding.ids);
    record += ",\"type_ids\":";
    append_int_array(record, encoding.type_ids);
    record.push_back('}');
    out.write_line(record);
  }
}

void run_tokenize(const TokenizeOptions& o) {
  check_range("--max-length", o.max_length, 0, kMaxLength);  // 0 = no truncation
  const auto tokenizer = open_tokenizer(o);
  EncodeOptions options;
  options.add_special_tokens = !o.no_special_tokens;
  options.max_length = static_cast<size_t>(o.max_length);
  const auto lines = read_lines(o.input);
  OutputFile out(o.output);
  if (o.pair) return write_pair_records(*tokenizer, options, lines, out);
  std::string record;
  for (const std::string& line : lines) {
    record.clear();
    append_int_array(record, tokenizer->encode(line, options).ids);
    out.write_line(record);
  }
}

void run_detokenize(const TokenizeOptions& o) {
  const auto tokenizer = open_tokenizer(o);
  const auto lines = read_lines(o.input);
  OutputFile out(o.output);
  for (size_t i = 0; i < lines.size(); ++i) {
    // An empty array is a valid (empty) sequence here; parse_id_array rejects it.
    const bool empty = lines[i].find_first_not_of(" \t[]") == std::string::npos && lines[i].find('[') != std::string::npos;
    const std::vector<int32_t> ids = empty ? std::vector<int32_t>{} : parse_id_array(lines[i], i + 1);
    out.write_line(json_string(tokenizer->decode(ids, !o.keep_special_tokens)));
  }
}

}  // namespace

void register_tokenize_commands(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();

  CLI::App* tokenize = app.add_subcommand("tokenize", "text lines -> one JSON array of token ids per line");
  add_source_options(tokenize, *options);
  tokenize->add_option("--max-length", options->max_length, "truncate to N tokens, special tokens included (0 = off)");
  tokenize->add_flag("--no-special-tokens", options->no_special_tokens, "do not add [CLS]/[SEP], <s>/</s>, ...");
  tokenize->add_flag("--pair", options->pair,
                     "each line is a text pair \"first<TAB>second\"; prints {\"ids\":[...],\"type_ids\":[...]}");
  tokenize->callback([options] { run_tokenize(*options); });

  CLI::App* detokenize =
      app.add_subcommand("detokenize", "JSON arrays of token ids -> one JSON string of text per line");
  add_source_options(detokenize, *options);
  detokenize->add_flag("--keep-special-tokens", options->keep_special_tokens, "keep [CLS], <s>, ... in the text");
  detokenize->callback([options] { run_detokenize(*options); });
}

}  // namespace packformer::cli
