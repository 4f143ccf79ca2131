// Beam search as transformers 5's vectorised `_beam_search` computes it, one prompt at a time:
// each step keeps the best K = max(2, 1 + #EOS) * num_beams continuations over all beams
// (log-softmax, then processors, plus the beam's score), the best num_beams that did not stop
// run on, and the stopped ones among the first num_beams enter the finished list with their
// score divided by (generated length ** length_penalty). A prompt is done when its finished
// list can no longer change (early_stopping) or at max_new_tokens; done prompts cost nothing.
// Per beam, the K best tokens come from one pass that also computes the log-softmax
// normaliser (partial selection, no vocabulary sort).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "generation/logits_processors.h"
#include "generation/search.h"
#include "generation/selection.h"
#include "packformer/error.h"

namespace packformer {
namespace {

// transformers adds -1e9 to mark beams and scores that must never be picked.
constexpr float kNeverScore = -1.0e9f;

struct BeamCandidate {
  float score;
  int32_t token;
  int32_t beam;
};

bool better_candidate(const BeamCandidate& a, const BeamCandidate& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.beam != b.beam) return a.beam < b.beam;
  return a.token < b.token;
}

// Python's `tensor / (length ** penalty)`: the power in double, the division in float32.
float penalized(float score, int64_t length, float length_penalty) {
  return score / static_cast<float>(std::pow(static_cast<double>(length), static_cast<double>(length_penalty)));
}

// One prompt's search state; every array is sized once when the search starts.
struct Item {
  int64_t prefix_length = 0;
  std::vector<int32_t> history, next_history;  // [beam][capacity]: prefix, then generated tokens
  std::vector<float> running_score;             // [beam], best first
  std::vector<float> finished_score;            // [slot], best first
  std::vector<uint8_t> finished;                // [slot]
  std::vector<int32_t> finished_tokens;         // [slot][max_new_tokens]
  std::vector<int64_t> finished_length;         // [slot]
  bool improvable = true;                       // transformers' is_early_stop_heuristic_unsatisfied
  bool done = false;
};

class BeamSearch {
 public:
  BeamSearch(StepModel& model, const std::vector<std::vector<int32_t>>& prompts, const GenerationOptions& o,
             const std::vector<int32_t>& eos, const TokenCallback& on_token)
      : model_(model), prompts_(prompts), o_(o), eos_(eos), on_token_(on_token) {
    vocab_ = model.vocab_size();
    beams_ = o.num_beams;
    keep_ = std::max<int64_t>(2, 1 + static_cast<int64_t>(eos.size())) * beams_;
    if (keep_ > vocab_)
      fail(ErrorKind::Unsupported, "num_beams " + std::to_string(beams_) + " needs " + std::to_string(keep_) +
                                       " candidates per step but the vocabulary has " + std::to_string(vocab_) +
                                       " tokens");
    int64_t longest = 0;
    for (const auto& prompt : prompts) {
      Item item;
      const std::vector<int32_t> prefix = model.decoder_prefix(prompt);
      item.prefix_length = static_cast<int64_t>(prefix.size());
      longest = std::max(longest, item.prefix_length);
      items_.push_back(std::move(item));
    }
    capacity_ = longest + o.max_new_tokens;
    for (size_t p = 0; p < prompts.size(); ++p) {
      Item& item = items_[p];
      item.history.resize(static_cast<size_t>(beams_ * capacity_));
      item.next_history.resize(item.history.size());
      const std::vector<int32_t> prefix = model.decoder_prefix(prompts[p]);
      for (int64_t b = 0; b < beams_; ++b) std::copy(prefix.begin(), prefix.end(), item.history.begin() + b * capacity_);
      item.running_score.assign(static_cast<size_t>(beams_), kNeverScore);
      item.running_score[0] = 0.0f;  // only the first beam is live at the first step
      item.finished_score.assign(static_cast<size_t>(beams_), kNeverScore);
      item.finished.assign(static_cast<size_t>(beams_), 0);
      item.finished_tokens.resize(static_cast<size_t>(beams_ * o.max_new_tokens));
      item.finished_length.assign(static_cast<size_t>(beams_), 0);
    }
    const size_t prompt_count = prompts.size(), rows = prompt_count * static_cast<size_t>(beams_);
    first_logits_.resize(prompt_count * static_cast<size_t>(vocab_));
    logits_.resize(rows * static_cast<size_t>(vocab_));
    logits_offset_.resize(prompt_count);
    step_rows_.resize(rows);
    step_tokens_.resize(rows);
    per_beam_.resize(static_cast<size_t>(keep_));
    merged_.resize(static_cast<size_t>(beams_ * keep_));
    chosen_.resize(static_cast<size_t>(beams_));
    copy_dst_.resize(static_cast<size_t>(beams_));
    copy_src_.resize(static_cast<size_t>(beams_));
    marks_.assign(static_cast<size_t>(vocab_), 0);
    affected_.reserve(static_cast<size_t>(2 * capacity_));
    banned_.reserve(static_cast<size_t>(capacity_));
  }

