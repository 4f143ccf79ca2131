// /rerank and pair inputs to /predict against transformers: tiny-bert-rerank (a one-label
// cross-encoder, TEI's "re-ranker") and tiny-bert-cls (3 labels) on the golden text pairs
// (tests/data/golden/tiny-bert-{rerank,cls}.pairs.json, scripts/make_golden.py rerank /
// classify-pairs). Scores are the sigmoid (one label) or softmax of the golden logits, computed
// here in double; ordering, return_text, POST / and /info; and every refusal's status and body.
#include <gmock/gmock.h>

#include <cmath>

#include "server_test_util.h"

namespace packformer::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Logits agree with torch's to ~1e-6 on this 2-layer fp32 model (cross_encoder_test allows
// 1e-4); a score is a sigmoid or softmax of them, whose slope is at most 1/4 (sigmoid) and
// whose outputs move by at most the largest logit difference (softmax): 1e-5 leaves room for
// float rounding while a dropped type id or a wrong pair form moves scores by 1e-2 or more.
constexpr double kScoreTolerance = 1e-5;

json golden(const std::string& model) {
  return json::parse(read_file(data_dir() / "golden" / (model + ".pairs.json")));
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<double> softmax(const std::vector<double>& logits) {
  std::vector<double> p = logits;
  const double top = *std::max_element(p.begin(), p.end());
  double sum = 0;
  for (double& v : p) sum += (v = std::exp(v - top));
  for (double& v : p) v /= sum;
  return p;
}

json rerank_body(const std::string& query, const std::vector<std::string>& texts, json extra = json::object()) {
  extra["query"] = query;
  extra["texts"] = texts;
  return extra;
}

void expect_refusal(const serve::ApiResponse& response, int status, const std::string& type,
                    const std::string& message) {
  EXPECT_EQ(response.status, status) << response.body;
  json body;
  ASSERT_NO_THROW(body = json::parse(response.body)) << response.body;
  EXPECT_EQ(body["error_type"], type) << response.body;
  EXPECT_THAT(body["error"].get<std::string>(), HasSubstr(message));
}

class RerankRoutesTest : public ::testing::Test {
 protected:
  RerankRoutesTest() : client_(tiny_model("tiny-bert-rerank")), golden_(golden("tiny-bert-rerank")) {}
  RouteClient client_;
  json golden_;
};

// Each golden pair (a, b) as /rerank {query: a, texts: [b]}: the sigmoid of transformers' logit,
// or the logit itself with raw_scores; also truncated to 16 tokens by a server whose batch
// budget is 16 tokens (auto-truncate), the golden's "truncated" case.
TEST_F(RerankRoutesTest, ScoresAreTheSigmoidOfTransformersLogits) {
  serve::ServeOptions sixteen;
  sixteen.max_batch_tokens = golden_["truncated"]["max_length"].get<int64_t>();
  RouteClient truncating(tiny_model("tiny-bert-rerank"), sixteen);
  for (const auto& [key, client] : {std::pair<std::string, RouteClient*>{"full", &client_}, {"truncated", &truncating}}) {
    const json& pairs = golden_["pairs"];
    for (size_t i = 0; i < pairs.size(); ++i) {
      SCOPED_TRACE(key + " pair " + std::to_string(i));
      const double logit = golden_[key]["logits"][i].get<double>();
      const json out = client->post_ok("/rerank", rerank_body(pairs[i][0], {pairs[i][1]}));
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0]["index"], 0);
      EXPECT_FALSE(out[0].contains("text"));
      EXPECT_NEAR(out[0]["score"].get<double>(), sigmoid(logit), kScoreTolerance);
      const json raw = client->post_ok("/rerank", rerank_body(pairs[i][0], {pairs[i][1]}, {{"raw_scores", true}}));
      EXPECT_NEAR(raw[0]["score"].get<double>(), logit, 4 * kScoreTolerance);
    }
  }
}

