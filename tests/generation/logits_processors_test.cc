// The forced-token and bad-token processors on their own (end to end they are checked
// against transformers in seq2seq_golden_test's *_forced cases).
#include <cmath>
#include <limits>

#include "generation/logits_processors.h"
#include "test_util.h"

namespace packformer::test {
namespace {

TEST(ForcedToken, BosAtTheFirstStepEosAtTheLast) {
  // transformers: ForcedBOS when cur_len == 1 (the decoder start token alone), ForcedEOS when
  // cur_len == max_length - 1 (the last new token); EOS is applied last, so it wins.
  EXPECT_EQ(forced_token(7, 2, /*history*/ 1, /*generated*/ 0, /*max_new*/ 5), 7);
  EXPECT_EQ(forced_token(7, 2, 2, 1, 5), -1);
  EXPECT_EQ(forced_token(7, 2, 5, 4, 5), 2);
  EXPECT_EQ(forced_token(7, 2, 1, 0, 1), 2);
  EXPECT_EQ(forced_token(-1, -1, 1, 0, 1), -1);
  EXPECT_EQ(forced_token(7, -1, 3, 0, 5), -1) << "a decoder-only prompt of 3 tokens is never forced to BOS";
}

TEST(ForcedToken, EveryOtherScoreBecomesMinusInfinity) {
  std::vector<float> row{1.0f, -3.0f, 2.5f, 0.0f};
  force_token(row.data(), 4, 1);
  EXPECT_EQ(row[1], 0.0f);
  for (int i : {0, 2, 3}) EXPECT_EQ(row[i], -std::numeric_limits<float>::infinity());
}

TEST(BadTokens, EosIsNeverBanned) {
  EXPECT_EQ(bad_tokens_without_eos({5, 0, 9}, {0}), (std::vector<int32_t>{5, 9}));
  EXPECT_EQ(bad_tokens_without_eos({}, {0}), std::vector<int32_t>{});
}

}  // namespace
}  // namespace packformer::test
