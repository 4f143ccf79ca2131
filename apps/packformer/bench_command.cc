// packformer bench: the Better Transformer tutorial's benchmark. The same batch runs on the
// slow path, the fast path with sparsity off and the fast path with sparsity on; one table
// (or JSON lines) compares them, with a per-op profile on request.
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "commands.h"
#include "device_options.h"
#include "line_io.h"
#include "option_bounds.h"
#include "packformer/encoder.h"
#include "packformer/error.h"
#include "packformer/profiler.h"
#include "tutorial_texts.h"

namespace packformer::cli {
namespace {

struct BenchOptions {
  std::string model;
  std::string batch = "small";
  // Wide, so that 2^31 gets the range error, not a conversion error.
  int64_t iterations = 10;
  int64_t warmup = 2;
  int64_t threads = 0;
  int64_t max_length = 0;
  std::string format = "table";
  bool profile = false;
  bool peak = false;
  bool skip_slow = false;
  bool dump_ids = false;
  DeviceOptions device;
};

struct Row {
  std::string path, sparsity;
  double median_ms = 0, p90_ms = 0, tokens_per_s = 0, speedup = 0, gflops = 0, peak_share = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Sustained fp32 GEMM rate of this machine with the current threads (oneDNN sgemm, square
// 1536 matrices, best of 5 after a warm-up).
double measure_sgemm_peak_gflops() {
  const int64_t n = 1536;
  std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n);
  double best = 1e30;
  for (int i = 0; i < 6; ++i) {
    const auto start = std::chrono::steady_clock::now();
    dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    if (i > 0) best = std::min(best, seconds_since(start));
  }
  return 2.0 * n * n * n / best / 1e9;
}

// FLOPs of one forward pass over the real tokens (GEMMs and attention; embeddings and
// LayerNorm are negligible).
double useful_flops(const ModelInfo& m, const EncoderInput& input) {
  double tokens = 0, attention = 0;
  for (const auto& ids : input.ids) {
    tokens += static_cast<double>(ids.size());
    attention += static_cast<double>(ids.size()) * static_cast<double>(ids.size());
  }
  const double h = static_cast<double>(m.hidden_size), ffn = static_cast<double>(m.intermediate_size);
  return static_cast<double>(m.num_layers) * (2.0 * tokens * (4.0 * h * h + 2.0 * h * ffn) + 4.0 * attention * h);
}

struct RandomBatch {
  int64_t batch = 0, length = 0;  // B sequences of T tokens
};

// --batch random:BxT. B is checked here, before the model is loaded; T (<= the model's
// maximum length) once it is.
RandomBatch parse_random_batch(const std::string& spec) {
  const auto bad = [&] {
    fail(ErrorKind::InvalidInput, "--batch " + spec + ": expected random:BxT with integers B and T (e.g. random:8x128)");
  };
  const char* text = spec.c_str() + 7;  // after "random:"
  char* end = nullptr;
  errno = 0;
  RandomBatch r;
  r.batch = std::strtoll(text, &end, 10);
  if (end == text || *end != 'x' || errno == ERANGE) bad();
  text = end + 1;
  r.length = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE) bad();
  check_range("--batch random:BxT: B", r.batch, 1, kMaxBatchSize);
  return r;
}

bool is_random_batch(const std::string& batch) { return batch.rfind("random:", 0) == 0; }

// --batch small | big | random:BxT | FILE
EncoderInput make_batch(const Encoder& encoder, const BenchOptions& o) {
  const ModelInfo& info = encoder.info();
  if (is_random_batch(o.batch)) {
    const RandomBatch r = parse_random_batch(o.batch);
    check_range("--batch random:BxT: T", r.length, 1, info.max_length);
    std::mt19937 rng(0);
    std::uniform_int_distribution<int32_t> id(3, static_cast<int32_t>(info.vocab_size - 1));
    EncoderInput input;
    for (int64_t b = 0; b < r.batch; ++b) {
      std::vector<int32_t> ids(static_cast<size_t>(r.length));
      for (auto& v : ids) v = id(rng);
      input.ids.push_back(std::move(ids));
    }
    return input;
  }
  std::vector<std::string> texts;
  if (o.batch == "small") texts = tutorial_small_batch();
  else if (o.batch == "big") texts = tutorial_big_batch();
  else texts = read_lines(o.batch);
  if (texts.empty()) fail(ErrorKind::InvalidInput, "--batch " + o.batch + ": no texts");
  return encoder.tokenize(texts, o.max_length);
}

Row time_path(const Encoder& encoder, const EncoderInput& input, const RunOptions& run, const BenchOptions& o,
              double flops, int64_t tokens) {
  EncoderOutput output;
  for (int64_t i = 0; i < o.warmup; ++i) encoder.run(input, kHiddenStates, run, output);
  std::vector<double> ms;
  for (int64_t i = 0; i < o.iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    encoder.run(input, kHiddenStates, run, output);
    ms.push_back(seconds_since(start) * 1e3);
  }
  std::sort(ms.begin(), ms.end());
  Row row;
  row.path = run.path == ExecutionPath::Slow ? "slow" : "fast";
  row.sparsity = run.path == ExecutionPath::Slow ? "off" : (run.sparsity ? "on" : "off");
  row.median_ms = ms[ms.size() / 2];
  row.p90_ms = ms[std::min(ms.size() - 1, static_cast<size_t>(0.9 * static_cast<double>(ms.size())))];
  row.tokens_per_s = static_cast<double>(tokens) / (row.median_ms / 1e3);
  row.gflops = flops / (row.median_ms / 1e3) / 1e9;
  return row;
}

void run_bench(const BenchOptions& o) {
  check_range("--iterations", o.iterations, 1, kMaxIterations);
  check_range("--warmup", o.warmup, 0, kMaxIterations);
  check_range("--max-length", o.max_length, 0, kMaxLength);  // 0 = the model's maximum
  const int threads = checked_threads(o.threads);
  if (is_random_batch(o.batch)) parse_random_batch(o.batch);
  if (threads > 0) omp_set_num_threads(threads);
  const bool on_cpu = o.device.device == "cpu";
  // The sgemm peak is the CPU's: a share of it means nothing for a GPU run.
  const double peak = (o.peak && on_cpu) || o.model.empty() ? measure_sgemm_peak_gflops() : 0.0;
  if (o.model.empty()) {
    std::printf("sgemm peak: %.1f GFLOP/s with %d threads\n", peak, omp_get_max_threads());
    return;
  }
  EncoderOptions options;
  options.threads = threads;
  const auto encoder = o.device.load(o.model, options);
  const EncoderInput input = make_batch(*encoder, o);
  if (o.dump_ids) {  // the exact batch, for other engines to time the same ids (bench/gpu)
    for (const auto& ids : input.ids) {
      std::string line = "[";
      for (size_t i = 0; i < ids.size(); ++i) line += (i ? "," : "") + std::to_string(ids[i]);
      std::printf("%s]\n", line.c_str());
    }
    return;
  }
  int64_t tokens = 0, longest = 0;
  for (const auto& ids : input.ids) {
    tokens += static_cast<int64_t>(ids.size());
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ids.size()));
  }
  const double flops = useful_flops(encoder->info(), input);

