#include "generation/search.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/memory_limit.h"
#include "packformer/error.h"

namespace packformer {

void validate_generation_options(const GenerationOptions& o, int64_t vocab_size) {
  const auto bad = [](const std::string& what) { fail(ErrorKind::InvalidInput, what); };
  // The counts that size the KV cache, the logits and the beam candidates (limits.h says why
  // these bounds).
  const auto in_range = [&](const char* name, int64_t value, int64_t largest) {
    if (value < 1 || value > largest)
      bad(std::string(name) + " must be in [1, " + std::to_string(largest) + "] (got " + std::to_string(value) + ")");
  };
  in_range("max_new_tokens", o.max_new_tokens, kMaxNewTokens);
  in_range("num_beams", o.num_beams, kMaxBeams);
  in_range("num_return_sequences", o.num_return_sequences, kMaxReturnSequences);
  if (!(o.repetition_penalty > 0.0f) || !std::isfinite(o.repetition_penalty))
    bad("repetition_penalty must be a positive number");
  if (o.no_repeat_ngram_size < 0) bad("no_repeat_ngram_size must be >= 0");
  if (o.do_sample) {
    if (o.num_beams > 1)
      fail(ErrorKind::Unsupported, "sampling with num_beams > 1 (beam sampling) is not supported");
    if (!(o.temperature > 0.0f) || !std::isfinite(o.temperature))
      bad("temperature must be a positive number (got " + std::to_string(o.temperature) + ")");
    if (o.top_k < 0) bad("top_k must be >= 0 (0 = off)");
    if (!(o.top_p > 0.0f && o.top_p <= 1.0f)) bad("top_p must be in (0, 1] (got " + std::to_string(o.top_p) + ")");
  } else if (o.num_beams == 1 && o.num_return_sequences > 1) {
    bad("greedy search returns one sequence per prompt: num_return_sequences must be 1 without sampling or beams");
  }
  const auto check_id = [&](int64_t id, const char* what, bool none_allowed) {
    if ((none_allowed && id == -1) || (id >= 0 && id < vocab_size)) return;
    bad(std::string(what) + " " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(vocab_size) +
        ")" + (none_allowed ? " (-1 = none)" : ""));
  };
  if (o.forced_bos_token_id) check_id(*o.forced_bos_token_id, "forced_bos_token_id", true);
  if (o.forced_eos_token_id) check_id(*o.forced_eos_token_id, "forced_eos_token_id", true);
  if (o.bad_token_ids)
    for (int32_t id : *o.bad_token_ids) check_id(id, "bad token id", false);
  if (o.num_beams > 1) {
    if (o.num_return_sequences > o.num_beams)
      bad("num_return_sequences (" + std::to_string(o.num_return_sequences) + ") must be <= num_beams (" +
          std::to_string(o.num_beams) + ")");
    if (!std::isfinite(o.length_penalty)) bad("length_penalty must be a finite number");
  }
}

void check_generation_request(const StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                              const GenerationOptions& options, const std::vector<int32_t>& eos_token_ids) {
  validate_generation_options(options, model.vocab_size());
  if (prompts.empty()) fail(ErrorKind::InvalidInput, "no prompts to generate from");
  for (size_t p = 0; p < prompts.size(); ++p) model.check_prompt(prompts[p], options.max_new_tokens, p);
  for (int32_t e : eos_token_ids)
    if (e < 0 || e >= model.vocab_size())
      fail(ErrorKind::InvalidInput, "eos token id " + std::to_string(e) + " is outside the vocabulary [0, " +
                                        std::to_string(model.vocab_size()) + ")");
}

uint64_t generation_memory_bytes(const StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const GenerationOptions& o, const std::vector<int32_t>& eos_token_ids) {
  // Rows per prompt, as greedy_or_sample() and beam_search() lay them out.
  const int64_t copies = o.num_beams > 1 ? o.num_beams : o.do_sample ? o.num_return_sequences : 1;
  uint64_t longest = 0;
  for (const auto& prompt : prompts) longest = std::max<uint64_t>(longest, model.decoder_prefix(prompt).size());
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  const uint64_t prompt_count = prompts.size(), rows = saturating_mul(prompt_count, u(copies));
  const uint64_t vocab = u(model.vocab_size()), capacity = saturating_add(longest, u(o.max_new_tokens));
  // The first logits of each prompt and the logits of every row.
  uint64_t bytes = saturating_mul(saturating_mul(saturating_add(prompt_count, rows), vocab), sizeof(float));
  // Token histories (beam search: current and next, and finished sequences) and the returned
  // tokens, all int32.
  bytes = saturating_add(bytes, saturating_mul(saturating_mul(rows, saturating_add(saturating_mul(3, capacity),
                                                                                   u(o.max_new_tokens))),
                                               sizeof(int32_t)));
  // Per-vocabulary scratch (sampler candidates and weights, n-gram marks) and beam candidates
  // (num_beams x num_beams x (2 or 1 + eos ids), 12 bytes each).
  bytes = saturating_add(bytes, saturating_mul(vocab, 24));
  const uint64_t keep = std::max<uint64_t>(2, 1 + eos_token_ids.size());
  bytes = saturating_add(bytes, saturating_mul(saturating_mul(saturating_mul(u(o.num_beams), u(o.num_beams)), keep), 12));
  return saturating_add(bytes, model.planned_bytes(prompts, copies, o.max_new_tokens));
}

GeneratedIds run_search(StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                        const GenerationOptions& options, const std::vector<int32_t>& eos_token_ids,
                        uint64_t memory_limit, const TokenCallback& on_token) {
  check_generation_request(model, prompts, options, eos_token_ids);
  const uint64_t needed = generation_memory_bytes(model, prompts, options, eos_token_ids);
  if (needed > memory_limit)
    fail(ErrorKind::OutOfMemory,
         "generating for " + std::to_string(prompts.size()) + " prompts needs " + describe_bytes(needed) +
             " (the KV cache of every beam / returned sequence at its maximum length, and the logits of every row) "
             "but at most " + describe_bytes(memory_limit) +
             " are allowed: use smaller batches (--batch-size), fewer beams or new tokens (--num-beams, "
             "--max-new-tokens), or raise --max-memory");
  if (options.num_beams > 1) return beam_search(model, prompts, options, eos_token_ids, on_token);
  return greedy_or_sample(model, prompts, options, eos_token_ids, on_token);
}

}  // namespace packformer
