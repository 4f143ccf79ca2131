// GPT-2's forward pass against transformers' logits (tests/data/golden/tiny-gpt2-logits),
// packed prefill, KV-cache decode steps and cache row copies, and its loading errors.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

#include "decoder_golden_util.h"
#include "generation_test_util.h"
#include "loader/json_file.h"
#include "models/gpt2.h"
#include "packformer/error.h"

namespace packformer::test {
namespace {

// fp32 on both sides; the golden logits have std 1.36 and |max| 5.67. The engine sums in
// another order (packed GEMM panels, online softmax in the attention), which moves a logit by
// a few ulps of the values it accumulates: measured max |diff| 3.6e-6, both for the packed
// prefill (24,064 logits) and for the decode steps through the cache. 1e-4 leaves room for
// other compilers / SIMD widths without hiding a real error (a wrong position or a missing
// bias moves logits by > 1e-1).
constexpr float kTolerance = 1e-4f;

std::unique_ptr<Gpt2Model> load_model(const std::filesystem::path& dir = tiny_gpt2()) {
  const JsonFile config(dir / "config.json");
  return std::make_unique<Gpt2Model>(dir, config);
}

TEST(Gpt2Forward, PackedPrefillMatchesTransformersAtEveryPosition) {
  const GoldenLogits g = golden_logits("tiny-gpt2");
  auto model = load_model();
  const std::vector<float> logits = model->forward_all(g.prompts);
  ASSERT_EQ(logits.size(), g.logits.size());
  const float diff = max_abs_diff(logits.data(), g.logits.data(), logits.size());
  EXPECT_LE(diff, kTolerance);
  std::printf("max |logit - transformers| over %zu values: %.3g\n", logits.size(), diff);
}

TEST(Gpt2Forward, DecodeStepsThroughTheCacheMatchTransformers) {
  // Each prompt starts from its first token; the rest are fed one step at a time, rows
  // dropping out as their prompt ends: every step's logits must be transformers' at that position.
  const GoldenLogits g = golden_logits("tiny-gpt2");
  auto model = load_model();
  const float worst = expect_decode_steps_match(*model, g, kTolerance);
  std::printf("max |logit - transformers| over the decode steps: %.3g\n", worst);
}

TEST(Gpt2Forward, CopyRowsMovesWholeCacheRows) {
  // Two copies of a prompt take different tokens, swap rows, then take one more token: each
  // row's logits must be those of the sequence it now holds (computed from scratch).
  auto model = load_model();
  const int64_t vocab = model->vocab_size();
  const std::vector<int32_t> prompt = {17, 300, 5, 88};
  std::vector<float> logits(3 * vocab);
  model->begin({prompt, {9}}, 3, 4, logits.data());
  const int32_t rows[] = {0, 1, 2}, tokens[] = {40, 41, 42};
  model->step(rows, tokens, 3, logits.data());
  const int32_t dst[] = {0, 1, 2}, src[] = {2, 0, 0};  // row 0 <- 2, rows 1 and 2 <- old row 0
  model->copy_rows(dst, src, 3);
  const int32_t next[] = {7, 8, 9};
  model->step(rows, next, 3, logits.data());

  const std::vector<std::vector<int32_t>> expected_sequences = {
      {17, 300, 5, 88, 42, 7}, {17, 300, 5, 88, 40, 8}, {17, 300, 5, 88, 40, 9}};
  auto reference = load_model();
  for (size_t r = 0; r < 3; ++r) {
    const std::vector<float> all = reference->forward_all({expected_sequences[r]});
    EXPECT_LE(max_abs_diff(logits.data() + r * vocab, all.data() + 5 * vocab, vocab), kTolerance) << "row " << r;
  }
}

TEST(Gpt2Forward, BadPromptsAndCallsAreNamed) {
  auto model = load_model();  // n_positions 128, vocab 512
  std::vector<float> logits(2 * model->vocab_size());
  expect_error([&] { model->begin({{1, 2}, {}}, 1, 4, logits.data()); }, ErrorKind::InvalidInput,
               {"prompt 1", "has no tokens", "GPT-2"});
  expect_error([&] { model->begin({std::vector<int32_t>(100, 3)}, 1, 30, logits.data()); }, ErrorKind::InvalidInput,
               {"prompt 0", "100 tokens", "30 new tokens", "129 positions", "n_positions is 128"});
  expect_error([&] { model->begin({{1, 512}}, 1, 4, logits.data()); }, ErrorKind::InvalidInput,
               {"prompt 0", "token id 512", "position 1", "[0, 512)"});
  model->begin({{1, 2}}, 2, 2, logits.data());  // rows 0 and 1, room for one step each
  const int32_t rows[] = {0, 1, 2}, tokens[] = {5, 6, 7};
  expect_error([&] { model->step(rows + 2, tokens, 1, logits.data()); }, ErrorKind::Internal,
               {"Gpt2Model::step", "cache row 2"});
  expect_error([&] { model->copy_rows(rows, rows, 3); }, ErrorKind::Internal, {"Gpt2Model::copy_rows", "copies"});
  model->step(rows, tokens, 1, logits.data());
  expect_error([&] { model->step(rows, tokens, 1, logits.data()); }, ErrorKind::Internal, {"cache row 0", "full"});
}

// A copy of tiny-gpt2 with a modified config.json (or without a weight file).
class BrokenGpt2 : public ::testing::Test {
 protected:
  std::filesystem::path copy_with(const std::function<void(nlohmann::json&)>& edit) {
    const auto dir = tmp_.path() / "gpt2";
    std::filesystem::create_directories(dir);
    for (const auto& entry : std::filesystem::directory_iterator(tiny_gpt2()))
      std::filesystem::copy_file(entry.path(), dir / entry.path().filename(),
                                 std::filesystem::copy_options::overwrite_existing);
    nlohmann::json config = nlohmann::json::parse(read_file(dir / "config.json"));
    edit(config);
    write_file(dir / "config.json", config.dump());
    return dir;
  }
  TempDir tmp_;
};

TEST_F(BrokenGpt2, MissingOrBadConfigFieldsAreNamed) {
  const auto no_embd = copy_with([](nlohmann::json& c) { c.erase("n_embd"); });
  expect_error([&] { load_model(no_embd); }, ErrorKind::InvalidModel, {"config.json", "n_embd"});
  const auto bad_heads = copy_with([](nlohmann::json& c) { c["n_head"] = 5; });
  expect_error([&] { load_model(bad_heads); }, ErrorKind::InvalidModel, {"n_embd", "n_head"});
  const auto bad_act = copy_with([](nlohmann::json& c) { c["activation_function"] = "swoosh"; });
  expect_error([&] { load_model(bad_act); }, ErrorKind::Unsupported, {"activation_function", "swoosh"});
}

TEST_F(BrokenGpt2, WeightsThatDoNotMatchTheConfigAreNamed) {
  // A config that promises more layers than the checkpoint holds.
  const auto more_layers = copy_with([](nlohmann::json& c) { c["n_layer"] = 3; });
  expect_error([&] { load_model(more_layers); }, ErrorKind::InvalidModel, {"h.2."});
  const auto wider = copy_with([](nlohmann::json& c) { c["n_positions"] = 256; });
  expect_error([&] { load_model(wider); }, ErrorKind::InvalidModel, {"wpe.weight"});
}

TEST(Gpt2Forward, GeneratorRefusesEncodersAndUnknownArchitectures) {
  expect_error([] { Generator::load(tiny_model("tiny-bert")); }, ErrorKind::Unsupported, {"model_type", "bert", "encoder"});
  TempDir tmp;
  write_file(tmp.path() / "config.json", R"({"model_type": "llama-ish"})");
  expect_error([&] { Generator::load(tmp.path()); }, ErrorKind::Unsupported, {"llama-ish", "gpt2"});
  expect_error([] { Generator::load(data_dir() / "no-such-model"); }, ErrorKind::InvalidModel, {"no-such-model"});
}

}  // namespace
}  // namespace packformer::test
