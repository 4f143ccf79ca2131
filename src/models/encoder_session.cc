// packformer::EncoderSession: validates a batch and runs it on an execution path with the
// session's own workspace and thread count.
#include <algorithm>

#include "core/thread_count.h"
#include "models/encoder_core.h"
#include "models/encoder_forward.h"
#include "models/input_checks.h"
#include "models/memory_plan.h"
#include "packformer/encoder.h"
#include "packformer/error.h"

namespace packformer {

struct EncoderSession::Workspace {
  FastWorkspace fast;
};

namespace {

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

EncoderSession::EncoderSession(std::shared_ptr<const EncoderCore> core, int threads)
    : core_(std::move(core)), threads_(threads), workspace_(std::make_unique<Workspace>()) {}
EncoderSession::~EncoderSession() = default;

EncoderOutput EncoderSession::run(const EncoderInput& input, unsigned outputs, const RunOptions& options) {
  EncoderOutput output;
  run(input, outputs, options, output);
  if (!(outputs & kHiddenStates)) {
    output.hidden_states.clear();
    output.hidden_states.shrink_to_fit();
  }
  return output;
}

void EncoderSession::run(const EncoderInput& input, unsigned outputs, const RunOptions& options, EncoderOutput& output) {
  const EncoderCore& core = *core_;
  const EncoderModel& model = core.model;
  validate(model.config, input);
  check_memory(batch_memory_bytes(model.config, batch_shape(input), options), core.memory_limit, options);
  const ScopedThreadCount threads(threads_);
  output.hidden_size = model.config.hidden_size;
  output.num_labels = model.config.num_labels;
  output.offsets.resize(input.ids.size() + 1);
  output.offsets[0] = 0;
  for (size_t b = 0; b < input.ids.size(); ++b)
    output.offsets[b + 1] = output.offsets[b] + static_cast<int64_t>(input.ids[b].size());
  if (options.path == ExecutionPath::Slow) {
    run_slow_path(model, input, output);
  } else if (core.device) {
    const std::lock_guard<std::mutex> lock(core.device_mutex);
    core.device->run(input, options.sparsity, output, options.profiler);
  } else {
    core.fast->run(input, options.sparsity, output, options.profiler, workspace_->fast);
  }
  apply_heads(model, outputs, output);
}

}  // namespace packformer
