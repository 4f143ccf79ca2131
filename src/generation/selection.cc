#include "generation/selection.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace packformer {
namespace {

// Min-heap on "better": the root is the worst kept candidate.
bool worse_first(const Candidate& a, const Candidate& b) { return better(a, b); }

}  // namespace

int64_t top_k_with_log_softmax(const float* row, int64_t n, int64_t k, const uint8_t* skip, Candidate* out,
                               LogSoftmaxStats* stats) {
  float max = -std::numeric_limits<float>::infinity();
  float sum = 0.0f;  // of exp(x - max), rescaled when max grows
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float x = row[i];
    if (x > max) {
      sum = sum * std::exp(max - x);
      max = x;
    }
    sum += std::exp(x - max);
    if (k == 0 || (skip != nullptr && skip[i])) continue;
    const Candidate c{x, static_cast<int32_t>(i)};
    if (count < k) {
      out[count++] = c;
      std::push_heap(out, out + count, worse_first);
    } else if (better(c, out[0])) {
      std::pop_heap(out, out + count, worse_first);
      out[count - 1] = c;
      std::push_heap(out, out + count, worse_first);
    }
  }
  std::sort_heap(out, out + count, worse_first);  // best first
  if (stats != nullptr) {
    stats->max = max;
    stats->log_sum = std::log(sum);
  }
  return count;
}

int64_t insert_candidate(Candidate* out, int64_t count, int64_t k, const Candidate& c) {
  if (count == k && (k == 0 || !better(c, out[k - 1]))) return count;
  int64_t at = count < k ? count++ : k - 1;
  while (at > 0 && better(c, out[at - 1])) {
    out[at] = out[at - 1];
    --at;
  }
  out[at] = c;
  return count;
}

int64_t argmax(const float* row, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best]) best = i;
  return best;
}

}  // namespace packformer
