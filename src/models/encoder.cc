// packformer::Encoder: validates batches and dispatches them to an execution path.
#include "packformer/encoder.h"

#include <omp.h>

#include <algorithm>

#include "core/thread_count.h"
#include "models/device_encoder.h"
#include "models/encoder_forward.h"
#include "models/fast_encoder.h"
#include "models/input_checks.h"
#include "models/memory_plan.h"
#include "models/registry.h"
#include "packformer/device.h"
#include "packformer/error.h"
#include "packformer/tokenizer.h"

namespace packformer {

struct Encoder::Impl {
  EncoderModel model;
  ModelInfo info;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<FastEncoder> fast;  // packed weights and the planned workspace (device cpu)
  std::unique_ptr<DeviceEncoder> device;  // the fast path on an accelerator (device cuda)
  uint64_t memory_limit = 0;
};

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
  info.has_pooler = model.weights.has_pooler;
  info.has_sentence_pooling = c.sentence.present;
  info.num_labels = c.num_labels;
  info.id2label = c.id2label;
  return info;
}

void validate(const EncoderConfig& c, const EncoderInput& input) {
  if (input.ids.empty()) fail(ErrorKind::InvalidInput, "the batch is empty");
  if (!input.type_ids.empty() && input.type_ids.size() != input.ids.size())
    fail(ErrorKind::InvalidInput, "type_ids has " + std::to_string(input.type_ids.size()) + " sequences but ids has " +
                                      std::to_string(input.ids.size()));
  const int64_t max_length = c.max_sequence_length();
  for (size_t b = 0; b < input.ids.size(); ++b) {
    const auto& ids = input.ids[b];
    // Built only on error: validation must not allocate on the hot path.
    const auto where = [b] { return "sequence " + std::to_string(b) + ": "; };
    if (ids.empty()) fail(ErrorKind::InvalidInput, where() + "has no tokens");
    if (static_cast<int64_t>(ids.size()) > max_length)
      fail(ErrorKind::InvalidInput, where() + "has " + std::to_string(ids.size()) + " tokens; the model accepts at most " +
                                        std::to_string(max_length) + " (truncate with --max-length)");
    check_ids_in_vocabulary(ids, c.vocab_size, where);
    if (input.type_ids.empty()) continue;
    const auto& types = input.type_ids[b];
    if (types.size() != ids.size())
      fail(ErrorKind::InvalidInput, where() + "has " + std::to_string(types.size()) + " type ids for " +
                                        std::to_string(ids.size()) + " tokens");
    for (int32_t type : types)
      if (type < 0 || type >= std::max<int64_t>(c.type_vocab_size, 1))
        fail(ErrorKind::InvalidInput, where() + "token type id " + std::to_string(type) + " is outside [0, " +
                                          std::to_string(std::max<int64_t>(c.type_vocab_size, 1)) + ")");
  }
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

Encoder::Encoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Encoder::~Encoder() = default;

std::unique_ptr<Encoder> Encoder::load(const std::filesystem::path& dir, const EncoderOptions& options) {
  check_thread_count(options.threads);
  if (options.threads > 0) omp_set_num_threads(options.threads);
  // Options are checked before the (possibly large) model is read.
  const Device device = parse_device(options.device);
  const Precision dtype = parse_precision(options.dtype);
  if (device.kind == DeviceKind::Cpu && dtype != Precision::F32)
    fail(ErrorKind::InvalidInput, std::string("dtype ") + precision_name(dtype) +
                                      " needs a CUDA device (--device cuda): the CPU paths compute in fp32");
  if (device.kind == DeviceKind::Cuda) {
    std::string reason;
    const int count = cuda_device_count(&reason);
    if (!cuda_built()) fail(ErrorKind::Unsupported, "--device " + options.device + ": " + reason);
    if (count == 0)
      fail(ErrorKind::InvalidInput, "--device " + options.device + ": no CUDA device (" + reason + ")");
  }
  auto impl = std::make_unique<Impl>();
  impl->model = load_encoder_model(dir);
  impl->info = describe(impl->model);
  impl->memory_limit = options.max_memory_bytes > 0 ? options.max_memory_bytes : default_memory_limit();
  if (device.kind == DeviceKind::Cuda) impl->device = make_cuda_encoder(impl->model, device.index, dtype);
  else impl->fast = std::make_unique<FastEncoder>(impl->model);
  if (options.load_tokenizer && Tokenizer::find_in_model_dir(dir)) impl->tokenizer = Tokenizer::from_model_dir(dir);
  return std::unique_ptr<Encoder>(new Encoder(std::move(impl)));
}

const ModelInfo& Encoder::info() const { return impl_->info; }
std::string Encoder::device_description() const {
  return impl_->device ? impl_->device->description() : std::string("cpu, fp32");
}
const Tokenizer* Encoder::tokenizer() const { return impl_->tokenizer.get(); }
uint64_t Encoder::memory_limit() const { return impl_->memory_limit; }

uint64_t Encoder::memory_needed(const EncoderInput& input, const RunOptions& options) const {
  BatchShape shape;
  shape.batch = static_cast<int64_t>(input.ids.size());
  for (const auto& ids : input.ids) {
    shape.max_len = std::max<int64_t>(shape.max_len, static_cast<int64_t>(ids.size()));
    shape.total += static_cast<int64_t>(ids.size());
  }
  return batch_memory_bytes(impl_->model.config, shape, options);
}

EncoderOutput Encoder::run(const EncoderInput& input, unsigned outputs, const RunOptions& options) const {
  EncoderOutput output;
  run(input, outputs, options, output);
  if (!(outputs & kHiddenStates)) {
    output.hidden_states.clear();
    output.hidden_states.shrink_to_fit();
  }
  return output;
}

void Encoder::run(const EncoderInput& input, unsigned outputs, const RunOptions& options, EncoderOutput& output) const {
  const EncoderModel& model = impl_->model;
  validate(model.config, input);
  check_memory(memory_needed(input, options), impl_->memory_limit, options);
  output.hidden_size = model.config.hidden_size;
  output.num_labels = model.config.num_labels;
  output.offsets.resize(input.ids.size() + 1);
  output.offsets[0] = 0;
  for (size_t b = 0; b < input.ids.size(); ++b)
    output.offsets[b + 1] = output.offsets[b] + static_cast<int64_t>(input.ids[b].size());
  if (options.path == ExecutionPath::Slow) run_slow_path(model, input, output);
  else if (impl_->device) impl_->device->run(input, options.sparsity, output, options.profiler);
  else impl_->fast->run(input, options.sparsity, output, options.profiler);
  apply_heads(model, outputs, output);
}

EncoderInput Encoder::tokenize(const std::vector<std::string>& texts, int64_t max_length, size_t* truncated) const {
  if (!impl_->tokenizer)
    fail(ErrorKind::InvalidModel, impl_->model.dir.string() +
                                      ": no tokenizer found (tokenizer.json, a sentencepiece .model or vocab.txt); "
                                      "pass token ids with --ids instead");
  if (max_length <= 0 || max_length > impl_->info.max_length) max_length = impl_->info.max_length;
  EncodeOptions options;
  options.max_length = static_cast<size_t>(max_length);
  EncoderInput input;
  size_t cut = 0;
  for (const auto& text : texts) {
    Encoding encoding = impl_->tokenizer->encode(text, options);
    cut += encoding.truncated ? 1 : 0;
    input.ids.push_back(std::move(encoding.ids));
    input.type_ids.push_back(std::move(encoding.type_ids));
  }
  if (truncated) *truncated = cut;
  return input;
}

}  // namespace packformer
