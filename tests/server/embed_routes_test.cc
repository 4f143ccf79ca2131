// /embed, / and /v1/embeddings on the real all-MiniLM-L6-v2, called as plain functions:
// embeddings of tests/data/sentences.txt against sentence-transformers' goldens, the OpenAI
// body (float and base64, usage), token ids in, truncation, and the metrics they leave.
#include <gmock/gmock.h>

#include <cstring>

#include "server_test_util.h"
#include "packformer/tokenizer.h"

namespace packformer::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// As tests/models/minilm_test.cc (measured 2.6e-7 through the engine); /embed normalizes the
// (already unit) embedding once more in double precision, which moves it by < 1e-7.
constexpr float kTolerance = 1e-6f;

std::vector<float> floats(const json& array) { return array.get<std::vector<float>>(); }

std::vector<float> decode_base64_floats(const std::string& text) {
  auto value = [](char c) -> uint32_t {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : 63;
  };
  std::vector<unsigned char> bytes;
  for (size_t i = 0; i + 3 < text.size(); i += 4) {
    const uint32_t n = value(text[i]) << 18 | value(text[i + 1]) << 12 |
                       (text[i + 2] == '=' ? 0 : value(text[i + 2]) << 6) | (text[i + 3] == '=' ? 0 : value(text[i + 3]));
    bytes.push_back(static_cast<unsigned char>(n >> 16));
    if (text[i + 2] != '=') bytes.push_back(static_cast<unsigned char>(n >> 8 & 255));
    if (text[i + 3] != '=') bytes.push_back(static_cast<unsigned char>(n & 255));
  }
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

class EmbedRoutesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(std::filesystem::exists(minilm_dir() / "model.safetensors"))
        << minilm_dir() << " is missing: run scripts/setup";
    client_ = new RouteClient(minilm_dir());
  }
  static void TearDownTestSuite() { delete client_; }
  static inline RouteClient* client_ = nullptr;
};

TEST_F(EmbedRoutesTest, EmbedMatchesSentenceTransformersGoldens) {
  const Golden golden("all-minilm-l6-v2");
  const auto expected = golden.floats("sentence_embedding");
  const auto texts = sentences();
  ASSERT_EQ(texts.size(), 66u);
  const size_t h = 384;
  float worst = 0;
  // Batches of up to 32 (the default --max-client-batch-size), and the last one alone as a
  // plain string through POST / (the route huggingface_hub posts to).
  for (size_t first = 0; first + 1 < texts.size(); first += 32) {
    const size_t count = std::min<size_t>(32, texts.size() - 1 - first);
    const json body = {{"inputs", std::vector<std::string>(texts.begin() + first, texts.begin() + first + count)}};
    const json out = client_->post_ok("/embed", body);
    ASSERT_EQ(out.size(), count);
    for (size_t i = 0; i < count; ++i) {
      const auto e = floats(out[i]);
      ASSERT_EQ(e.size(), h);
      worst = max_or_nan(worst, max_abs_diff(e.data(), expected.data() + (first + i) * h, h));
    }
  }
  const json last = client_->post_ok("/", {{"inputs", texts.back()}});
  ASSERT_EQ(last.size(), 1u) << "a single input still gets a list of embeddings";
  worst = max_or_nan(worst, max_abs_diff(floats(last[0]).data(), expected.data() + 65 * h, h));
  EXPECT_LE(worst, kTolerance);
  std::cout << "max |diff| /embed vs sentence-transformers: " << worst << "\n";
}

