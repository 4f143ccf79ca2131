// transformers' logits processors that packformer supports, each applied to one row of
// scores given the row's token history (the prompt or decoder prefix, then the generated
// tokens). They allocate nothing: scratch space comes from the caller.
#pragma once

#include <cstdint>
#include <vector>

namespace packformer {

// RepetitionPenaltyLogitsProcessor: each token present in the history gets score * penalty when
// its score is negative, score / penalty otherwise (once, however often it occurs). `marks`
// is vocabulary-sized scratch, all zero on entry and on return.
void apply_repetition_penalty(float* row, const int32_t* history, int64_t length, float penalty, uint8_t* marks);

// NoRepeatNGramLogitsProcessor: the tokens that would repeat an n-gram of the history are
// appended to `banned` (which the caller reserves; duplicates possible).
void banned_ngram_tokens(const int32_t* history, int64_t length, int64_t ngram_size, std::vector<int32_t>& banned);

// Sets the banned tokens' scores to -inf.
void ban_tokens(float* row, const std::vector<int32_t>& banned);

}  // namespace packformer
