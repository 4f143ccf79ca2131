// packformer::Generator: loads a generation model and its tokenizer, runs the search.
#include "packformer/generator.h"

#include <omp.h>

#include "core/memory_limit.h"
#include "core/thread_count.h"
#include "generation/search.h"
#include "models/generation_registry.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"

namespace packformer {

struct Generator::Impl {
  GenerationModel loaded;
  std::unique_ptr<Tokenizer> tokenizer;
  std::filesystem::path dir;
  uint64_t memory_limit = 0;
};

Generator::Generator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Generator::~Generator() = default;

std::unique_ptr<Generator> Generator::load(const std::filesystem::path& dir, const GeneratorLoadOptions& options) {
  check_thread_count(options.threads);
  if (options.threads > 0) omp_set_num_threads(options.threads);
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->memory_limit = options.max_memory_bytes > 0 ? options.max_memory_bytes : default_memory_limit();
  impl->loaded = load_generation_model(dir);
  if (options.load_tokenizer && Tokenizer::find_in_model_dir(dir)) impl->tokenizer = Tokenizer::from_model_dir(dir);
  return std::unique_ptr<Generator>(new Generator(std::move(impl)));
}

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

GeneratedIds Generator::generate(const std::vector<std::vector<int32_t>>& prompts, const GenerationOptions& options,
                                 const TokenCallback& on_token) {
  const GenerationModel& loaded = impl_->loaded;
  return run_search(*loaded.model, prompts, with_folder_defaults(options, loaded), eos_ids(options, loaded),
                    impl_->memory_limit, on_token);
}

uint64_t Generator::memory_needed(const std::vector<std::vector<int32_t>>& prompts,
                                  const GenerationOptions& options) const {
  const GenerationModel& loaded = impl_->loaded;
  const GenerationOptions resolved = with_folder_defaults(options, loaded);
  check_generation_request(*loaded.model, prompts, resolved, eos_ids(options, loaded));
  return generation_memory_bytes(*loaded.model, prompts, resolved, eos_ids(options, loaded));
}

std::vector<std::vector<std::string>> Generator::generate_text(const std::vector<std::string>& texts,
                                                               const GenerationOptions& options,
                                                               const TokenCallback& on_token) {
  const Tokenizer& tok = tokenizer();
  std::vector<std::vector<int32_t>> prompts;
  for (const std::string& text : texts) prompts.push_back(tok.encode(text).ids);
  const GeneratedIds ids = generate(prompts, options, on_token);
  std::vector<std::vector<std::string>> out(ids.size());
  for (size_t p = 0; p < ids.size(); ++p)
    for (const auto& sequence : ids[p]) out[p].push_back(tok.decode(sequence, true));
  return out;
}

const Tokenizer& Generator::tokenizer() const {
  if (!impl_->tokenizer)
    fail(ErrorKind::InvalidInput, impl_->dir.string() + ": no tokenizer loaded (the folder has no tokenizer.json, "
                                                        "sentencepiece model or vocab.txt); give token ids instead");
  return *impl_->tokenizer;
}

std::string Generator::model_type() const { return impl_->loaded.model_type; }
int64_t Generator::vocab_size() const { return impl_->loaded.model->vocab_size(); }
int64_t Generator::input_vocab_size() const { return impl_->loaded.input_vocab_size; }
uint64_t Generator::memory_limit() const { return impl_->memory_limit; }
int64_t Generator::max_positions() const { return impl_->loaded.model->max_positions(); }
std::vector<int32_t> Generator::default_eos_token_ids() const { return impl_->loaded.eos_token_ids; }
bool Generator::is_encoder_decoder() const { return impl_->loaded.encoder_decoder; }

}  // namespace packformer
