// Search over a StepModel: greedy, sampling and beam search with transformers' `generate`
// semantics. Model-agnostic: everything model-specific is behind StepModel.
#pragma once

#include <cstdint>
#include <vector>

#include "generation/step_model.h"
#include "packformer/generator.h"

namespace packformer {

// Throws InvalidInput / Unsupported naming the option at fault.
void validate_generation_options(const GenerationOptions& options, int64_t vocab_size);

// Throws InvalidInput naming the option, the prompt or the eos id at fault.
void check_generation_request(const StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                              const GenerationOptions& options, const std::vector<int32_t>& eos_token_ids);

// Bytes one call with these (checked) prompts and options allocates: the model's plan (KV
// cache of every row at its maximum length, workspace) and the search's buffers (the logits of
// every row, token histories, candidates, the returned tokens). Saturating.
uint64_t generation_memory_bytes(const StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                                 const GenerationOptions& options, const std::vector<int32_t>& eos_token_ids);

// Checks the request, refuses it (OutOfMemory) when it needs more than `memory_limit` bytes,
// then runs the search the options ask for.
GeneratedIds run_search(StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                        const GenerationOptions& options, const std::vector<int32_t>& eos_token_ids,
                        uint64_t memory_limit, const TokenCallback& on_token);

// One token per live row per step: greedy (argmax) or sampling.
GeneratedIds greedy_or_sample(StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                              const GenerationOptions& options, const std::vector<int32_t>& eos_token_ids,
                              const TokenCallback& on_token);

GeneratedIds beam_search(StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                         const GenerationOptions& options, const std::vector<int32_t>& eos_token_ids,
                         const TokenCallback& on_token);

inline bool is_eos(int32_t token, const std::vector<int32_t>& eos_token_ids) {
  for (int32_t e : eos_token_ids)
    if (e == token) return true;
  return false;
}

}  // namespace packformer
