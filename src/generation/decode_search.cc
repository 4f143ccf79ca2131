// Greedy search and sampling: every live row takes one token per step; a row stops at EOS,
// all stop at max_new_tokens. With sampling, num_return_sequences rows per prompt sample
// independently from one seeded generator, rows in order at each step.
#include <algorithm>
#include <cstring>

#include "generation/logits_processors.h"
#include "generation/sampler.h"
#include "generation/search.h"
#include "generation/selection.h"

namespace packformer {

GeneratedIds greedy_or_sample(StepModel& model, const std::vector<std::vector<int32_t>>& prompts,
                              const GenerationOptions& o, const std::vector<int32_t>& eos,
                              const TokenCallback& on_token) {
  const int64_t vocab = model.vocab_size();
  const int64_t copies = o.do_sample ? o.num_return_sequences : 1;
  const int64_t prompt_count = static_cast<int64_t>(prompts.size()), rows = prompt_count * copies;

  // Every buffer of the call, sized once.
  std::vector<std::vector<int32_t>> prefixes;
  int64_t longest = 0;
  for (const auto& prompt : prompts) {
    prefixes.push_back(model.decoder_prefix(prompt));
    longest = std::max<int64_t>(longest, static_cast<int64_t>(prefixes.back().size()));
  }
  const int64_t capacity = longest + o.max_new_tokens;
  std::vector<int32_t> history(static_cast<size_t>(rows * capacity));
  std::vector<int64_t> length(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const auto& prefix = prefixes[static_cast<size_t>(r / copies)];
    std::copy(prefix.begin(), prefix.end(), history.begin() + r * capacity);
    length[r] = static_cast<int64_t>(prefix.size());
  }
  GeneratedIds result(prompts.size(), std::vector<std::vector<int32_t>>(static_cast<size_t>(copies)));
  for (auto& sequences : result)
    for (auto& tokens : sequences) tokens.reserve(static_cast<size_t>(o.max_new_tokens));
  std::vector<float> first(static_cast<size_t>(prompt_count * vocab)), logits(static_cast<size_t>(rows * vocab));
  std::vector<int32_t> live(static_cast<size_t>(rows)), live_tokens(static_cast<size_t>(rows));
  std::vector<uint8_t> marks(static_cast<size_t>(vocab), 0);
  std::vector<int32_t> banned;
  banned.reserve(static_cast<size_t>(capacity));
  Sampler sampler(o.do_sample ? vocab : 0);
  Rng rng(o.seed);
  const SamplingSettings settings{o.temperature, o.top_k, o.top_p};

  model.begin(prompts, copies, o.max_new_tokens, first.data());
  for (int64_t r = 0; r < rows; ++r) {
    live[r] = static_cast<int32_t>(r);
    std::memcpy(logits.data() + r * vocab, first.data() + (r / copies) * vocab, static_cast<size_t>(vocab) * sizeof(float));
  }
  int64_t live_count = rows;
  for (int64_t step = 0; step < o.max_new_tokens && live_count > 0; ++step) {
    int64_t next_count = 0;
    for (int64_t j = 0; j < live_count; ++j) {
      const int64_t r = live[j];
      float* row = logits.data() + j * vocab;
      int32_t* row_history = history.data() + r * capacity;
      if (o.repetition_penalty != 1.0f)
        apply_repetition_penalty(row, row_history, length[r], o.repetition_penalty, marks.data());
      if (o.no_repeat_ngram_size > 0) {
        banned.clear();
        banned_ngram_tokens(row_history, length[r], o.no_repeat_ngram_size, banned);
        ban_tokens(row, banned);
      }
      const int32_t token = o.do_sample ? sampler.sample(row, settings, rng) : static_cast<int32_t>(argmax(row, vocab));
      row_history[length[r]++] = token;
      const size_t prompt = static_cast<size_t>(r / copies), sequence = static_cast<size_t>(r % copies);
      result[prompt][sequence].push_back(token);
      if (on_token) on_token(prompt, sequence, token);
      if (!is_eos(token, eos)) {
        live[next_count] = static_cast<int32_t>(r);  // next_count <= j: compaction in place
        live_tokens[next_count++] = token;
      }
    }
    live_count = next_count;
    if (step + 1 < o.max_new_tokens && live_count > 0) model.step(live.data(), live_tokens.data(), live_count, logits.data());
  }
  return result;
}

}  // namespace packformer
