// The encoder API: load a Hugging Face model folder (BERT, RoBERTa, XLM-R, MiniLM sentence
// encoders) and run it on batches of token ids or texts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "packformer/limits.h"
#include "packformer/session.h"

namespace packformer {

class Tokenizer;

// slow: padded batch, one plain op at a time (the reference). fast: fused kernels.
enum class ExecutionPath { Slow, Fast };

class Profiler;

struct RunOptions {
  ExecutionPath path = ExecutionPath::Fast;
  bool sparsity = true;  // fast path only: pack real tokens, never compute padding
  Profiler* profiler = nullptr;  // when set, per-op times are added to it (fast path)
};

// What a call should compute; heads that are not asked for cost nothing.
enum OutputFlag : unsigned {
  kHiddenStates = 1u << 0,
  kPoolerOutput = 1u << 1,
  kSentenceEmbedding = 1u << 2,
  kLogits = 1u << 3,
};

// A batch of sequences of possibly different lengths (no padding: the engine pads or packs).
struct EncoderInput {
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::vector<int32_t>> type_ids;  // empty = all zeros; else one per sequence, same lengths
};

struct EncoderOutput {
  int64_t hidden_size = 0;
  int64_t num_labels = 0;
  std::vector<int64_t> offsets;              // B + 1 row offsets into `hidden_states`
  std::vector<float> hidden_states;          // [total real tokens, hidden]: sequence b is rows offsets[b]..offsets[b+1]
  std::vector<float> pooler_output;          // [B, hidden]
  std::vector<float> sentence_embeddings;    // [B, hidden]
  std::vector<float> logits;                 // [B, num_labels]

  int64_t batch_size() const { return offsets.empty() ? 0 : static_cast<int64_t>(offsets.size()) - 1; }
  // [B, max_len, hidden] with exact zeros at padded positions.
  std::vector<float> padded_hidden_states() const;
};

struct ModelInfo {
  std::string model_type;
  int64_t vocab_size = 0, hidden_size = 0, num_layers = 0, num_heads = 0, intermediate_size = 0;
  int64_t max_length = 0;  // longest input in tokens: sentence-transformers' max_seq_length, else the position table
  int64_t pad_token_id = 0;
  int64_t type_vocab_size = 0;  // token type ids are < max(type_vocab_size, 1)
  bool has_pooler = false;
  bool has_sentence_pooling = false;  // a sentence-transformers folder
  int64_t num_labels = 0;             // 0 = no classification head
  std::map<int64_t, std::string> id2label;
  // sentence-transformers prompts (config_sentence_transformers.json): name -> text prepended
  // to each input, and the one used when the caller names none ("" = none).
  std::map<std::string, std::string> prompts;
  std::string default_prompt_name;
};

struct EncoderOptions {
  // Threads of Encoder::run and of sessions made without a count; 0 = all cores, at most
  // kMaxThreads (limits.h). Applies to this Encoder's calls only (the calling thread's OpenMP
  // setting is restored after each).
  int threads = 0;
  bool load_tokenizer = true;  // false when only token ids will be passed
  // Where the fast path runs: "cpu", "cuda" or "cuda:N" (weights are uploaded at load). The
  // slow path (the reference) and the heads always run on the CPU.
  std::string device = "cpu";
  // Precision of the fast path's matrix products, weights converted once at load: "fp32";
  // "bf16" (CPU and CUDA); "int8" on the CPU (weights per output channel, activations per row
  // at run time, int32 sums); "fp16" on CUDA. Embeddings, LayerNorm, softmax, attention and
  // the heads stay fp32. The slow path (the reference) is always fp32.
  std::string dtype = "fp32";
  // Most bytes one run() may allocate for a batch's activations and outputs (weights not
  // counted). Checked before allocating: a batch over it fails with ErrorKind::OutOfMemory.
  // 0 = half of the machine's physical RAM.
  uint64_t max_memory_bytes = 0;
};

struct EncoderCore;
class EncoderSession;

class Encoder {
 public:
  // Reads config.json, the safetensors weights and, when present, the tokenizer and the
  // sentence-transformers modules. Throws packformer::Error naming the file and field at fault.
  static std::unique_ptr<Encoder> load(const std::filesystem::path& dir, const EncoderOptions& options = {});
  ~Encoder();

