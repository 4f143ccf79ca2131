// Marian and BART forward passes against transformers (tests/data/golden/NAME.forward):
// the packed encoder, teacher-forced decoder logits, decode steps through the self-attention
// cache with cross-attention keys shared by a source's copies; and loading / input errors.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <gmock/gmock.h>

#include "loader/json_file.h"
#include "models/seq2seq.h"
#include "packformer/error.h"
#include "seq2seq_test_util.h"

namespace packformer::test {
namespace {

// fp32 on both sides; summation order differs (packed GEMM panels, online softmax), which
// moves values by a few ulps of what they accumulate. Same bound as GPT-2's logits test; a
// wrong position, scale or missing bias moves logits by > 1e-1.
constexpr float kTolerance = 1e-4f;

std::unique_ptr<Seq2SeqModel> load_model(const std::string& name) {
  const auto dir = tiny_model(name);
  const JsonFile config(dir / "config.json");
  return std::make_unique<Seq2SeqModel>(dir, config);
}

class Seq2SeqForward : public ::testing::TestWithParam<std::string> {};

TEST_P(Seq2SeqForward, PackedEncoderMatchesTransformers) {
  const ForwardGolden g = forward_golden(GetParam());
  auto model = load_model(GetParam());
  const int64_t n = model->config().d_model;
  const std::vector<float> states = model->encode(g.sources);
  float worst = 0.0f;
  size_t row = 0;
  for (size_t b = 0; b < g.sources.size(); ++b)
    for (size_t t = 0; t < g.sources[b].size(); ++t, ++row)
      worst = max_or_nan(worst, max_abs_diff(states.data() + row * n, g.encoder_states.data() + (b * g.max_source + t) * n,
                                             static_cast<size_t>(n)));
  ASSERT_EQ(states.size(), row * n);
  EXPECT_LE(worst, kTolerance);
  std::printf("%s encoder: max |diff| over %zu rows: %.3g\n", GetParam().c_str(), row, worst);
}

TEST_P(Seq2SeqForward, TeacherForcedLogitsMatchTransformers) {
  const ForwardGolden g = forward_golden(GetParam());
  auto model = load_model(GetParam());
  const std::vector<float> logits = model->forward(g.sources, g.decoder_ids);
  ASSERT_EQ(logits.size(), g.logits.size());
  const float diff = max_abs_diff(logits.data(), g.logits.data(), logits.size());
  EXPECT_LE(diff, kTolerance);
  std::printf("%s teacher-forced logits: max |diff| over %zu values: %.3g\n", GetParam().c_str(), logits.size(), diff);
}

TEST_P(Seq2SeqForward, EachSourceAloneGivesTheBatchLogits) {
  const ForwardGolden g = forward_golden(GetParam());
  auto model = load_model(GetParam());
  const std::vector<float> batch = model->forward(g.sources, g.decoder_ids);
  const size_t per_source = static_cast<size_t>(g.decoder_length * model->vocab_size());
  for (size_t b = 0; b < g.sources.size(); ++b) {
    const std::vector<float> alone = model->forward({g.sources[b]}, {g.decoder_ids[b]});
    EXPECT_LE(max_abs_diff(alone.data(), batch.data() + b * per_source, per_source), 1e-5f) << "source " << b;
  }
}

TEST_P(Seq2SeqForward, DecodeStepsThroughTheCacheMatchTransformers) {
  // begin() gives the logits after the decoder start token; the teacher-forced ids then go in
  // one step at a time. Two copies per source: both read the source's one set of
  // cross-attention keys and must give the same logits.
  const ForwardGolden g = forward_golden(GetParam());
  auto model = load_model(GetParam());
  const int64_t vocab = model->vocab_size(), copies = 2, count = static_cast<int64_t>(g.sources.size());
  const auto golden_at = [&](int64_t b, int64_t t) { return g.logits.data() + (b * g.decoder_length + t) * vocab; };
  std::vector<float> logits(static_cast<size_t>(count * copies * vocab));
  model->begin(g.sources, copies, g.decoder_length, logits.data());
  float worst = 0.0f;
  for (int64_t b = 0; b < count; ++b)
    worst = max_or_nan(worst, max_abs_diff(logits.data() + b * vocab, golden_at(b, 0), vocab));
  for (int64_t t = 1; t < g.decoder_length; ++t) {
    std::vector<int32_t> rows, tokens;
    for (int64_t r = 0; r < count * copies; ++r) {
      rows.push_back(static_cast<int32_t>(r));
      tokens.push_back(g.decoder_ids[static_cast<size_t>(r / copies)][static_cast<size_t>(t)]);
    }
    model->step(rows.data(), tokens.data(), static_cast<int64_t>(rows.size()), logits.data());
    for (int64_t r = 0; r < count * copies; ++r)
      worst = max_or_nan(worst, max_abs_diff(logits.data() + r * vocab, golden_at(r / copies, t), vocab));
  }
  EXPECT_LE(worst, kTolerance);
  std::printf("%s decode steps: max |diff| %.3g\n", GetParam().c_str(), worst);
}

INSTANTIATE_TEST_SUITE_P(Models, Seq2SeqForward, ::testing::ValuesIn(seq2seq_models()));

TEST(Seq2SeqConfig, ArchitectureDifferencesComeFromTheConfig) {
  const auto marian = parse_seq2seq_config(JsonFile(tiny_model("tiny-marian") / "config.json"));
  EXPECT_TRUE(marian.sinusoidal_positions);
  EXPECT_EQ(marian.position_offset, 0);
  EXPECT_FALSE(marian.layernorm_embedding);
  EXPECT_FLOAT_EQ(marian.embed_scale, std::sqrt(32.0f));
  EXPECT_EQ(marian.activation, Activation::Silu);
  EXPECT_EQ(marian.decoder_start_token_id, 260);
  EXPECT_EQ(marian.eos_token_ids, std::vector<int32_t>{0});
  const auto bart = parse_seq2seq_config(JsonFile(tiny_model("tiny-bart") / "config.json"));
  EXPECT_FALSE(bart.sinusoidal_positions);
  EXPECT_EQ(bart.position_offset, 2);
  EXPECT_TRUE(bart.layernorm_embedding);
  EXPECT_FLOAT_EQ(bart.embed_scale, 1.0f);
  EXPECT_EQ(bart.activation, Activation::Gelu);
  EXPECT_EQ(bart.decoder_start_token_id, 2);
  EXPECT_FALSE(bart.forced_bos_token_id.has_value());
  const auto separate = parse_seq2seq_config(JsonFile(tiny_model("tiny-marian-separate") / "config.json"));
  EXPECT_FALSE(separate.shared_embeddings);
  EXPECT_EQ(separate.vocab_size, 70);
  EXPECT_EQ(separate.decoder_vocab_size, 50);
}

// Folder copies with one file changed.
class Seq2SeqFolder : public ::testing::Test {
 protected:
  std::filesystem::path copy(const std::string& name) {
    const auto dir = tmp_.path() / name;
    std::filesystem::copy(tiny_model(name), dir, std::filesystem::copy_options::recursive);
    return dir;
  }
  static void edit_json(const std::filesystem::path& file, const std::function<void(nlohmann::json&)>& edit) {
    auto json = nlohmann::json::parse(read_file(file));
    edit(json);
    write_file(file, json.dump());
  }
  TempDir tmp_;
};

TEST_F(Seq2SeqFolder, GenerationConfigDecidesForcedTokensAndElseConfigJson) {
  // transformers 5 ignores config.json's generation fields when generation_config.json exists.
  const auto dir = copy("tiny-bart");
  edit_json(dir / "config.json", [](nlohmann::json& j) {
    j["forced_bos_token_id"] = 0;
    j["forced_eos_token_id"] = 2;
  });
  auto with_file = parse_seq2seq_config(JsonFile(dir / "config.json"));
  EXPECT_FALSE(with_file.forced_bos_token_id.has_value());
  std::filesystem::remove(dir / "generation_config.json");
  auto without = parse_seq2seq_config(JsonFile(dir / "config.json"));
  EXPECT_EQ(without.forced_bos_token_id, 0);
  EXPECT_EQ(without.forced_eos_token_id, 2);
}

TEST_F(Seq2SeqFolder, ConfigErrorsNameTheField) {
  const auto dir = copy("tiny-marian");
  edit_json(dir / "config.json", [](nlohmann::json& j) { j["decoder_attention_heads"] = 5; });
  try {
    parse_seq2seq_config(JsonFile(dir / "config.json"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidModel);
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("decoder_attention_heads"));
  }
  edit_json(dir / "generation_config.json", [](nlohmann::json& j) { j["bad_words_ids"] = {{5, 6}}; });
  edit_json(dir / "config.json", [](nlohmann::json& j) { j["decoder_attention_heads"] = 4; });
  try {
    parse_seq2seq_config(JsonFile(dir / "config.json"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("bad_words_ids"));
  }
}

TEST_F(Seq2SeqFolder, MissingWeightIsNamed) {
  const auto dir = copy("tiny-bart");
  edit_json(dir / "config.json", [](nlohmann::json& j) { j["decoder_layers"] = 3; });
  try {
    Seq2SeqModel model(dir, JsonFile(dir / "config.json"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("decoder.layers.2"));
  }
}

void expect_invalid(const std::function<void()>& call, const std::vector<std::string>& pieces) {
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    for (const auto& piece : pieces) EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr(piece));
  }
}

TEST(Seq2SeqInput, BadSourcesAreRefusedNamingTheSource) {
  auto generator = Generator::load(tiny_model("tiny-marian"), {.threads = 2, .load_tokenizer = false});
  GenerationOptions options;
  options.max_new_tokens = 4;
  expect_invalid([&] { generator->generate({{5, 0}, {}}, options); }, {"source 1", "no tokens"});
  expect_invalid([&] { generator->generate({{5, 261, 0}}, options); }, {"source 0", "261", "position 1", "[0, 261)"});
  expect_invalid([&] { generator->generate({{5, -1}}, options); }, {"source 0", "-1"});
  expect_invalid([&] { generator->generate({std::vector<int32_t>(129, 5)}, options); },
                 {"source 0", "129 tokens", "max_position_embeddings is 128"});
  options.max_new_tokens = 129;
  expect_invalid([&] { generator->generate({{5, 0}}, options); }, {"max_new_tokens 129", "128"});
  options.max_new_tokens = 128;  // the whole decoder: allowed
  EXPECT_EQ(generator->generate({std::vector<int32_t>(128, 5)}, options).size(), 1u);
  options.max_new_tokens = 4;
  options.forced_eos_token_id = 261;
  expect_invalid([&] { generator->generate({{5, 0}}, options); }, {"forced_eos_token_id 261"});
}

}  // namespace
}  // namespace packformer::test