// One query against many texts: the answer is every text once, best first, each score the one
// the same pair gets alone (the reference: Encoder::tokenize_pairs + the slow path, which
// cross_encoder_test holds to transformers), with `text` when return_text asks for it.
TEST_F(RerankRoutesTest, RanksAreSortedBestFirstWithTheirTexts) {
  const std::string query = "What is the capital of the country?";
  std::vector<std::string> texts;
  for (const auto& pair : golden_["pairs"])
    if (!pair[1].get<std::string>().empty()) texts.push_back(pair[1]);
  const auto encoder = Encoder::load(tiny_model("tiny-bert-rerank"), {.threads = 1});
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& text : texts) pairs.emplace_back(query, text);
  const EncoderOutput reference = encoder->run(encoder->tokenize_pairs(pairs), kLogits, {.path = ExecutionPath::Slow});

  const json out = client_.post_ok("/rerank", rerank_body(query, texts, {{"return_text", true}}));
  ASSERT_EQ(out.size(), texts.size());
  std::vector<bool> seen(texts.size(), false);
  for (size_t k = 0; k < out.size(); ++k) {
    const size_t index = out[k]["index"].get<size_t>();
    ASSERT_LT(index, texts.size());
    EXPECT_FALSE(seen[index]) << "index " << index << " twice";
    seen[index] = true;
    EXPECT_EQ(out[k]["text"], texts[index]);
    EXPECT_NEAR(out[k]["score"].get<double>(), sigmoid(reference.logits[index]), kScoreTolerance);
    if (k > 0) {
      EXPECT_GE(out[k - 1]["score"].get<double>(), out[k]["score"].get<double>()) << "rank " << k;
    }
  }
  // The order is the reference's: the logits sorted, best first.
  std::vector<size_t> order(texts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return reference.logits[a] > reference.logits[b]; });
  for (size_t k = 0; k < order.size(); ++k) EXPECT_EQ(out[k]["index"], order[k]) << "rank " << k;

  // A re-ranker's POST / is /rerank (TEI's), and /info calls it a re-ranker.
  EXPECT_EQ(client_.post_ok("/", rerank_body(query, texts, {{"return_text", true}})), out);
  const json info = json::parse(client_.call("GET", "/info").body);
  EXPECT_EQ(info["model_type"]["reranker"]["id2label"], json({{"0", "score"}}));
}

// /predict with pairs on the 3-label tiny-bert-cls: each pair's labels are the softmax of
// transformers' logits, best first; [a, b] is one pair (one list), a batch mixes pairs and texts.
TEST(PredictPairs, ScoresAreTheSoftmaxOfTransformersLogits) {
  RouteClient client(tiny_model("tiny-bert-cls"));
  const json g = golden("tiny-bert-cls");
  const std::vector<std::string> names = {"negative", "neutral", "positive"};
  const auto expect_pair = [&](const json& predictions, size_t i) {
    SCOPED_TRACE("pair " + std::to_string(i));
    const auto p = softmax(g["full"]["logits"][i].get<std::vector<double>>());
    ASSERT_EQ(predictions.size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
      const size_t label = std::find(names.begin(), names.end(), predictions[k]["label"]) - names.begin();
      ASSERT_LT(label, 3u) << predictions[k];
      EXPECT_NEAR(predictions[k]["score"].get<double>(), p[label], kScoreTolerance);
      if (k > 0) {
        EXPECT_GE(predictions[k - 1]["score"].get<double>(), predictions[k]["score"].get<double>());
      }
    }
  };
  const json& pairs = g["pairs"];
  for (size_t i = 0; i < pairs.size(); ++i) expect_pair(client.post_ok("/predict", {{"inputs", pairs[i]}}), i);

  json batch = json::array();
  for (const auto& pair : pairs) batch.push_back(pair);
  batch.push_back(json::array({"the movie was great"}));
  const json out = client.post_ok("/predict", {{"inputs", batch}});
  ASSERT_EQ(out.size(), pairs.size() + 1);
  for (size_t i = 0; i < pairs.size(); ++i) expect_pair(out[i], i);
  // The single text in the same batch is what it is alone (to the batch's GEMM rounding).
  const json alone = client.post_ok("/predict", {{"inputs", "the movie was great"}});
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(out.back()[k]["label"], alone[k]["label"]);
    EXPECT_NEAR(out.back()[k]["score"].get<double>(), alone[k]["score"].get<double>(), 1e-6);
  }
}