  std::vector<Row> rows;
  for (const RunOptions& run : {RunOptions{ExecutionPath::Slow, false}, RunOptions{ExecutionPath::Fast, false},
                                RunOptions{ExecutionPath::Fast, true}}) {
    if (o.skip_slow && run.path == ExecutionPath::Slow) continue;
    rows.push_back(time_path(*encoder, input, run, o, flops, tokens));
    // The slow path is the CPU reference even when the fast path runs on a GPU.
    if (run.path == ExecutionPath::Slow && !on_cpu) rows.back().path = "slow(cpu)";
  }
  for (Row& row : rows) {
    row.speedup = rows.front().median_ms / row.median_ms;
    row.peak_share = peak > 0 ? row.gflops / peak : 0.0;
  }

  if (o.format == "json") {
    for (const Row& r : rows)
      std::printf("{\"model\":\"%s\",\"batch\":\"%s\",\"sequences\":%zu,\"tokens\":%lld,\"padded_tokens\":%lld,"
                  "\"threads\":%d,\"device\":\"%s\",\"path\":\"%s\",\"sparsity\":\"%s\",\"median_ms\":%.4f,\"p90_ms\":%.4f,"
                  "\"tokens_per_s\":%.1f,\"speedup\":%.3f,\"gflops\":%.2f,\"peak_gflops\":%.2f}\n",
                  o.model.c_str(), o.batch.c_str(), input.ids.size(), static_cast<long long>(tokens),
                  static_cast<long long>(longest * static_cast<int64_t>(input.ids.size())), omp_get_max_threads(),
                  encoder->device_description().c_str(), r.path.c_str(), r.sparsity.c_str(), r.median_ms, r.p90_ms, r.tokens_per_s, r.speedup, r.gflops, peak);
  } else {
    std::printf("model %s | batch %s: %zu sequences, %lld real tokens (%lld padded) | %d threads | %lld iterations\n",
                o.model.c_str(), o.batch.c_str(), input.ids.size(), static_cast<long long>(tokens),
                static_cast<long long>(longest * static_cast<int64_t>(input.ids.size())), omp_get_max_threads(),
                static_cast<long long>(o.iterations));
    std::printf("fast path on %s\n", encoder->device_description().c_str());
    std::printf("%-9s %-9s %11s %11s %12s %9s %10s %8s\n", "path", "sparsity", "median ms", "p90 ms", "tokens/s",
                "speed-up", "GFLOP/s", "% peak");
    for (const Row& r : rows) {
      char share[16] = "-";
      if (peak > 0) std::snprintf(share, sizeof share, "%.0f%%", 100.0 * r.peak_share);
      std::printf("%-9s %-9s %11.2f %11.2f %12.0f %8.2fx %10.1f %8s\n", r.path.c_str(), r.sparsity.c_str(), r.median_ms,
                  r.p90_ms, r.tokens_per_s, r.speedup, r.gflops, share);
    }
    if (peak > 0) std::printf("sgemm peak: %.1f GFLOP/s\n", peak);
  }