  const ModelInfo& info() const;
  // Where the fast path runs, e.g. "cpu, fp32" or "cuda:0 (NVIDIA H100 80GB HBM3), fp16".
  std::string device_description() const;
  // Null when the folder has no tokenizer.
  const Tokenizer* tokenizer() const;

  // Runs the batch. Each sequence needs 1..info().max_length tokens, ids < vocab_size.
  // Thread-safe: concurrent calls take turns on the Encoder's own session. To run batches at
  // the same time, give each thread its own session (new_session).
  EncoderOutput run(const EncoderInput& input, unsigned outputs, const RunOptions& options = {}) const;
  // The same, reusing `output`'s buffers: once warm, the fast path allocates nothing.
  void run(const EncoderInput& input, unsigned outputs, const RunOptions& options, EncoderOutput& output) const;

  // A session runs this Encoder's model with its own workspace and thread count; the weights
  // are shared, never copied. Sessions run at the same time from different threads (one call
  // at a time per session) and may outlive the Encoder.
  std::unique_ptr<EncoderSession> new_session(const SessionOptions& options = {}) const;

  // Bytes run() would allocate for `input` with `options`, and the limit it checks them against.
  uint64_t memory_needed(const EncoderInput& input, const RunOptions& options = {}) const;
  uint64_t memory_limit() const;

  // The text to prepend to each input, as sentence-transformers' encode(prompt_name=, prompt=)
  // chooses it: `prompt` itself when not empty; else the folder's prompt named `prompt_name`;
  // else the folder's default_prompt_name's; else "". Throws InvalidInput naming the folder's
  // prompts when `prompt_name` is not one, and Unsupported when a prompt would apply to a
  // folder that pools without the prompt's tokens (1_Pooling include_prompt: false).
  std::string prompt_text(const std::string& prompt_name = "", const std::string& prompt = "") const;

  // Tokenizes texts with the folder's tokenizer, truncating to `max_length` tokens (0 = the
  // model's max_length). `truncated` (if given) receives how many texts were cut.
  EncoderInput tokenize(const std::vector<std::string>& texts, int64_t max_length = 0, size_t* truncated = nullptr) const;
  // Tokenizes text pairs (query, passage) as one sequence each, the way cross-encoders read
  // them: [CLS] a [SEP] b [SEP] with type ids 0 / 1 for BERT, <s> a </s></s> b </s> for
  // RoBERTa / XLM-R. Truncation is longest_first (the longer text is cut first). Throws
  // InvalidInput when the tokenizer gives a type id the model has no embedding for, and
  // Unsupported when the tokenizer has no pair form.
  EncoderInput tokenize_pairs(const std::vector<std::pair<std::string, std::string>>& pairs, int64_t max_length = 0,
                              size_t* truncated = nullptr) const;

 private:
  explicit Encoder(std::shared_ptr<const EncoderCore> core);
  std::shared_ptr<const EncoderCore> core_;
  std::unique_ptr<EncoderSession> session_;  // run()'s
  mutable std::mutex session_mutex_;
};

// One thread's context for running an Encoder's model: a workspace planned from the largest
// batch seen and reused, and a thread count. Not thread-safe itself: one call at a time.
class EncoderSession {
 public:
  ~EncoderSession();
  EncoderOutput run(const EncoderInput& input, unsigned outputs, const RunOptions& options = {});
  void run(const EncoderInput& input, unsigned outputs, const RunOptions& options, EncoderOutput& output);
  int threads() const { return threads_; }

 private:
  friend class Encoder;
  struct Workspace;
  EncoderSession(std::shared_ptr<const EncoderCore> core, int threads);
  std::shared_ptr<const EncoderCore> core_;
  int threads_;
  std::unique_ptr<Workspace> workspace_;
};

}  // namespace packformer
