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

// ForcedBOSTokenLogitsProcessor / ForcedEOSTokenLogitsProcessor: the token the next step must
// take, or -1. BOS when the history is one token long (transformers' cur_len == 1: the decoder
// start token alone); EOS when the token chosen is the last one allowed (cur_len ==
// max_length - 1). EOS wins when both apply, as it is applied last. -1 ids are "none".
int32_t forced_token(int32_t forced_bos, int32_t forced_eos, int64_t history_length, int64_t generated,
                     int64_t max_new_tokens);

// What both processors do to a row: every score -inf except `token`'s, which becomes 0.
void force_token(float* row, int64_t vocab_size, int32_t token);

// transformers' NoBadWordsLogitsProcessor drops bad words equal to an EOS id.
std::vector<int32_t> bad_tokens_without_eos(const std::vector<int32_t>& bad, const std::vector<int32_t>& eos);

}  // namespace packformer
