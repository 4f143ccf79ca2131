// RoPE inverse frequencies and attention scaling per rope type against transformers'
// ROPE_INIT_FUNCTIONS (tests/data/golden/rope-inv-freq.json), config.json's old and new rope
// fields, the errors for what is not supported, and the rotation itself (rotate_half pairs).
#include <cmath>
#include <nlohmann/json.hpp>

#include "layers/rotary.h"
#include "loader/json_file.h"
#include "packformer/error.h"
#include "test_util.h"

namespace packformer::test {
namespace {

JsonFile config_with(const nlohmann::json& fields) {
  nlohmann::json config = {{"model_type", "llama"}};
  config.update(fields);
  return JsonFile::from_text(config.dump(), "config.json");
}

TEST(Rotary, FrequenciesMatchTransformersForEveryRopeType) {
  const auto golden = nlohmann::json::parse(read_file(data_dir() / "golden" / "rope-inv-freq.json"));
  ASSERT_GE(golden.at("cases").size(), 9u);
  for (const auto& c : golden.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const RopeParameters rope = parse_rope_parameters(config_with({{"rope_parameters", c.at("rope_parameters")}}));
    const RopeFrequencies f =
        rope_frequencies(rope, c.at("head_dim").get<int64_t>(), c.at("max_position_embeddings").get<int64_t>());
    const auto expected = c.at("inv_freq").get<std::vector<float>>();
    ASSERT_EQ(f.inv_freq.size(), expected.size());
    // Both fp32; pow and the llama3 / yarn blends may round differently in the last bit or two.
    for (size_t i = 0; i < expected.size(); ++i)
      EXPECT_NEAR(f.inv_freq[i], expected[i], 4e-7 * std::fabs(expected[i])) << "frequency " << i;
    EXPECT_NEAR(f.attention_scaling, c.at("attention_scaling").get<float>(), 1e-6);
  }
}

TEST(Rotary, OldConfigFieldsReadLikeTheNewOnes) {
  // transformers 4 files: rope_scaling with "type", rope_theta at the top level.
  const RopeParameters old_style = parse_rope_parameters(
      config_with({{"rope_theta", 500000.0}, {"rope_scaling", {{"type", "linear"}, {"factor", 4.0}}}}));
  EXPECT_EQ(old_style.type, "linear");
  EXPECT_EQ(old_style.theta, 500000.0);
  EXPECT_EQ(old_style.factor, 4.0);
  const RopeParameters plain = parse_rope_parameters(config_with({{"rope_scaling", nullptr}}));
  EXPECT_EQ(plain.type, "default");
  EXPECT_EQ(plain.theta, 10000.0);
}

TEST(Rotary, UnsupportedOrBrokenRopeFieldsAreNamed) {
  expect_error([] { parse_rope_parameters(config_with({{"rope_parameters", {{"rope_type", "longrope"}}}})); },
               ErrorKind::Unsupported, {"rope_parameters.rope_type", "longrope", "llama3", "yarn"});
  expect_error([] { parse_rope_parameters(config_with({{"rope_scaling", {{"type", "su"}, {"factor", 2}}}})); },
               ErrorKind::Unsupported, {"rope_scaling.type", "'su'"});
  expect_error([] { parse_rope_parameters(config_with({{"rope_parameters", {{"rope_type", "linear"}}}})); },
               ErrorKind::InvalidModel, {"rope_parameters.factor", "missing"});
  expect_error([] { parse_rope_parameters(config_with({{"rope_parameters", {{"rope_type", "linear"}, {"factor", -2}}}})); },
               ErrorKind::InvalidModel, {"rope_parameters.factor", "positive"});
  expect_error([] { parse_rope_parameters(config_with({{"rope_theta", "big"}})); }, ErrorKind::InvalidModel,
               {"rope_theta", "number"});
  expect_error([] { parse_rope_parameters(config_with({{"partial_rotary_factor", 0.5}})); }, ErrorKind::Unsupported,
               {"partial_rotary_factor"});
  expect_error([] { parse_rope_parameters(config_with({{"rope_parameters", "linear"}})); }, ErrorKind::InvalidModel,
               {"rope_parameters", "object"});
  expect_error([] {
    parse_rope_parameters(config_with({{"rope_parameters",
                                        {{"rope_type", "llama3"}, {"factor", 8}, {"low_freq_factor", 4},
                                         {"high_freq_factor", 1}}}}));
  }, ErrorKind::InvalidModel, {"rope_parameters.high_freq_factor"});
}

TEST(Rotary, RotatesEachHeadsHalvesTogether) {
  // rotate_half: (x[i], x[i + d/2]) turns by position * inv_freq[i].
  RopeParameters rope;
  const int64_t head_dim = 8, heads = 2, position = 5;
  const Rotary rotary(rope, head_dim, 16, 16);
  const RopeFrequencies f = rope_frequencies(rope, head_dim, 16);
  std::vector<float> x(heads * head_dim);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * static_cast<float>(i) - 1.0f;
  std::vector<float> y = x;
  rotary.apply(y.data(), heads, position);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < head_dim / 2; ++i) {
      const double angle = position * static_cast<double>(f.inv_freq[i]);
      const double a = x[h * head_dim + i], b = x[h * head_dim + i + head_dim / 2];
      EXPECT_NEAR(y[h * head_dim + i], a * std::cos(angle) - b * std::sin(angle), 1e-6);
      EXPECT_NEAR(y[h * head_dim + i + head_dim / 2], b * std::cos(angle) + a * std::sin(angle), 1e-6);
    }
}

}  // namespace
}  // namespace packformer::test
