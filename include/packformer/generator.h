// Text generation with decoder models (GPT-2) and encoder-decoder translation models (Marian,
// BART), as transformers' `generate` does it:
// greedy search, sampling (temperature, top-k, top-p, repetition penalty, seeded) and beam
// search (length penalty, early stopping, several returned sequences, no-repeat n-grams).
// Prompts of different lengths are prefilled packed (no padding is computed); the KV cache
// is allocated once per call, for every row at its maximum length. For an encoder-decoder
// model the "prompts" are the sources: the new tokens are the translation (the decoder start
// token is not returned).
//
//   auto generator = packformer::Generator::load("tiny-gpt2");
//   packformer::GenerationOptions options;
//   options.max_new_tokens = 32;
//   auto texts = generator->generate_text({"Hello"}, options);
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "packformer/limits.h"
#include "packformer/session.h"

namespace packformer {

class StepModel;

class Tokenizer;

// transformers' `early_stopping`: False, True or "never".
enum class EarlyStopping {
  Heuristic,  // False: stop a prompt once no running beam can beat the finished ones (at the current length)
  Stop,       // True: stop a prompt once num_beams sequences have finished
  Never,      // "never": the canonical bound (at the maximum length when length_penalty > 0)
};

struct GenerationOptions {
  int64_t max_new_tokens = 20;  // 1 .. kMaxNewTokens (limits.h), and what the positions allow
  // Sampling. Defaults as transformers' GenerationConfig: top_k 50 applies when sampling.
  bool do_sample = false;
  float temperature = 1.0f;
  int64_t top_k = 50;  // 0 = off
  float top_p = 1.0f;  // 1 = off
  uint64_t seed = 0;   // same seed, same options, same prompts: same tokens
  // Applies to greedy, sampling and beam search; counts the prompt's tokens too.
  float repetition_penalty = 1.0f;
  int64_t no_repeat_ngram_size = 0;  // 0 = off
  // Beam search (num_beams > 1).
  int64_t num_beams = 1;  // 1 .. kMaxBeams
  float length_penalty = 1.0f;
  EarlyStopping early_stopping = EarlyStopping::Heuristic;
  // Sequences returned per prompt: <= num_beams with beam search; independent samples when
  // sampling; 1 for greedy search.
  int64_t num_return_sequences = 1;  // 1 .. kMaxReturnSequences
  // Generation stops at any of these; empty = the model folder's (generation_config.json,
  // else config.json). The EOS token is part of the returned tokens, as in transformers.
  std::optional<std::vector<int32_t>> eos_token_ids;
  // transformers' forced_bos_token_id (the first new token) and forced_eos_token_id (the new
  // token at max_new_tokens). Unset = the model folder's; -1 = none.
  std::optional<int32_t> forced_bos_token_id, forced_eos_token_id;
  // Tokens never generated (bad_words_ids of one token; Marian folders ban <pad>). Unset = the
  // model folder's. EOS ids are never banned (as in transformers).
  std::optional<std::vector<int32_t>> bad_token_ids;
};

// Called for each generated token as soon as it is final: at every step for greedy search and
// sampling, when a prompt's search has finished for beam search (the tokens of its best
// sequence, in order). `sequence` counts the prompt's returned sequences.
using TokenCallback = std::function<void(size_t prompt, size_t sequence, int32_t token)>;

// Per prompt, its num_return_sequences sequences of new token ids (best first for beams).
using GeneratedIds = std::vector<std::vector<std::vector<int32_t>>>;

struct GeneratorLoadOptions {
  // Threads of load and generate(); 0 = all cores, at most kMaxThreads (limits.h). Applies to
  // this Generator's calls only (the calling thread's OpenMP setting is restored after each).
  int threads = 0;
  bool load_tokenizer = true;
  // A generate call needing more bytes than this (KV cache, activations, logits; the weights
  // are not counted) is refused with an OutOfMemory error before anything is allocated.
  // 0 = half of physical RAM.
  uint64_t max_memory_bytes = 0;
  // Precision of every Linear layer, the LM head included: "fp32", "bf16" or "int8" (weights
  // converted once at load; see EncoderOptions::dtype). LayerNorm, attention, the KV cache and
  // the search stay fp32.
  std::string dtype = "fp32";
};

struct GeneratorCore;
class GeneratorSession;

class Generator {
 public:
  // Loads a model folder (config.json, model.safetensors, tokenizer.json). Unsupported
  // architectures (encoders, unknown model_type) are refused with an Unsupported error.
  static std::unique_ptr<Generator> load(const std::filesystem::path& dir, const GeneratorLoadOptions& options = {});
  ~Generator();

  // Thread-safe: concurrent calls take turns on the Generator's own session (its KV cache is
  // reused across calls). To generate at the same time, give each thread a session.
  // `on_token` runs while the session is held: it must not call this Generator's generate().
  GeneratedIds generate(const std::vector<std::vector<int32_t>>& prompts, const GenerationOptions& options,
                        const TokenCallback& on_token = {});
  // The bytes generate() would allocate for these prompts and options (what max_memory_bytes
  // is compared with), without running; the request is checked as generate() checks it.
  uint64_t memory_needed(const std::vector<std::vector<int32_t>>& prompts, const GenerationOptions& options) const;
  uint64_t memory_limit() const;  // GeneratorLoadOptions::max_memory_bytes, or the default
  // Texts in (tokenized as the folder's tokenizer does by default), texts out (the new
  // tokens decoded, special tokens skipped); per prompt, num_return_sequences texts.
  std::vector<std::vector<std::string>> generate_text(const std::vector<std::string>& texts,
                                                      const GenerationOptions& options,
                                                      const TokenCallback& on_token = {});

  const Tokenizer& tokenizer() const;  // throws InvalidInput when loaded without one
  std::string model_type() const;
  int64_t vocab_size() const;        // ids the model generates
  int64_t input_vocab_size() const;  // ids a prompt / source may hold (Marian: the source vocabulary)
  int64_t max_positions() const;
  std::vector<int32_t> default_eos_token_ids() const;
  // Marian and BART: prompts are sources for the encoder; the output is a new sequence.
  bool is_encoder_decoder() const;

  // A session generates with this Generator's weights (shared, never copied) and its own KV
  // cache, workspace and thread count; sessions run at the same time from different threads
  // (one call at a time per session) and may outlive the Generator.
  std::unique_ptr<GeneratorSession> new_session(const SessionOptions& options = {}) const;

 private:
  explicit Generator(std::shared_ptr<const GeneratorCore> core);
  std::shared_ptr<const GeneratorCore> core_;
  std::unique_ptr<GeneratorSession> session_;  // generate()'s
  mutable std::mutex session_mutex_;
};

// One thread's context for generating with a Generator's model. Not thread-safe itself.
class GeneratorSession {
 public:
  ~GeneratorSession();
  // As Generator::generate / generate_text.
  GeneratedIds generate(const std::vector<std::vector<int32_t>>& prompts, const GenerationOptions& options,
                        const TokenCallback& on_token = {});
  std::vector<std::vector<std::string>> generate_text(const std::vector<std::string>& texts,
                                                      const GenerationOptions& options,
                                                      const TokenCallback& on_token = {});
  int threads() const { return threads_; }

 private:
  friend class Generator;
  GeneratorSession(std::shared_ptr<const GeneratorCore> core, int threads);
  std::shared_ptr<const GeneratorCore> core_;
  int threads_;
  std::unique_ptr<StepModel> model_;
};

}  // namespace packformer