// TEI's `prompt_name`, the folder's default_prompt_name otherwise, against sentence-transformers'
// encode(prompt_name=...) on tiny-minilm-prompts (scripts/make_golden.py python). 1e-5: the tiny
// models' fp32 bound (tests/data/README.md).
TEST(EmbedPrompts, PromptNameAndTheDefaultMatchSentenceTransformers) {
  RouteClient client(tiny_model("tiny-minilm-prompts"));
  const Golden golden("tiny-minilm-prompts");
  const auto texts = sentences();
  const size_t rows = golden.shape("default")[0], h = golden.shape("default")[1];
  const std::vector<std::string> batch(texts.begin(), texts.begin() + static_cast<std::ptrdiff_t>(rows));
  const auto expect_rows = [&](const json& out, const std::string& key, size_t first, size_t count) {
    const auto expected = golden.floats(key);
    ASSERT_EQ(out.size(), count);
    for (size_t i = 0; i < count; ++i)
      EXPECT_LE(max_abs_diff(floats(out[i]).data(), expected.data() + (first + i) * h, h), 1e-5f) << key << " row " << i;
  };
  for (size_t first = 0; first < rows; first += 4) {  // a few requests of 4
    const std::vector<std::string> part(batch.begin() + first, batch.begin() + std::min(rows, first + 4));
    expect_rows(client.post_ok("/embed", {{"inputs", part}, {"prompt_name", "passage"}}), "passage", first, part.size());
    expect_rows(client.post_ok("/embed", {{"inputs", part}}), "default", first, part.size());
    const json openai = client.post_ok("/v1/embeddings", {{"input", part}});
    json data = json::array();
    for (const json& item : openai["data"]) data.push_back(item["embedding"]);
    expect_rows(data, "default", first, part.size());
  }
  // /tokenize shows the prompt's tokens in front, as /embed computes them.
  const json tokens = client.post_ok("/tokenize", {{"inputs", batch[0]}, {"prompt_name", "passage"}});
  std::vector<int32_t> ids;
  for (const json& token : tokens[0]) ids.push_back(token["id"].get<int32_t>());
  EXPECT_EQ(ids, client.service().tokenizer()->encode("passage: " + batch[0]).ids);
}

TEST_F(EmbedRoutesTest, OpenAiBodyInFloatAndBase64) {
  const std::vector<std::string> texts = {"Hello world", "How are you!"};
  const json embed = client_->post_ok("/embed", {{"inputs", texts}});
  const json as_float = client_->post_ok("/v1/embeddings", {{"input", texts}, {"model", "anything"}});
  const json as_base64 = client_->post_ok("/v1/embeddings", {{"input", texts}, {"encoding_format", "base64"}});
  EXPECT_EQ(as_float["object"], "list");
  EXPECT_EQ(as_float["model"], "all-MiniLM-L6-v2");
  ASSERT_EQ(as_float["data"].size(), 2u);
  size_t tokens = 0;
  for (const auto& text : texts) tokens += client_->service().tokenizer()->encode(text).ids.size();
  EXPECT_EQ(as_float["usage"]["prompt_tokens"], tokens);
  EXPECT_EQ(as_float["usage"]["total_tokens"], tokens);
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(as_float["data"][i]["object"], "embedding");
    EXPECT_EQ(as_float["data"][i]["index"], i);
    const auto f = floats(as_float["data"][i]["embedding"]);
    const auto b = decode_base64_floats(as_base64["data"][i]["embedding"].get<std::string>());
    EXPECT_EQ(f, floats(embed[i]));
    EXPECT_EQ(b, f) << "base64 carries the same float32 values";
  }
}

TEST_F(EmbedRoutesTest, TokenIdsEqualTheirText) {
  const std::string text = "The quick brown fox jumps over the lazy dog.";
  const auto ids = client_->service().tokenizer()->encode(text).ids;
  const json from_text = client_->post_ok("/embed", {{"inputs", text}});
  const json from_ids = client_->post_ok("/embed", {{"inputs", ids}});
  const json batch = client_->post_ok("/embed", {{"inputs", json::array({json(ids), json(text)})}});
  const json openai = client_->post_ok("/v1/embeddings", {{"input", json::array({json(ids)})}});
  EXPECT_EQ(from_text, from_ids);
  EXPECT_EQ(batch[0], from_text[0]);
  EXPECT_EQ(batch[1], from_text[0]);
  EXPECT_EQ(openai["data"][0]["embedding"], from_text[0]);
}