  GeneratedIds run() {
    model_.begin(prompts_, beams_, o_.max_new_tokens, first_logits_.data());
    for (int64_t generated = 0; generated < o_.max_new_tokens; ++generated) {
      int64_t rows = 0;
      for (size_t p = 0; p < items_.size(); ++p) {
        Item& item = items_[p];
        if (item.done) continue;
        const float* logits = generated == 0 ? first_logits_.data() + p * vocab_ : logits_.data() + logits_offset_[p] * vocab_;
        advance(p, item, logits, generated);
        if (item.done) {
          report(p, item);
          continue;
        }
        logits_offset_[p] = rows;
        for (int64_t b = 0; b < beams_; ++b, ++rows) {
          step_rows_[rows] = static_cast<int32_t>(static_cast<int64_t>(p) * beams_ + b);
          step_tokens_[rows] = item.history[b * capacity_ + item.prefix_length + generated];
        }
      }
      if (rows == 0) break;
      model_.step(step_rows_.data(), step_tokens_.data(), rows, logits_.data());
    }
    GeneratedIds result(items_.size());
    for (size_t p = 0; p < items_.size(); ++p) {
      const Item& item = items_[p];
      for (int64_t s = 0; s < o_.num_return_sequences; ++s) {
        const int32_t* tokens = item.finished_tokens.data() + s * o_.max_new_tokens;
        result[p].emplace_back(tokens, tokens + item.finished_length[s]);
      }
    }
    return result;
  }

 private:
  // The K best continuations of beam b: log-softmax of the raw logits, processors on the
  // tokens they touch, plus the beam's score. Untouched tokens are ranked on raw logits (the
  // same order as their log-probabilities) in the pass that computes the normaliser.
  int64_t beam_candidates(const Item& item, int64_t b, const float* logits, int64_t length) {
    const int32_t* history = item.history.data() + b * capacity_;
    affected_.clear();
    if (o_.repetition_penalty != 1.0f)
      for (int64_t i = 0; i < length; ++i) {
        marks_[history[i]] |= 1;
        affected_.push_back(history[i]);
      }
    if (o_.no_repeat_ngram_size > 0) {
      banned_.clear();
      banned_ngram_tokens(history, length, o_.no_repeat_ngram_size, banned_);
      for (int32_t token : banned_) {
        marks_[token] |= 2;
        affected_.push_back(token);
      }
    }
    LogSoftmaxStats stats;
    Candidate* out = per_beam_.data();
    int64_t count = top_k_with_log_softmax(logits, vocab_, keep_, affected_.empty() ? nullptr : marks_.data(), out, &stats);
    const float beam_score = item.running_score[b];
    for (int64_t i = 0; i < count; ++i) out[i].score = ((out[i].score - stats.max) - stats.log_sum) + beam_score;
    for (int32_t token : affected_) {
      if (marks_[token] == 0) continue;  // already handled (tokens repeat in the history)
      float lp = (logits[token] - stats.max) - stats.log_sum;
      if (marks_[token] & 1) lp = lp < 0.0f ? lp * o_.repetition_penalty : lp / o_.repetition_penalty;
      if (marks_[token] & 2) lp = -std::numeric_limits<float>::infinity();
      marks_[token] = 0;
      count = insert_candidate(out, count, keep_, Candidate{lp + beam_score, token});
    }
    return count;
  }

  void advance(size_t p, Item& item, const float* logits, int64_t generated) {
    const int64_t length = item.prefix_length + generated;
    // At the first step every beam holds the prompt; transformers gives beams 1.. a score of
    // -1e9 so only beam 0's continuations are picked.
    const int64_t live_beams = generated == 0 ? 1 : beams_;
    int64_t merged = 0;
    for (int64_t b = 0; b < live_beams; ++b) {
      const int64_t count = beam_candidates(item, b, logits + (generated == 0 ? 0 : b * vocab_), length);
      for (int64_t i = 0; i < count; ++i)
        merged_[merged++] = BeamCandidate{per_beam_[i].score, per_beam_[i].token, static_cast<int32_t>(b)};
    }
    const int64_t top = std::min(keep_, merged);
    std::partial_sort(merged_.begin(), merged_.begin() + top, merged_.begin() + merged, better_candidate);

    const int64_t new_length = generated + 1;
    const bool last_step = new_length == o_.max_new_tokens;
    const auto stops = [&](const BeamCandidate& c) { return last_step || is_eos(c.token, eos_); };

    // Finished hypotheses: the stopped ones among the first num_beams candidates.
    bool all_finished = true;
    for (int64_t s = 0; s < beams_; ++s) all_finished = all_finished && item.finished[s];
    const bool blocked = (o_.early_stopping == EarlyStopping::Stop && all_finished) || !item.improvable;
    if (!blocked)
      for (int64_t k = 0; k < std::min(beams_, top); ++k)
        if (stops(merged_[k])) add_finished(item, merged_[k], generated, penalized(merged_[k].score, new_length, o_.length_penalty));

    // Running beams: the best num_beams candidates that did not stop.
    int64_t running = 0;
    for (int64_t k = 0; k < top && running < beams_; ++k)
      if (!stops(merged_[k])) chosen_[running++] = merged_[k];

    all_finished = true;
    float worst_finished = std::numeric_limits<float>::infinity();
    for (int64_t s = 0; s < beams_; ++s) {
      all_finished = all_finished && item.finished[s];
      worst_finished = std::min(worst_finished, item.finished_score[s]);
    }
    if (last_step || running < beams_) {
      item.done = true;
      return;
    }
    // Can a running beam still beat the worst finished one? (transformers' heuristic)
    const int64_t best_length =
        o_.early_stopping == EarlyStopping::Never && o_.length_penalty > 0.0f ? o_.max_new_tokens : new_length;
    const float best_possible = penalized(chosen_[0].score, best_length, o_.length_penalty);
    item.improvable = item.improvable && (!all_finished || best_possible > worst_finished);
    if (!item.improvable || (o_.early_stopping == EarlyStopping::Stop && all_finished)) {
      item.done = true;
      return;
    }
    reorder(p, item, length);
  }

