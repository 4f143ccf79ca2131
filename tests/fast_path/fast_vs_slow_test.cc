// The fast path, with sparsity on and off, against the slow path on synthetic models of odd
// geometries (head sizes not multiples of 8, one head, one layer), and on the tiny folders of
// architectures the synthesizer does not write, with batches mixing every length from 1 to
// the model's maximum.
#include <random>

#include "packformer/synth.h"
#include "forced_isa.h"
#include "test_util.h"
#include "synth_geometry.h"

namespace packformer::test {
namespace {

// fp32 with different summation orders (tiled online softmax, oneDNN blocked GEMMs): the
// differences measured are ~1e-6 on LayerNorm-scaled outputs; 1e-5 is the bound.
constexpr float kTolerance = 1e-5f;


const Geometry kGeometries[] = {
    {"bert_h36_3heads", "bert", 2, 36, 3, 52, 70, "gelu"},
    {"roberta_1head", "roberta", 1, 24, 1, 40, 40, "gelu_new"},
    {"xlmr_d20", "xlm-roberta", 2, 80, 4, 96, 150, "relu"},
    {"bert_d64_long", "bert", 1, 128, 2, 64, 300, "silu"},
};

class FastVsSlow : public ForcedIsaTest, public ::testing::WithParamInterface<Geometry> {};

EncoderInput random_batch(const ModelInfo& info, const std::vector<int64_t>& lengths, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(info.vocab_size - 1));
  EncoderInput input;
  for (int64_t len : lengths) {
    std::vector<int32_t> ids(static_cast<size_t>(len));
    for (auto& v : ids) v = id(rng);
    input.ids.push_back(ids);
  }
  return input;
}

// Every length 1..max, in batches that mix short and long sequences: the fast path with
// sparsity off and on gives the slow path's hidden states and logits.
void expect_fast_matches_slow_for_every_length(const Encoder& encoder) {
  const int64_t max_length = encoder.info().max_length;
  std::vector<int64_t> all;
  for (int64_t len = 1; len <= max_length; ++len) all.push_back(len);
  std::shuffle(all.begin(), all.end(), std::mt19937(3));
  for (size_t first = 0; first < all.size(); first += 7) {
    const std::vector<int64_t> lengths(all.begin() + first, all.begin() + std::min(all.size(), first + 7));
    const EncoderInput input = random_batch(encoder.info(), lengths, static_cast<uint32_t>(first));
    const unsigned wanted = kHiddenStates | kLogits;
    const EncoderOutput slow = encoder.run(input, wanted, {ExecutionPath::Slow, false});
    for (const bool sparsity : {false, true}) {
      const EncoderOutput fast = encoder.run(input, wanted, {ExecutionPath::Fast, sparsity});
      ASSERT_EQ(fast.hidden_states.size(), slow.hidden_states.size());
      EXPECT_LE(max_abs_diff(fast.hidden_states.data(), slow.hidden_states.data(), slow.hidden_states.size()), kTolerance)
          << "sparsity " << sparsity << ", batch starting at " << first;
      EXPECT_LE(max_abs_diff(fast.logits.data(), slow.logits.data(), slow.logits.size()), kTolerance);
    }
  }
}

TEST_P(FastVsSlow, SameHiddenStatesForEveryLength) {
  const Geometry& g = GetParam();
  TempDir dir;
  write_geometry_model(g, dir.path());
  expect_fast_matches_slow_for_every_length(*Encoder::load(dir.path(), {.threads = 0, .load_tokenizer = false}));
}

INSTANTIATE_TEST_SUITE_P(Geometries, FastVsSlow, ::testing::ValuesIn(kGeometries),
                         [](const auto& info) { return std::string(info.param.name); });

// Architectures `packformer synth` does not write, from their committed tiny folders.
class FastVsSlowTiny : public ForcedIsaTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(FastVsSlowTiny, SameHiddenStatesForEveryLength) {
  expect_fast_matches_slow_for_every_length(*Encoder::load(tiny_model(GetParam()), {.threads = 0, .load_tokenizer = false}));
}

INSTANTIATE_TEST_SUITE_P(Models, FastVsSlowTiny, ::testing::Values("tiny-distilbert", "tiny-distilbert-cls", "tiny-mpnet",
                                                                  "tiny-mpnet-cls"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

using PaddedOutput = ForcedIsaTest;

TEST_F(PaddedOutput, PaddingIsExactlyZero) {
  const auto encoder = Encoder::load(tiny_model("tiny-bert"), {.threads = 0, .load_tokenizer = false});
  const EncoderInput input = random_batch(encoder->info(), {5, 1, 9}, 1);
  const EncoderOutput out = encoder->run(input, kHiddenStates, {ExecutionPath::Fast, false});
  const std::vector<float> padded = out.padded_hidden_states();
  const int64_t h = out.hidden_size, max_len = 9;
  ASSERT_EQ(padded.size(), static_cast<size_t>(3 * max_len * h));
  for (int64_t b = 0; b < 3; ++b) {
    const int64_t len = static_cast<int64_t>(input.ids[b].size());
    for (int64_t t = 0; t < max_len; ++t) {
      const float* row = padded.data() + (b * max_len + t) * h;
      if (t >= len) {
        for (int64_t i = 0; i < h; ++i) ASSERT_EQ(row[i], 0.0f) << "b " << b << " t " << t;
      } else {
        EXPECT_EQ(max_abs_diff(row, out.hidden_states.data() + (out.offsets[b] + t) * h, h), 0.0f);
      }
    }
  }
}

}  // namespace
}  // namespace packformer::test