TEST_F(EmbedRoutesTest, TruncationCutsToTheMaximumOrIsRefused) {
  std::string text;
  for (int i = 0; i < 400; ++i) text += "word ";
  const auto all_ids = client_->service().tokenizer()->encode(text).ids;
  ASSERT_GT(all_ids.size(), 256u);
  // auto-truncate is on by default: cut to the model's 256 tokens, as the CLI does.
  EncodeOptions cut;
  cut.max_length = 256;
  const auto cut_ids = client_->service().tokenizer()->encode(text, cut).ids;
  const json truncated = client_->post_ok("/embed", {{"inputs", text}});
  EXPECT_EQ(truncated, client_->post_ok("/embed", {{"inputs", cut_ids}}));
  const auto refused = client_->post("/embed", {{"inputs", text}, {"truncate", false}});
  EXPECT_EQ(refused.status, 422);
  EXPECT_THAT(refused.body, HasSubstr("longer than the maximum input (256 tokens)"));
  const auto ids_refused = client_->post("/embed", {{"inputs", all_ids}, {"truncate", false}});
  EXPECT_EQ(ids_refused.status, 422);
  EXPECT_THAT(ids_refused.body, HasSubstr("more than the maximum input (256 tokens)"));
}

TEST_F(EmbedRoutesTest, NormalizeAndDimensions) {
  const json full = client_->post_ok("/embed", {{"inputs", "Hello world"}, {"normalize", false}});
  const json cut = client_->post_ok("/embed", {{"inputs", "Hello world"}, {"dimensions", 8}});
  const auto f = floats(full[0]), c = floats(cut[0]);
  ASSERT_EQ(c.size(), 8u);
  double norm = 0;
  for (int i = 0; i < 8; ++i) norm += double(f[i]) * f[i];
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(c[i], f[i] / std::sqrt(norm), 1e-6) << "first 8 values, renormalized";
}

TEST_F(EmbedRoutesTest, MetricsCountRequestsAndBatches) {
  client_->post_ok("/embed", {{"inputs", json::array({"a", "b", "c"})}});
  client_->post("/embed", {{"inputs", json::array()}});
  const auto metrics = client_->call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.content_type, HasSubstr("text/plain"));
  EXPECT_THAT(metrics.body, HasSubstr("packformer_requests_total{route=\"/embed\",status=\"200\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("packformer_requests_total{route=\"/embed\",status=\"422\"} "));
  EXPECT_THAT(metrics.body, HasSubstr("packformer_batch_size_bucket{le=\"+Inf\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("packformer_queue_size 0\n"));
  EXPECT_THAT(metrics.body, HasSubstr("packformer_sequences_in_flight 0\n"));
  // The queue-time histogram counts every sequence run so far: at least these 3.
  const std::string key = "packformer_queue_duration_seconds_count ";
  const auto at = metrics.body.find(key);
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stoll(metrics.body.substr(at + key.size())), 3);
}

TEST_F(EmbedRoutesTest, InfoDescribesTheModelAndLimits) {
  const auto r = client_->call("GET", "/info");
  ASSERT_EQ(r.status, 200);
  const json info = json::parse(r.body);
  EXPECT_EQ(info["model_id"], "all-MiniLM-L6-v2");
  EXPECT_EQ(info["model_type"]["embedding"]["pooling"], "mean");
  EXPECT_EQ(info["max_input_length"], 256);
  EXPECT_EQ(info["max_batch_tokens"], 16384);
  EXPECT_EQ(info["max_client_batch_size"], 32);
  EXPECT_EQ(info["max_concurrent_requests"], 512);
  EXPECT_EQ(info["auto_truncate"], true);
}

}  // namespace
}  // namespace packformer::test
