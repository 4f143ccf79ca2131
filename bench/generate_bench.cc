// Times packformer's generation for bench/generate/run: loads a model folder once, then runs
// the same generate call `--warmup` times untimed and `--iterations` times timed, and prints
// JSON {"seconds": [...], "outputs": [[new ids of prompt 0], ...]} (best sequence per prompt);
// with --first-token also "first_token_seconds": the same warm-up and timed calls with 1 new
// token (the harness's time to first token), so the model is loaded once for both.
// EOS never stops a sequence (every engine of the benchmark generates exactly
// --max-new-tokens tokens), so the work is the same for every engine.
//   generate_bench --model DIR --prompts FILE.jsonl [--num-beams B] [--max-new-tokens N]
//                  [--warmup W] [--iterations I] [--threads T] [--bad-token-ids 0,58100] [--first-token]
//                  [--dtype fp32|bf16|int8]
// --bad-token-ids replaces the folder's bad tokens: the harness passes the folder's plus its EOS
// ids, as transformers' min_new_tokens and CTranslate2's min_length suppress EOS. --dtype is
// the precision of the Linear layers (GeneratorLoadOptions::dtype). Works for every model
// packformer::Generator loads (GPT-2, the Llama family: prompts; Marian, BART: sources).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "packformer/error.h"
#include "packformer/generator.h"

namespace {

std::vector<std::vector<int32_t>> read_prompts(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw packformer::Error(packformer::ErrorKind::InvalidInput, path + ": cannot open");
  std::vector<std::vector<int32_t>> prompts;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) prompts.push_back(nlohmann::json::parse(line).get<std::vector<int32_t>>());
  }
  return prompts;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"packformer generation timing for bench/generate/run"};
  std::string model, prompts_file;
  packformer::GenerationOptions options;
  options.max_new_tokens = 64;
  int warmup = 1, iterations = 5, threads = 0;
  std::string dtype = "fp32";
  std::vector<int32_t> bad_token_ids;
  bool first_token = false;
  app.add_option("--model", model, "model folder")->required();
  app.add_option("--prompts", prompts_file, "one JSON array of prompt ids per line")->required();
  app.add_option("--num-beams", options.num_beams, "beam size (1 = greedy)");
  app.add_option("--max-new-tokens", options.max_new_tokens, "new tokens per sequence");
  app.add_option("--warmup", warmup, "untimed calls first");
  app.add_option("--iterations", iterations, "timed calls");
  app.add_option("--threads", threads, "threads (default: all cores)");
  auto* bad = app.add_option("--bad-token-ids", bad_token_ids, "tokens never generated (default: the folder's)")
                  ->delimiter(',');
  app.add_flag("--first-token", first_token, "also time calls of 1 new token");
  app.add_option("--dtype", dtype, "precision of the Linear layers, LM head included: fp32 | bf16 | int8");
  CLI11_PARSE(app, argc, argv);
  try {
    packformer::GeneratorLoadOptions load;
    load.threads = threads;
    load.load_tokenizer = false;
    load.dtype = dtype;
    auto generator = packformer::Generator::load(model, load);
    const auto prompts = read_prompts(prompts_file);
    options.eos_token_ids = std::vector<int32_t>{};  // no stop token: exactly max_new_tokens
    if (bad->count() > 0) options.bad_token_ids = bad_token_ids;
    packformer::GeneratedIds out;
    auto timed = [&](const packformer::GenerationOptions& o) {
      for (int i = 0; i < warmup; ++i) out = generator->generate(prompts, o);
      nlohmann::json seconds = nlohmann::json::array();
      for (int i = 0; i < iterations; ++i) {
        const auto start = std::chrono::steady_clock::now();
        out = generator->generate(prompts, o);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      return seconds;
    };
    // The harness's order for every engine: the max_new_tokens calls, then the 1-token calls.
    nlohmann::json result;
    result["seconds"] = timed(options);
    nlohmann::json outputs = nlohmann::json::array();
    for (const auto& sequences : out) outputs.push_back(sequences.at(0));
    result["outputs"] = outputs;
    if (first_token) {
      auto one = options;
      one.max_new_tokens = 1;
      result["first_token_seconds"] = timed(one);
    }
    std::printf("%s\n", result.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
