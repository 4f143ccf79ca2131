#include "generation/search.h"

#include <cmath>
#include <string>

#include "packformer/error.h"

namespace packformer {

void validate_generation_options(const GenerationOptions& o, int64_t vocab_size) {
  const auto bad = [](const std::string& what) { fail(ErrorKind::InvalidInput, what); };
  if (o.max_new_tokens < 1) bad("max_new_tokens must be >= 1 (got " + std::to_string(o.max_new_tokens) + ")");
  if (o.num_beams < 1) bad("num_beams must be >= 1 (got " + std::to_string(o.num_beams) + ")");
  if (o.num_return_sequences < 1)
    bad("num_return_sequences must be >= 1 (got " + std::to_string(o.num_return_sequences) + ")");
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
  if (o.num_beams > 1) {
    if (o.num_return_sequences > o.num_beams)
      bad("num_return_sequences (" + std::to_string(o.num_return_sequences) + ") must be <= num_beams (" +
          std::to_string(o.num_beams) + ")");
    if (!std::isfinite(o.length_penalty)) bad("length_penalty must be a finite number");
  }
}

GeneratedIds run_search(StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                        const GenerationOptions& options, const std::vector<int32_t>& eos_token_ids,
                        const TokenCallback& on_token) {
  validate_generation_options(options, model.vocab_size());
  if (prompts.empty()) fail(ErrorKind::InvalidInput, "no prompts to generate from");
  for (size_t p = 0; p < prompts.size(); ++p) model.check_prompt(prompts[p], options.max_new_tokens, p);
  for (int32_t e : eos_token_ids)
    if (e < 0 || e >= model.vocab_size())
      fail(ErrorKind::InvalidInput, "eos token id " + std::to_string(e) + " is outside the vocabulary [0, " +
                                        std::to_string(model.vocab_size()) + ")");
  if (options.num_beams > 1) return beam_search(model, prompts, options, eos_token_ids, on_token);
  return greedy_or_sample(model, prompts, options, eos_token_ids, on_token);
}

}  // namespace packformer
