// Loading errors of the Llama-style decoders: config fields out of range or unsupported, and
// checkpoints that do not match their config, each named; prompts beyond the positions refused.
#include <functional>
#include <nlohmann/json.hpp>

#include "llama_test_util.h"
#include "packformer/error.h"
#include "packformer/generator.h"

namespace packformer::test {
namespace {

// A copy of a tiny model with a modified config.json.
class BrokenLlama : public ::testing::Test {
 protected:
  std::filesystem::path copy_with(const std::string& model, const std::function<void(nlohmann::json&)>& edit) {
    const auto dir = tmp_.path() / (model + std::to_string(copies_++));
    std::filesystem::create_directories(dir);
    for (const auto& entry : std::filesystem::directory_iterator(tiny_model(model)))
      std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
    nlohmann::json config = nlohmann::json::parse(read_file(dir / "config.json"));
    edit(config);
    write_file(dir / "config.json", config.dump());
    return dir;
  }
  TempDir tmp_;
  int copies_ = 0;
};

TEST_F(BrokenLlama, MissingOrBadConfigFieldsAreNamed) {
  const auto no_hidden = copy_with("tiny-llama", [](nlohmann::json& c) { c.erase("hidden_size"); });
  expect_error([&] { load_llama(no_hidden); }, ErrorKind::InvalidModel, {"config.json", "hidden_size"});
  const auto bad_kv = copy_with("tiny-llama", [](nlohmann::json& c) { c["num_key_value_heads"] = 3; });
  expect_error([&] { load_llama(bad_kv); }, ErrorKind::InvalidModel, {"num_key_value_heads", "divide"});
  const auto more_kv = copy_with("tiny-llama", [](nlohmann::json& c) { c["num_key_value_heads"] = 8; });
  expect_error([&] { load_llama(more_kv); }, ErrorKind::InvalidModel, {"num_key_value_heads", "range"});
  const auto odd_head = copy_with("tiny-qwen3", [](nlohmann::json& c) { c["head_dim"] = 23; });
  expect_error([&] { load_llama(odd_head); }, ErrorKind::InvalidModel, {"head_dim", "even"});
  const auto bad_act = copy_with("tiny-mistral", [](nlohmann::json& c) { c["hidden_act"] = "swoosh"; });
  expect_error([&] { load_llama(bad_act); }, ErrorKind::Unsupported, {"hidden_act", "swoosh"});
  const auto bad_eps = copy_with("tiny-qwen2", [](nlohmann::json& c) { c["rms_norm_eps"] = -1; });
  expect_error([&] { load_llama(bad_eps); }, ErrorKind::InvalidModel, {"rms_norm_eps"});
  const auto zero_window = copy_with("tiny-mistral", [](nlohmann::json& c) { c["sliding_window"] = 0; });
  expect_error([&] { load_llama(zero_window); }, ErrorKind::InvalidModel, {"sliding_window"});
  const auto bad_layer_type = copy_with("tiny-qwen2", [](nlohmann::json& c) { c["layer_types"][1] = "chunked"; });
  expect_error([&] { load_llama(bad_layer_type); }, ErrorKind::InvalidModel, {"layer_types", "chunked"});
  const auto longrope = copy_with("tiny-llama", [](nlohmann::json& c) { c["rope_parameters"]["rope_type"] = "longrope"; });
  expect_error([&] { Generator::load(longrope); }, ErrorKind::Unsupported, {"rope_parameters.rope_type", "longrope"});
}

TEST_F(BrokenLlama, WeightsThatDoNotMatchTheConfigAreNamed) {
  const auto more_layers = copy_with("tiny-llama", [](nlohmann::json& c) { c["num_hidden_layers"] = 3; });
  expect_error([&] { load_llama(more_layers); }, ErrorKind::InvalidModel, {"layers.2."});
  // qwen3 without head_dim means transformers' default 128, which the weights do not have.
  const auto no_head_dim = copy_with("tiny-qwen3", [](nlohmann::json& c) { c.erase("head_dim"); });
  expect_error([&] { load_llama(no_head_dim); }, ErrorKind::InvalidModel, {"q_proj"});
  // tiny-qwen2 ties its head: untied, the checkpoint lacks lm_head.weight.
  const auto untied = copy_with("tiny-qwen2", [](nlohmann::json& c) { c["tie_word_embeddings"] = false; });
  expect_error([&] { load_llama(untied); }, ErrorKind::InvalidModel, {"tie_word_embeddings", "lm_head.weight"});
  // A llama with attention_bias needs q/k/v/o biases the checkpoint lacks.
  const auto biased = copy_with("tiny-llama", [](nlohmann::json& c) { c["attention_bias"] = true; });
  expect_error([&] { load_llama(biased); }, ErrorKind::InvalidModel, {"q_proj.bias"});
}

TEST(LlamaConfig, PromptsBeyondTheRotaryPositionsAreRefused) {
  const auto generator = Generator::load(tiny_model("tiny-llama"));
  GenerationOptions options;
  options.max_new_tokens = 100;
  const std::vector<int32_t> prompt(40, 5);  // 40 + 100 - 1 > 128 positions
  expect_error([&] { generator->generate({prompt}, options); }, ErrorKind::InvalidInput,
               {"max_position_embeddings", "128"});
  expect_error([&] { generator->generate({{5, 384}}, GenerationOptions{}); }, ErrorKind::InvalidInput,
               {"384", "vocabulary"});
}

}  // namespace
}  // namespace packformer::test