  void add_finished(Item& item, const BeamCandidate& c, int64_t generated, float score) {
    // Sorted best first; an equal score goes after the ones already there (they come first in
    // transformers' concatenation).
    int64_t at = beams_;
    for (int64_t s = 0; s < beams_; ++s)
      if (score > item.finished_score[s]) {
        at = s;
        break;
      }
    if (at == beams_) return;
    for (int64_t s = beams_ - 1; s > at; --s) {
      item.finished_score[s] = item.finished_score[s - 1];
      item.finished[s] = item.finished[s - 1];
      item.finished_length[s] = item.finished_length[s - 1];
      std::memcpy(item.finished_tokens.data() + s * o_.max_new_tokens,
                  item.finished_tokens.data() + (s - 1) * o_.max_new_tokens,
                  static_cast<size_t>(o_.max_new_tokens) * sizeof(int32_t));
    }
    int32_t* tokens = item.finished_tokens.data() + at * o_.max_new_tokens;
    const int32_t* source = item.history.data() + c.beam * capacity_ + item.prefix_length;
    std::copy(source, source + generated, tokens);
    tokens[generated] = c.token;
    item.finished_score[at] = score;
    item.finished[at] = 1;
    item.finished_length[at] = generated + 1;
  }

  // The chosen candidates become the running beams: histories and cache rows follow them.
  void reorder(size_t p, Item& item, int64_t length) {
    for (int64_t b = 0; b < beams_; ++b) {
      const BeamCandidate& c = chosen_[b];
      std::memcpy(item.next_history.data() + b * capacity_, item.history.data() + c.beam * capacity_,
                  static_cast<size_t>(length) * sizeof(int32_t));
      item.next_history[b * capacity_ + length] = c.token;
      item.running_score[b] = c.score;
      copy_dst_[b] = static_cast<int32_t>(static_cast<int64_t>(p) * beams_ + b);
      copy_src_[b] = static_cast<int32_t>(static_cast<int64_t>(p) * beams_ + c.beam);
    }
    item.history.swap(item.next_history);
    model_.copy_rows(copy_dst_.data(), copy_src_.data(), beams_);
  }

  void report(size_t p, const Item& item) {
    if (!on_token_) return;
    for (int64_t s = 0; s < o_.num_return_sequences; ++s)
      for (int64_t t = 0; t < item.finished_length[s]; ++t)
        on_token_(p, static_cast<size_t>(s), item.finished_tokens[s * o_.max_new_tokens + t]);
  }

  StepModel& model_;
  const std::vector<std::vector<int32_t>>& prompts_;
  const GenerationOptions& o_;
  const std::vector<int32_t>& eos_;
  const TokenCallback& on_token_;
  int64_t vocab_ = 0, beams_ = 0, keep_ = 0, capacity_ = 0;
  std::vector<Item> items_;
  std::vector<float> first_logits_, logits_;
  std::vector<int64_t> logits_offset_;
  std::vector<int32_t> step_rows_, step_tokens_;
  std::vector<Candidate> per_beam_;
  std::vector<BeamCandidate> merged_, chosen_;
  std::vector<int32_t> copy_dst_, copy_src_;
  std::vector<uint8_t> marks_;
  std::vector<int32_t> affected_, banned_;
};

}  // namespace

GeneratedIds beam_search(StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                         const GenerationOptions& options, const std::vector<int32_t>& eos,
                         const TokenCallback& on_token) {
  BeamSearch search(model, prompts, options, eos, on_token);
  return search.run();
}

}  // namespace packformer
