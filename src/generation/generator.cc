// packformer::Generator: loads a generation model and its tokenizer into a GeneratorCore
// shared by its sessions; a GeneratorSession runs the search with its own KV cache.
#include "packformer/generator.h"

#include "packformer/device.h"

#include "core/memory_limit.h"
#include "core/thread_count.h"
#include "generation/search.h"
#include "models/generation_registry.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"

namespace packformer {

// Immutable after load. `loaded.model` holds the weights; sessions run copies of it that
// share them (StepModel::new_session), so it is only asked const questions itself.
struct GeneratorCore {
  GenerationModel loaded;
  std::unique_ptr<Tokenizer> tokenizer;
  std::filesystem::path dir;
  uint64_t memory_limit = 0;
  int threads = 0;  // GeneratorLoadOptions::threads, resolved

  const Tokenizer& checked_tokenizer() const {
    if (!tokenizer)
      fail(ErrorKind::InvalidInput, dir.string() + ": no tokenizer loaded (the folder has no tokenizer.json, "
                                                   "sentencepiece model or vocab.txt); give token ids instead");
    return *tokenizer;
  }
};

namespace {
// The folder's defaults fill what the caller left unset.
GenerationOptions with_folder_defaults(const GenerationOptions& options, const GenerationModel& loaded) {
  GenerationOptions resolved = options;
  if (!resolved.forced_bos_token_id) resolved.forced_bos_token_id = loaded.forced_bos_token_id;
  if (!resolved.forced_eos_token_id) resolved.forced_eos_token_id = loaded.forced_eos_token_id;
  if (!resolved.bad_token_ids) resolved.bad_token_ids = loaded.bad_token_ids;
  return resolved;
}

const std::vector<int32_t>& eos_ids(const GenerationOptions& options, const GenerationModel& loaded) {
  return options.eos_token_ids ? *options.eos_token_ids : loaded.eos_token_ids;
}
}  // namespace

Generator::Generator(std::shared_ptr<const GeneratorCore> core)
    : core_(std::move(core)), session_(new_session()) {}
Generator::~Generator() = default;

std::unique_ptr<Generator> Generator::load(const std::filesystem::path& dir, const GeneratorLoadOptions& options) {
  check_thread_count(options.threads);
  const Precision dtype = parse_precision(options.dtype);
  if (dtype == Precision::F16)
    fail(ErrorKind::InvalidInput, "dtype fp16 is not available for generation, which runs on the CPU: use fp32, bf16 or int8");
  auto core = std::make_shared<GeneratorCore>();
  core->threads = resolve_threads(options.threads);
  const ScopedThreadCount threads(core->threads);
  core->dir = dir;
  core->memory_limit = options.max_memory_bytes > 0 ? options.max_memory_bytes : default_memory_limit();
  core->loaded = load_generation_model(dir, dtype);
  if (options.load_tokenizer && Tokenizer::find_in_model_dir(dir)) core->tokenizer = Tokenizer::from_model_dir(dir);
  return std::unique_ptr<Generator>(new Generator(std::move(core)));
}

std::unique_ptr<GeneratorSession> Generator::new_session(const SessionOptions& options) const {
  check_thread_count(options.threads);
  const int threads = options.threads > 0 ? options.threads : core_->threads;
  return std::unique_ptr<GeneratorSession>(new GeneratorSession(core_, threads));
}

GeneratedIds Generator::generate(const std::vector<std::vector<int32_t>>& prompts, const GenerationOptions& options,
                                 const TokenCallback& on_token) {
  const std::lock_guard<std::mutex> lock(session_mutex_);
  return session_->generate(prompts, options, on_token);
}

std::vector<std::vector<std::string>> Generator::generate_text(const std::vector<std::string>& texts,
                                                               const GenerationOptions& options,
                                                               const TokenCallback& on_token) {
  const std::lock_guard<std::mutex> lock(session_mutex_);
  return session_->generate_text(texts, options, on_token);
}

uint64_t Generator::memory_needed(const std::vector<std::vector<int32_t>>& prompts,
                                  const GenerationOptions& options) const {
  const GenerationModel& loaded = core_->loaded;
  const GenerationOptions resolved = with_folder_defaults(options, loaded);
  check_generation_request(*loaded.model, prompts, resolved, eos_ids(options, loaded));
  return generation_memory_bytes(*loaded.model, prompts, resolved, eos_ids(options, loaded));
}

const Tokenizer& Generator::tokenizer() const { return core_->checked_tokenizer(); }
std::string Generator::model_type() const { return core_->loaded.model_type; }
int64_t Generator::vocab_size() const { return core_->loaded.model->vocab_size(); }
int64_t Generator::input_vocab_size() const { return core_->loaded.input_vocab_size; }
uint64_t Generator::memory_limit() const { return core_->memory_limit; }
int64_t Generator::max_positions() const { return core_->loaded.model->max_positions(); }
std::vector<int32_t> Generator::default_eos_token_ids() const { return core_->loaded.eos_token_ids; }
bool Generator::is_encoder_decoder() const { return core_->loaded.encoder_decoder; }

GeneratorSession::GeneratorSession(std::shared_ptr<const GeneratorCore> core, int threads)
    : core_(std::move(core)), threads_(threads), model_(core_->loaded.model->new_session()) {}
GeneratorSession::~GeneratorSession() = default;

GeneratedIds GeneratorSession::generate(const std::vector<std::vector<int32_t>>& prompts,
                                        const GenerationOptions& options, const TokenCallback& on_token) {
  const GenerationModel& loaded = core_->loaded;
  const ScopedThreadCount threads(threads_);
  return run_search(*model_, prompts, with_folder_defaults(options, loaded), eos_ids(options, loaded),
                    core_->memory_limit, on_token);
}

std::vector<std::vector<std::string>> GeneratorSession::generate_text(const std::vector<std::string>& texts,
                                                                      const GenerationOptions& options,
                                                                      const TokenCallback& on_token) {
  const Tokenizer& tok = core_->checked_tokenizer();
  std::vector<std::vector<int32_t>> prompts;
  for (const std::string& text : texts) prompts.push_back(tok.encode(text).ids);
  const GeneratedIds ids = generate(prompts, options, on_token);
  std::vector<std::vector<std::string>> out(ids.size());
  for (size_t p = 0; p < ids.size(); ++p)
    for (const auto& sequence : ids[p]) out[p].push_back(tok.decode(sequence, true));
  return out;
}

}  // namespace packformer
