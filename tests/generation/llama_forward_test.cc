// The Llama-style decoders' forward pass against transformers' logits (tests/data/golden/
// tiny-{llama,mistral,qwen2,qwen3}-logits): packed prefill, KV-cache decode steps (through the
// sliding windows and the grouped key/value heads) and cache row copies.
#include <algorithm>
#include <cstdio>

#include "llama_test_util.h"

namespace packformer::test {
namespace {

// fp32 on both sides; the golden logits have std ~1.6 and |max| <= 7.6. The engine sums in
// another order (packed GEMM panels, online softmax, RMSNorm's mean square in double) and
// rounds the RoPE tables once: a few ulps of the accumulated values. 1e-4 leaves room for
// other compilers / SIMD widths without hiding a real error (a wrong rope scaling, window or
// kv head moves logits by > 1e-2).
constexpr float kTolerance = 1e-4f;

class LlamaForward : public ::testing::TestWithParam<std::string> {};

TEST_P(LlamaForward, PackedPrefillMatchesTransformersAtEveryPosition) {
  const GoldenLogits g = golden_logits(GetParam());
  auto model = load_llama(tiny_model(GetParam()));
  const std::vector<float> logits = model->forward_all(g.prompts);
  ASSERT_EQ(logits.size(), g.logits.size());
  const float diff = max_abs_diff(logits.data(), g.logits.data(), logits.size());
  EXPECT_LE(diff, kTolerance);
  std::printf("%s: max |logit - transformers| over %zu values: %.3g\n", GetParam().c_str(), logits.size(), diff);
}

TEST_P(LlamaForward, DecodeStepsThroughTheCacheMatchTransformers) {
  // Each prompt starts from its first token; the rest are fed one step at a time, rows
  // dropping out as their prompt ends: every step's logits must be transformers' at that position.
  const GoldenLogits g = golden_logits(GetParam());
  auto model = load_llama(tiny_model(GetParam()));
  const float worst = expect_decode_steps_match(*model, g, kTolerance);
  std::printf("%s: max |logit - transformers| over the decode steps: %.3g\n", GetParam().c_str(), worst);
}

TEST_P(LlamaForward, CopyRowsMovesWholeCacheRows) {
  // Two copies of a prompt take different tokens, swap rows, then take one more token: each
  // row's logits must be those of the sequence it now holds (computed from scratch).
  auto model = load_llama(tiny_model(GetParam()));
  const int64_t vocab = model->vocab_size();
  const std::vector<int32_t> prompt = {17, 300, 5, 88, 120, 33, 7, 250, 19};  // longer than the windows
  std::vector<float> logits(3 * vocab);
  model->begin({prompt, {9}}, 3, 4, logits.data());
  const int32_t rows[] = {0, 1, 2}, tokens[] = {40, 41, 42};
  model->step(rows, tokens, 3, logits.data());
  const int32_t dst[] = {0, 1, 2}, src[] = {2, 0, 0};  // row 0 <- 2, rows 1 and 2 <- old row 0
  model->copy_rows(dst, src, 3);
  const int32_t next[] = {7, 8, 9};
  model->step(rows, next, 3, logits.data());

  auto reference = load_llama(tiny_model(GetParam()));
  const int32_t taken[] = {42, 40, 40};
  for (size_t r = 0; r < 3; ++r) {
    std::vector<int32_t> sequence = prompt;
    sequence.push_back(taken[r]);
    sequence.push_back(next[r]);
    const std::vector<float> all = reference->forward_all({sequence});
    EXPECT_LE(max_abs_diff(logits.data() + r * vocab, all.data() + (sequence.size() - 1) * vocab, vocab), kTolerance)
        << "row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, LlamaForward, ::testing::ValuesIn(llama_family_models()),
                         [](const auto& info) { return info.param.substr(5); });

TEST(LlamaForward, BadPromptsAndCallsAreNamed) {
  auto model = load_llama(tiny_model("tiny-llama"));  // max_position_embeddings 128, vocab 384
  std::vector<float> logits(2 * model->vocab_size());
  expect_error([&] { model->begin({{1, 2}, {}}, 1, 4, logits.data()); }, ErrorKind::InvalidInput,
               {"prompt 1", "has no tokens", "a decoder"});
  expect_error([&] { model->begin({std::vector<int32_t>(100, 3)}, 1, 30, logits.data()); }, ErrorKind::InvalidInput,
               {"prompt 0", "100 tokens", "129 positions", "max_position_embeddings is 128"});
  model->begin({{1, 2}}, 1, 2, logits.data());
  const int32_t row = 0, token = 384;
  expect_error([&] { model->step(&row, &token, 1, logits.data()); }, ErrorKind::Internal,
               {"LlamaModel::step", "token 384"});
}

TEST(LlamaForward, ConfigsRecordWhatEachFamilyHas) {
  // The goldens only test these options if the tiny models really have them.
  const LlamaConfig llama = load_llama(tiny_model("tiny-llama"))->config();
  EXPECT_EQ(llama.num_heads, 4);
  EXPECT_EQ(llama.num_kv_heads, 2);
  EXPECT_EQ(llama.rope.type, "llama3");
  EXPECT_FALSE(llama.tie_word_embeddings);
  const LlamaConfig mistral = load_llama(tiny_model("tiny-mistral"))->config();
  EXPECT_EQ(mistral.sliding_window, (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(mistral.rope.type, "linear");
  const LlamaConfig qwen2 = load_llama(tiny_model("tiny-qwen2"))->config();
  EXPECT_TRUE(qwen2.qkv_bias);
  EXPECT_FALSE(qwen2.o_bias);
  EXPECT_TRUE(qwen2.tie_word_embeddings);
  EXPECT_EQ(qwen2.sliding_window, (std::vector<int64_t>{0, 6}));
  const LlamaConfig qwen3 = load_llama(tiny_model("tiny-qwen3"))->config();
  EXPECT_TRUE(qwen3.qk_norm);
  EXPECT_EQ(qwen3.head_dim, 24);
  EXPECT_EQ(qwen3.num_kv_heads, 1);
  EXPECT_EQ(qwen3.rope.type, "yarn");
  EXPECT_EQ(qwen3.sliding_window, (std::vector<int64_t>{0, 0}));
}

}  // namespace
}  // namespace packformer::test