// /predict on the re-ranker: its one label, scored by the sigmoid (TEI serves both routes).
TEST_F(RerankRoutesTest, PredictOnAPairOfTheRerankerIsTheSigmoid) {
  const json out = client_.post_ok("/predict", {{"inputs", golden_["pairs"][3]}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["label"], "score");
  EXPECT_NEAR(out[0]["score"].get<double>(), sigmoid(golden_["full"]["logits"][3].get<double>()), kScoreTolerance);
}

TEST(RerankRefusals, ModelsThatAreNotRerankersAnswer424) {
  RouteClient classifier(tiny_model("tiny-bert-cls"));
  expect_refusal(classifier.post("/rerank", rerank_body("q", {"a"})), 424, "Backend",
                 "model is not a re-ranker model: /rerank needs a sequence classifier with a single label, the "
                 "served model has 3 labels");
  RouteClient embedder(tiny_model("tiny-minilm"));
  expect_refusal(embedder.post("/rerank", rerank_body("q", {"a"})), 424, "Backend",
                 "the served model has no sequence-classification head");
  expect_refusal(embedder.post("/predict", {{"inputs", json::array({"a", "b"})}}), 424, "Backend",
                 "/predict needs a classifier");
}

TEST_F(RerankRoutesTest, BadRequestsAreRefusedNamingTheField) {
  serve::ServeOptions options;
  options.max_client_batch_size = 2;
  options.max_batch_tokens = 16;  // auto-truncate (the default) makes 16 tokens the maximum input
  RouteClient strict(tiny_model("tiny-bert-rerank"), options);
  // Golden pair 10 is 50 tokens long.
  const std::string longer = golden_["pairs"][10][0], longer_text = golden_["pairs"][10][1];
  const struct {
    json body;
    int status;
    std::string type, message;
  } refusals[] = {
      {json::object({{"texts", {"a"}}}), 422, "Validation", "missing field `query`"},
      {json::object({{"query", "q"}}), 422, "Validation", "missing field `texts`"},
      {json::object({{"query", 3}, {"texts", {"a"}}}), 422, "Validation", "`query` must be a string"},
      {json::object({{"query", "q"}, {"texts", "a"}}), 422, "Validation", "`texts` must be a list of strings"},
      {json::object({{"query", "q"}, {"texts", json::array()}}), 422, "Validation", "`texts` cannot be empty"},
      {json::object({{"query", "q"}, {"texts", {"a", 2}}}), 422, "Validation", "`texts[1]` must be a string"},
      {json::object({{"query", "q"}, {"texts", {"a", "b", "c"}}}), 413, "Validation",
       "batch size 3 > maximum allowed batch size 2"},
      {json::object({{"query", ""}, {"texts", {"a", ""}}}), 422, "Validation", "input 1 is a pair of empty strings"},
      {json::object({{"query", "q"}, {"texts", {"a"}}, {"raw_scores", "no"}}), 422, "Validation", "`raw_scores`"},
      {json::object({{"query", "q"}, {"texts", {"a"}}, {"return_text", 1}}), 422, "Validation", "`return_text`"},
      {json::object({{"query", "q"}, {"texts", {"a"}}, {"truncation_direction", "left"}}), 422, "Validation",
       "left truncation"},
      {json::object({{"query", longer}, {"texts", {longer_text}}, {"truncate", false}}), 422, "Validation",
       "the input is longer than the maximum input (16 tokens); send `truncate: true`"},
  };
  for (const auto& r : refusals) {
    SCOPED_TRACE(r.body.dump());
    expect_refusal(strict.post("/rerank", r.body), r.status, r.type, r.message);
  }
  // Without truncate: false the same pair is cut (longest_first, as the golden's truncated case).
  const json cut = strict.post_ok("/rerank", {{"query", longer}, {"texts", {longer_text}}, {"raw_scores", true}});
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_NEAR(cut[0]["score"].get<double>(), golden_["truncated"]["logits"][10].get<double>(), 4 * kScoreTolerance);

  const struct {
    json inputs;
    std::string message;
  } predict_refusals[] = {
      {json::array({"a", "b", "c"}), "`inputs` must be [text] or a pair [text, text]"},
      {json::array({json::array({"a", "b"}), json::array({"a", 2})}), "`inputs[1]` must hold strings"},
      {json::array({"", ""}), "the input is a pair of empty strings"},
      {json::array({longer, longer_text}), "the input is longer than the maximum input (16 tokens)"},
  };
  for (const auto& r : predict_refusals) {
    SCOPED_TRACE(r.inputs.dump());
    expect_refusal(strict.post("/predict", {{"inputs", r.inputs}, {"truncate", false}}), 422, "Validation", r.message);
  }
}

}  // namespace
}  // namespace packformer::test
