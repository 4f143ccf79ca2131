// Every tiny model against transformers' outputs (tests/data/golden, made by
// scripts/make_golden.py), on each execution path.
#include <tuple>

#include "test_util.h"

namespace packformer::test {
namespace {

// fp32 everywhere; the goldens come from PyTorch fp32 eager. Reduction order differs
// (oneDNN vs MKL), which moves results by a few ulps of values around 1.
constexpr float kTolerance = 1e-5f;

struct PathCase {
  const char* name;
  RunOptions options;
};

const PathCase kPaths[] = {
    {"slow", {ExecutionPath::Slow, false}},
    {"fast_padded", {ExecutionPath::Fast, false}},
    {"fast_packed", {ExecutionPath::Fast, true}},
};

class TinyModelTest : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(TinyModelTest, MatchesTransformers) {
  const auto& [model_name, path_index] = GetParam();
  const PathCase& path = kPaths[path_index];
  const Golden golden(model_name);
  const auto encoder = Encoder::load(tiny_model(model_name), {.threads = 0, .load_tokenizer = false});
  const EncoderInput input = golden.input();
  const EncoderOutput out =
      encoder->run(input, kHiddenStates | kPoolerOutput | kLogits | kSentenceEmbedding, path.options);

  const int64_t h = out.hidden_size, batch = out.batch_size();
  const int64_t padded_len = golden.shape("last_hidden_state")[1];
  const auto expected_hidden = golden.floats("last_hidden_state");
  float worst = 0.0f;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = out.offsets[b + 1] - out.offsets[b];
    ASSERT_EQ(len, static_cast<int64_t>(input.ids[b].size()));
    const float diff = max_abs_diff(out.hidden_states.data() + out.offsets[b] * h,
                                    expected_hidden.data() + b * padded_len * h, static_cast<size_t>(len * h));
    worst = max_or_nan(worst, diff);
    EXPECT_LE(diff, kTolerance) << "sequence " << b << " (length " << len << ")";
  }
  std::cout << model_name << " " << path.name << ": max |diff| hidden " << worst;
  // Each head the golden has must be produced, and match.
  const auto check_head = [&](const char* name, const std::vector<float>& actual) {
    if (!golden.has(name)) return;
    const auto expected = golden.floats(name);
    ASSERT_EQ(actual.size(), expected.size()) << name;
    const float diff = max_abs_diff(actual.data(), expected.data(), expected.size());
    std::cout << ", " << name << " " << diff;
    EXPECT_LE(diff, kTolerance) << name;
  };
  check_head("pooler_output", out.pooler_output);
  check_head("logits", out.logits);
  check_head("sentence_embedding", out.sentence_embeddings);
  std::cout << "\n";
}

INSTANTIATE_TEST_SUITE_P(AllModels, TinyModelTest,
                         ::testing::Combine(::testing::Values("tiny-bert", "tiny-bert-cls", "tiny-roberta", "tiny-xlmr",
                                                              "tiny-minilm", "tiny-distilbert", "tiny-distilbert-cls",
                                                              "tiny-mpnet", "tiny-mpnet-cls"),
                                            ::testing::Values(0, 1, 2)),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param) + "_" + kPaths[std::get<1>(info.param)].name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(TinyModelInfo, ReadsLabelsAndHeads) {
  const auto encoder = Encoder::load(tiny_model("tiny-bert-cls"), {.threads = 0, .load_tokenizer = false});
  EXPECT_EQ(encoder->info().num_labels, 3);
  EXPECT_EQ(encoder->info().id2label.at(2), "positive");
  const auto roberta = Encoder::load(tiny_model("tiny-roberta"), {.threads = 0, .load_tokenizer = false});
  EXPECT_EQ(roberta->info().num_labels, 2);
  EXPECT_EQ(roberta->info().max_length, 64);  // 66 positions minus pad_token_id + 1
  const auto minilm = Encoder::load(tiny_model("tiny-minilm"), {.threads = 0, .load_tokenizer = false});
  EXPECT_TRUE(minilm->info().has_sentence_pooling);
  EXPECT_EQ(minilm->info().max_length, 24);  // sentence_bert_config.json
  const auto distilbert = Encoder::load(tiny_model("tiny-distilbert-cls"), {.threads = 0, .load_tokenizer = false});
  EXPECT_EQ(distilbert->info().model_type, "distilbert");
  EXPECT_EQ(distilbert->info().num_labels, 3);
  EXPECT_EQ(distilbert->info().id2label.at(0), "negative");
  EXPECT_FALSE(distilbert->info().has_pooler);
  EXPECT_EQ(distilbert->info().max_length, 64);  // max_position_embeddings; positions count from 0
}

}  // namespace
}  // namespace packformer::test
