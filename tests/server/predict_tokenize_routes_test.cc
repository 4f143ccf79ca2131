// /predict on a 3-label classifier (scores: softmax of the model's logits, sorted; raw scores;
// batches; pairs refused), and /tokenize and /decode against the model's tokenizer.
#include <gmock/gmock.h>

#include "server_test_util.h"
#include "packformer/tokenizer.h"

namespace packformer::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class PredictRoutesTest : public ::testing::Test {
 protected:
  PredictRoutesTest() : client_(classifier_with_vocab(dir_.path())) {}
  // The logits of a direct Encoder::run on the text, the reference the route's scores are
  // computed from here, independently (softmax in double).
  std::vector<double> expected_softmax(const std::string& text) {
    const auto encoder = Encoder::load(dir_.path(), {.threads = 1});
    const EncoderOutput out = encoder->run(encoder->tokenize({text}), kLogits);
    std::vector<double> p(out.logits.begin(), out.logits.end());
    double top = *std::max_element(p.begin(), p.end()), sum = 0;
    for (double& v : p) sum += (v = std::exp(v - top));
    for (double& v : p) v /= sum;
    raw_ = out.logits;
    return p;
  }
  TempDir dir_;
  RouteClient client_;
  std::vector<float> raw_;
};

TEST_F(PredictRoutesTest, ScoresAreTheSoftmaxOfTheLogitsBestFirst) {
  const std::string text = "the movie was great!";
  const auto p = expected_softmax(text);
  const char* names[] = {"negative", "neutral", "positive"};
  const json out = client_.post_ok("/predict", {{"inputs", text}});
  ASSERT_EQ(out.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    const std::string label = out[k]["label"];
    const size_t index = std::find(std::begin(names), std::end(names), label) - std::begin(names);
    ASSERT_LT(index, 3u) << label;
    EXPECT_NEAR(out[k]["score"].get<double>(), p[index], 1e-6);
    if (k > 0) {
      EXPECT_GE(out[k - 1]["score"].get<double>(), out[k]["score"].get<double>());
    }
  }
  // raw_scores: the logits themselves.
  const json raw = client_.post_ok("/predict", {{"inputs", text}, {"raw_scores", true}});
  for (const auto& item : raw) {
    const std::string label = item["label"];
    const size_t index = std::find(std::begin(names), std::end(names), label) - std::begin(names);
    EXPECT_EQ(item["score"].get<float>(), raw_[index]);
  }
  // POST / is /predict for a classifier; ["text"] is the same single input.
  EXPECT_EQ(client_.post_ok("/", {{"inputs", text}}), out);
  EXPECT_EQ(client_.post_ok("/predict", {{"inputs", json::array({text})}}), out);
}

TEST_F(PredictRoutesTest, BatchesGiveOneListPerInput) {
  const json out = client_.post_ok("/predict", {{"inputs", json::array({json::array({"i love it"}),
                                                                        json::array({"i hate it"})})}});
  ASSERT_EQ(out.size(), 2u);
  // The classifier's GEMM over the batch's rows rounds differently with the batch size
  // (docs/ENGINE.md: up to 9.5e-7 on logits), so scores agree to 1e-6, labels exactly.
  const char* texts[] = {"i love it", "i hate it"};
  for (size_t i = 0; i < 2; ++i) {
    const json alone = client_.post_ok("/predict", {{"inputs", texts[i]}});
    ASSERT_EQ(out[i].size(), alone.size());
    for (size_t k = 0; k < alone.size(); ++k) {
      EXPECT_EQ(out[i][k]["label"], alone[k]["label"]);
      EXPECT_NEAR(out[i][k]["score"].get<double>(), alone[k]["score"].get<double>(), 1e-6);
    }
  }
}

TEST_F(PredictRoutesTest, PairsAndMalformedInputsAreRefused) {
  const auto pair = client_.post("/predict", {{"inputs", json::array({"first", "second"})}});
  EXPECT_EQ(pair.status, 422);
  EXPECT_THAT(pair.body, HasSubstr("pair classification is not supported"));
  EXPECT_EQ(client_.post("/predict", {{"inputs", json::array({"a", "b", "c"})}}).status, 422);
  EXPECT_EQ(client_.post("/predict", {{"inputs", json::array({json::array()})}}).status, 422);
  const auto embed = client_.post("/embed", {{"inputs", "a"}});
  EXPECT_EQ(embed.status, 424);
  EXPECT_THAT(embed.body, HasSubstr("is a classifier, not an embedding model"));
}

TEST(TokenizeRoutes, TokenizeAndDecodeUseTheModelsTokenizer) {
  ASSERT_TRUE(std::filesystem::exists(minilm_dir() / "tokenizer.json")) << minilm_dir() << " is missing: run scripts/setup";
  RouteClient client(minilm_dir());
  const Tokenizer& tokenizer = *client.service().tokenizer();
  const std::string text = "Hello world, tokenization!";
  const auto encoding = tokenizer.encode(text);
  const json out = client.post_ok("/tokenize", {{"inputs", text}});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), encoding.ids.size());
  for (size_t t = 0; t < encoding.ids.size(); ++t) {
    EXPECT_EQ(out[0][t]["id"], encoding.ids[t]);
    EXPECT_EQ(out[0][t]["special"], t == 0 || t + 1 == encoding.ids.size()) << "[CLS] and [SEP]";
    EXPECT_EQ(out[0][t]["text"], tokenizer.decode({encoding.ids[t]}, false));
  }
  EXPECT_EQ(out[0][0]["text"], "[CLS]");
  const json plain = client.post_ok("/tokenize", {{"inputs", json::array({text, "a"})}, {"add_special_tokens", false}});
  ASSERT_EQ(plain.size(), 2u);
  EXPECT_EQ(plain[0].size(), encoding.ids.size() - 2);

  const json decoded = client.post_ok("/decode", {{"ids", encoding.ids}});
  EXPECT_EQ(decoded, json::array({tokenizer.decode(encoding.ids, true)}));
  EXPECT_EQ(decoded[0], "hello world, tokenization!");
  const json with_special = client.post_ok("/decode", {{"ids", json::array({encoding.ids})}, {"skip_special_tokens", false}});
  EXPECT_EQ(with_special[0], "[CLS] hello world, tokenization! [SEP]");
}

}  // namespace
}  // namespace packformer::test
