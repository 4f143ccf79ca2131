// Candidate selection without sorting the vocabulary: the k best entries of a row by partial
// selection (a size-k min-heap), found in the same pass that computes the row's log-softmax
// normaliser.
#pragma once

#include <cstdint>

namespace packformer {

struct Candidate {
  float score = 0.0f;
  int32_t token = 0;
};

// Better first: higher score, then the lower token id (torch.topk's order on the rare ties is
// unspecified; this one is deterministic).
inline bool better(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.token < b.token);
}

struct LogSoftmaxStats {
  float max = 0.0f;     // the row's maximum
  float log_sum = 0.0f; // log(sum(exp(x - max))): log_softmax(x) = (x - max) - log_sum
};

// One pass over `row[0, n)`: the log-softmax statistics of the whole row, and the k best raw
// values among tokens with skip[token] == 0 (skip may be null) into out[0, k') sorted best
// first, k' = min(k, eligible tokens). Returns k'.
int64_t top_k_with_log_softmax(const float* row, int64_t n, int64_t k, const uint8_t* skip, Candidate* out,
                               LogSoftmaxStats* stats);

// Inserts `c` into out[0, count) (sorted best first, capacity k) when it ranks among the k best.
// Returns the new count.
int64_t insert_candidate(Candidate* out, int64_t count, int64_t k, const Candidate& c);

// The index of the largest value (the first one on ties, as torch.argmax).
int64_t argmax(const float* row, int64_t n);

}  // namespace packformer