  if (o.profile) {
    for (const bool sparsity : {false, true}) {
      Profiler profiler;
      EncoderOutput output;
      const RunOptions run{ExecutionPath::Fast, sparsity, &profiler};
      for (int64_t i = 0; i < o.iterations; ++i) encoder->run(input, kHiddenStates, run, output);
      std::printf("\nprofile: fast path, sparsity %s, %lld iterations\n%s", sparsity ? "on" : "off",
                  static_cast<long long>(o.iterations),
                  profiler.table().c_str());
    }
  }
}

}  // namespace

void register_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "the Better Transformer tutorial benchmark: slow vs fast vs fast+sparsity");
  cmd->add_option("--model", o->model, "model folder (omit with --peak to only measure the sgemm peak)");
  cmd->add_option("--batch", o->batch, "small | big (the tutorial's batches) | random:BxT | FILE (one text per line)")
      ->capture_default_str();
  cmd->add_option("--iterations", o->iterations, "timed iterations per path")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "untimed iterations first")->capture_default_str();
  cmd->add_option("--threads", o->threads, "threads (default: all cores)");
  cmd->add_option("--max-length", o->max_length, "truncate texts to N tokens");
  cmd->add_option("--format", o->format, "table | json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  cmd->add_flag("--profile", o->profile, "print a per-op profile of the fast path");
  cmd->add_flag("--peak", o->peak, "measure this machine's sgemm peak and show each path's share of it (CPU runs)");
  cmd->add_flag("--skip-slow", o->skip_slow, "time only the fast path (sparsity off and on); speed-ups are then vs sparsity off");
  cmd->add_flag("--dump-ids", o->dump_ids, "print the batch's token ids (one JSON array per sequence) and exit");
  o->device.add_to(cmd);
  cmd->callback([o] { run_bench(*o); });
}

}  // namespace packformer::cli
