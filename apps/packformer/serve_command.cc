// serve: an HTTP server for one model folder, with the bodies of text-embeddings-inference
// (TEI) and OpenAI's embeddings and completions APIs (apps/packformer/serve/, docs/SERVING.md).
// SIGTERM or SIGINT stops it gracefully: no new connections, every request in flight is
// answered, exit 0.
#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "commands.h"
#include "device_options.h"
#include "option_bounds.h"
#include "serve/encoder_service.h"
#include "serve/generator_service.h"
#include "serve/http_server.h"
#include "serve/router.h"
#include "packformer/error.h"

namespace packformer::cli {
namespace {

using serve::ServeOptions;

void check_options(const ServeOptions& o) {
  check_range("--port", o.port, 0, 65535);
  check_range("--max-batch-tokens", o.max_batch_tokens, 1, kMaxBatchTokens);
  check_range("--max-batch-requests", o.max_batch_requests, 0, kMaxBatchSize);  // 0 = no cap of its own
  check_range("--max-concurrent-requests", o.max_concurrent_requests, 1, 65536);
  check_range("--max-client-batch-size", o.max_client_batch_size, 1, kMaxBatchSize);
  check_range("--payload-limit", o.payload_limit, 1, int64_t{1} << 32);
  check_range("--sessions", o.sessions, 1, kMaxThreads);
  check_range("--keep-alive", o.keep_alive_seconds, 1, 3600);
  checked_threads(o.threads);
}

// An encoder folder (BERT family) is served for embeddings or classification; a folder the
// encoder loader does not take (GPT-2, Marian, BART) for generation.
void load_model(const ServeOptions& o, serve::ServerContext& context, std::unique_ptr<serve::EncoderService>& encoder,
                std::unique_ptr<serve::GeneratorService>& generator) {
  EncoderOptions encoder_options;
  encoder_options.threads = static_cast<int>(o.threads);
  encoder_options.device = o.device;
  encoder_options.dtype = o.dtype;
  try {
    encoder = std::make_unique<serve::EncoderService>(Encoder::load(o.model, encoder_options), o, context.metrics);
    context.encoder = encoder.get();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Unsupported) throw;
    if (o.device != "cpu")
      fail(ErrorKind::Unsupported, std::string(e.what()) + " (generation runs on the CPU)");
    try {
      generator = std::make_unique<serve::GeneratorService>(
          Generator::load(o.model, {.threads = static_cast<int>(o.threads), .dtype = o.dtype}), o, context.metrics);
    } catch (const Error& g) {
      if (g.kind() != ErrorKind::Unsupported) throw;
      fail(ErrorKind::Unsupported, std::string(e.what()) + "; nor is it a supported generator: " + g.what());
    }
    context.generator = generator.get();
  }
  if (parse_device(o.device).kind == DeviceKind::Cpu) warn_if_slow_on_this_cpu(o.dtype);
}

void run_serve(const ServeOptions& o) {
  check_options(o);
  // SIGINT and SIGTERM are taken by one thread (sigwait) that stops the server; every other
  // thread (connections, batch workers, OpenMP) inherits the mask set here, before any starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-response is an error return, not a signal

  serve::ServerContext context;
  context.options = o;
  context.model_id = std::filesystem::path(o.model).lexically_normal().filename().string();
  if (context.model_id.empty()) context.model_id = std::filesystem::path(o.model).parent_path().filename().string();
  context.served_model_name = o.served_model_name.empty() ? context.model_id : o.served_model_name;
  std::unique_ptr<serve::EncoderService> encoder;
  std::unique_ptr<serve::GeneratorService> generator;
  load_model(o, context, encoder, generator);

  serve::Router router(context);
  serve::HttpServer server(router, context);
  const int port = server.bind(o.host, static_cast<int>(o.port));
  std::fprintf(stderr, "packformer serve: %s (%s) listening on http://%s:%d\n", context.model_id.c_str(),
               !encoder                                                   ? "generator"
               : encoder->kind() == serve::EncoderService::Kind::Embedding ? "embedding"
               : encoder->is_reranker()                                    ? "reranker"
                                                                           : "classifier",
               o.host.c_str(), port);
  std::fflush(stderr);

  std::atomic<bool> signalled{false};
  std::thread watcher([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    if (!signalled.exchange(true) && o.verbose) std::fprintf(stderr, "packformer serve: signal %d, stopping\n", signal);
    server.stop();
  });
  server.serve();
  // serve() returned without a signal (the listener failed): wake the watcher to end it.
  if (!signalled.load()) pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  if (encoder) encoder->close();  // every request was answered; the workers stop
  if (o.verbose) std::fprintf(stderr, "packformer serve: stopped\n");
}

}  // namespace

void register_serve_command(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "HTTP server with TEI's and OpenAI's APIs (docs/SERVING.md)");
  cmd->add_option("--model", o->model, "Hugging Face model folder")->required();
  cmd->add_option("--host", o->host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", o->port, "port to listen on (0: any free port, printed at start)")->capture_default_str();
  cmd->add_option("--max-batch-tokens", o->max_batch_tokens,
                  "most tokens per batch: real tokens on the packed path")
      ->capture_default_str();
  cmd->add_option("--max-batch-requests", o->max_batch_requests, "most sequences per batch (default: no cap)");
  cmd->add_option("--max-concurrent-requests", o->max_concurrent_requests,
                  "most sequences in flight; requests above it get 429")
      ->capture_default_str();
  cmd->add_option("--max-client-batch-size", o->max_client_batch_size,
                  "most inputs in one request; more get 413")
      ->capture_default_str();
  cmd->add_flag("--auto-truncate", o->auto_truncate,
                "inputs longer than the model's maximum are cut unless a request says truncate: false "
                "(--auto-truncate=false: refused with 422 unless it says truncate: true)")
      ->capture_default_str();
  cmd->add_option("--payload-limit", o->payload_limit, "most bytes in a request body; more get 413")
      ->capture_default_str();
  cmd->add_option("--api-key", o->api_key, "require \"Authorization: Bearer KEY\" on the model routes");
  cmd->add_option("--sessions", o->sessions, "batches (or generations) running at the same time, each with "
                                             "threads/sessions threads")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "threads (default: all cores)");
  cmd->add_option("--device", o->device, "where the encoder's fast path runs: cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "precision of the Linear layers: fp32 | bf16 | int8 (CPU) | fp16 (CUDA encoders)")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16", "int8"}))
      ->capture_default_str();
  cmd->add_option("--served-model-name", o->served_model_name,
                  "the model name the OpenAI routes return (default: the folder's name)");
  cmd->add_option("--keep-alive", o->keep_alive_seconds, "seconds an idle keep-alive connection stays open")
      ->capture_default_str();
  cmd->add_flag("--verbose", o->verbose, "log one line per request on stderr");
  cmd->callback([o] { run_serve(*o); });
}

}  // namespace packformer::cli
