// packformer::Encoder: loads a model folder into an EncoderCore shared by its sessions.
#include "packformer/encoder.h"

#include <algorithm>

#include "core/thread_count.h"
#include "models/encoder_core.h"
#include "models/memory_plan.h"
#include "models/registry.h"
#include "packformer/device.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"

namespace packformer {

namespace {

ModelInfo describe(const EncoderModel& model) {
  const EncoderConfig& c = model.config;
  ModelInfo info;
  info.model_type = c.model_type;
  info.vocab_size = c.vocab_size;
  info.hidden_size = c.hidden_size;
  info.num_layers = c.num_layers;
  info.num_heads = c.num_heads;
  info.intermediate_size = c.intermediate_size;
  info.max_length = c.max_sequence_length();
  if (c.sentence.max_seq_length > 0) info.max_length = std::min(info.max_length, c.sentence.max_seq_length);
  info.pad_token_id = c.pad_token_id;
  info.type_vocab_size = c.type_vocab_size;
  info.has_pooler = model.weights.has_pooler;
  info.has_sentence_pooling = c.sentence.present;
  info.num_labels = c.num_labels;
  info.id2label = c.id2label;
  info.prompts = c.sentence.prompts;
  info.default_prompt_name = c.sentence.default_prompt_name;
  return info;
}

// The folder's tokenizer; InvalidModel when it has none.
const Tokenizer& require_tokenizer(const EncoderCore& core) {
  if (!core.tokenizer)
    fail(ErrorKind::InvalidModel, core.model.dir.string() +
                                      ": no tokenizer found (tokenizer.json, a sentencepiece .model or vocab.txt); "
                                      "pass token ids with --ids instead");
  return *core.tokenizer;
}

// Truncation to `max_length` tokens, 0 (or more than the model takes) = the model's maximum.
EncodeOptions encode_options(const EncoderCore& core, int64_t max_length) {
  if (max_length <= 0 || max_length > core.info.max_length) max_length = core.info.max_length;
  EncodeOptions options;
  options.max_length = static_cast<size_t>(max_length);
  return options;
}

}  // namespace

std::vector<float> EncoderOutput::padded_hidden_states() const {
  const int64_t batch = batch_size();
  int64_t max_len = 0;
  for (int64_t b = 0; b < batch; ++b) max_len = std::max(max_len, offsets[b + 1] - offsets[b]);
  std::vector<float> padded(static_cast<size_t>(batch * max_len * hidden_size), 0.0f);
  for (int64_t b = 0; b < batch; ++b)
    std::copy(hidden_states.begin() + offsets[b] * hidden_size, hidden_states.begin() + offsets[b + 1] * hidden_size,
              padded.begin() + b * max_len * hidden_size);
  return padded;
}

Encoder::Encoder(std::shared_ptr<const EncoderCore> core)
    : core_(std::move(core)), session_(new_session()) {}
Encoder::~Encoder() = default;

std::unique_ptr<Encoder> Encoder::load(const std::filesystem::path& dir, const EncoderOptions& options) {
  check_thread_count(options.threads);
  // Options are checked before the (possibly large) model is read.
  const Device device = parse_device(options.device);
  const Precision dtype = parse_precision(options.dtype);
  check_precision_on(dtype, device.kind);
  if (device.kind == DeviceKind::Cuda) {
    std::string reason;
    const int count = cuda_device_count(&reason);
    if (!cuda_built()) fail(ErrorKind::Unsupported, "--device " + options.device + ": " + reason);
    if (count == 0)
      fail(ErrorKind::InvalidInput, "--device " + options.device + ": no CUDA device (" + reason + ")");
  }
  auto core = std::make_shared<EncoderCore>();
  core->threads = resolve_threads(options.threads);
  // Loading packs weights with OpenMP: it uses the requested threads too.
  const ScopedThreadCount threads(core->threads);
  core->model = load_encoder_model(dir);
  core->info = describe(core->model);
  core->memory_limit = options.max_memory_bytes > 0 ? options.max_memory_bytes : default_memory_limit();
  if (device.kind == DeviceKind::Cuda && core->model.config.relative_attention_buckets > 0)
    fail(ErrorKind::Unsupported, dir.string() + ": model_type '" + core->model.config.model_type +
                                     "' (relative position bias) runs on the CPU only; the CUDA attention has no bias");
  if (device.kind == DeviceKind::Cuda) core->device = make_cuda_encoder(core->model, device.index, dtype);
  else core->fast = std::make_unique<FastEncoder>(core->model, dtype);
  if (options.load_tokenizer && Tokenizer::find_in_model_dir(dir)) core->tokenizer = Tokenizer::from_model_dir(dir);
  return std::unique_ptr<Encoder>(new Encoder(std::move(core)));
}

const ModelInfo& Encoder::info() const { return core_->info; }
std::string Encoder::device_description() const {
  if (core_->device) return core_->device->description();
  const Precision dtype = core_->fast->dtype();
  return std::string("cpu, ") + precision_name(dtype) +
         (cpu_has_fast(dtype) ? "" : " (this CPU lacks its fast instructions: slower than it could be)");
}
const Tokenizer* Encoder::tokenizer() const { return core_->tokenizer.get(); }
uint64_t Encoder::memory_limit() const { return core_->memory_limit; }

std::unique_ptr<EncoderSession> Encoder::new_session(const SessionOptions& options) const {
  check_thread_count(options.threads);
  const int threads = options.threads > 0 ? options.threads : core_->threads;
  return std::unique_ptr<EncoderSession>(new EncoderSession(core_, threads));
}

uint64_t Encoder::memory_needed(const EncoderInput& input, const RunOptions& options) const {
  return batch_memory_bytes(core_->model.config, batch_shape(input), options);
}

EncoderOutput Encoder::run(const EncoderInput& input, unsigned outputs, const RunOptions& options) const {
  const std::lock_guard<std::mutex> lock(session_mutex_);
  return session_->run(input, outputs, options);
}

void Encoder::run(const EncoderInput& input, unsigned outputs, const RunOptions& options, EncoderOutput& output) const {
  const std::lock_guard<std::mutex> lock(session_mutex_);
  session_->run(input, outputs, options, output);
}

std::string Encoder::prompt_text(const std::string& prompt_name, const std::string& prompt) const {
  const SentencePooling& sentence = core_->model.config.sentence;
  std::string text = prompt;
  if (text.empty()) {
    const std::string& name = prompt_name.empty() ? sentence.default_prompt_name : prompt_name;
    if (name.empty()) return "";
    const auto found = sentence.prompts.find(name);
    if (found == sentence.prompts.end()) {
      std::string known;
      for (const auto& [key, value] : sentence.prompts) known += (known.empty() ? "" : ", ") + key;
      fail(ErrorKind::InvalidInput, "prompt_name '" + name + "' is not one of the folder's prompts (" +
                                        (known.empty() ? "it has none" : known) + "; config_sentence_transformers.json)");
    }
    text = found->second;
  }
  if (!text.empty() && !sentence.include_prompt)
    fail(ErrorKind::Unsupported, core_->model.dir.string() + ": 1_Pooling/config.json sets include_prompt false "
                                                             "(pooling without the prompt's tokens), which is not supported");
  return text;
}

EncoderInput Encoder::tokenize(const std::vector<std::string>& texts, int64_t max_length, size_t* truncated) const {
  const Tokenizer& tokenizer = require_tokenizer(*core_);
  const EncodeOptions options = encode_options(*core_, max_length);
  EncoderInput input;
  size_t cut = 0;
  for (const auto& text : texts) {
    Encoding encoding = tokenizer.encode(text, options);
    cut += encoding.truncated ? 1 : 0;
    input.ids.push_back(std::move(encoding.ids));
    input.type_ids.push_back(std::move(encoding.type_ids));
  }
  if (truncated) *truncated = cut;
  return input;
}

EncoderInput Encoder::tokenize_pairs(const std::vector<std::pair<std::string, std::string>>& pairs, int64_t max_length,
                                     size_t* truncated) const {
  const Tokenizer& tokenizer = require_tokenizer(*core_);
  const EncodeOptions options = encode_options(*core_, max_length);
  // Type ids index the token-type embedding; a model without one (DistilBERT) reads only 0.
  const int64_t type_count = std::max<int64_t>(core_->info.type_vocab_size, 1);
  EncoderInput input;
  size_t cut = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    Encoding encoding = tokenizer.encode_pair(pairs[i].first, pairs[i].second, options);
    for (int32_t type : encoding.type_ids)
      if (type < 0 || type >= type_count)
        fail(ErrorKind::InvalidInput,
             "pair " + std::to_string(i + 1) + ": the tokenizer gives token type id " + std::to_string(type) +
                 " but the model (type_vocab_size " + std::to_string(core_->info.type_vocab_size) +
                 ") has type ids [0, " + std::to_string(type_count) + ") only: its tokenizer does not match it");
    cut += encoding.truncated ? 1 : 0;
    input.ids.push_back(std::move(encoding.ids));
    input.type_ids.push_back(std::move(encoding.type_ids));
  }
  if (truncated) *truncated = cut;
  return input;
}

}  // namespace packformer
