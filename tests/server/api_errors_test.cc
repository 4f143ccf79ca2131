// Every refusal the server makes, as TEI's JSON {"error", "error_type"} with the status the
// issue asks for: bad JSON 400, wrong types / empty / too long 422, too many inputs 413,
// over --max-concurrent-requests 429, no API key 401, unknown route 404, wrong method 405,
// shutting down 503. Each message names the field or limit at fault.
#include <gmock/gmock.h>

#include "server_test_util.h"
#include "packformer/error.h"

namespace packformer::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

struct Refusal {
  std::string method, path, body;
  int status;
  std::string type, message;
};

void expect_refusal(RouteClient& client, const Refusal& r) {
  SCOPED_TRACE(r.method + " " + r.path + " " + r.body);
  const serve::ApiResponse response = client.call(r.method, r.path, r.body);
  EXPECT_EQ(response.status, r.status);
  EXPECT_EQ(response.content_type, "application/json");
  json body;
  ASSERT_NO_THROW(body = json::parse(response.body)) << response.body;
  EXPECT_EQ(body["error_type"], r.type) << response.body;
  EXPECT_THAT(body["error"].get<std::string>(), HasSubstr(r.message));
}

TEST(ApiErrors, BadRequestsAreRefusedWithTheirStatus) {
  serve::ServeOptions options;
  options.max_client_batch_size = 4;
  RouteClient client(tiny_model("tiny-minilm"), options);
  const std::vector<Refusal> refusals = {
      {"POST", "/embed", "{\"inputs\": ", 400, "BadRequest", "not valid JSON"},
      {"POST", "/embed", "[1, 2]", 422, "Validation", "must be a JSON object"},
      {"POST", "/embed", "{}", 422, "Validation", "missing field `inputs`"},
      {"POST", "/embed", "{\"inputs\": 5}", 422, "Validation", "`inputs` must be a string, a list of strings"},
      {"POST", "/embed", "{\"inputs\": []}", 422, "Empty", "`inputs` cannot be empty"},
      {"POST", "/embed", "{\"inputs\": \"\"}", 422, "Validation", "the input is an empty string"},
      {"POST", "/embed", "{\"inputs\": [\"a\", \"\"]}", 422, "Validation", "input 1 is an empty string"},
      {"POST", "/embed", "{\"inputs\": [\"a\", 3]}", 422, "Validation", "`inputs[1]` must be a string or a list of token ids"},
      {"POST", "/embed", "{\"inputs\": [[]]}", 422, "Validation", "has no token ids"},
      {"POST", "/embed", "{\"inputs\": [5, -1]}", 422, "Validation", "`inputs[1]` holds the token id -1"},
      {"POST", "/embed", "{\"inputs\": [5, 100000]}", 422, "Validation", "token id 100000, outside the vocabulary [0, 512)"},
      {"POST", "/embed", "{\"inputs\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}", 413, "Validation",
       "batch size 5 > maximum allowed batch size 4"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"normalize\": \"yes\"}", 422, "Validation", "`normalize` must be true or false (got a string)"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"truncate\": 1}", 422, "Validation", "`truncate` must be true or false"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"dimensions\": 0}", 422, "Validation", "`dimensions` must be in [1, 48]"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"truncation_direction\": \"left\"}", 422, "Validation", "left truncation"},
      {"POST", "/embed", "{\"inputs\": \"a\", \"prompt_name\": \"query\"}", 422, "Validation",
       "prompt_name 'query' is not one of the folder's prompts (it has none"},
      {"POST", "/predict", "{\"inputs\": \"a\"}", 424, "Backend", "/predict needs a classifier"},
      {"POST", "/tokenize", "{\"inputs\": [\"a\", 2]}", 422, "Validation", "`inputs[1]` must be a string"},
      {"POST", "/decode", "{\"ids\": \"a\"}", 422, "Validation", "`ids` must be a list of token ids"},
      {"POST", "/decode", "{\"ids\": [1, 99999]}", 422, "Validation", "token id 99999, outside the vocabulary"},
      {"GET", "/nowhere", "", 404, "NotFound", "no route /nowhere"},
      {"POST", "/v2/embeddings", "{}", 404, "NotFound", "no route"},
      {"GET", "/embed", "", 405, "MethodNotAllowed", "GET is not allowed on /embed (allowed: POST)"},
      {"DELETE", "/health", "", 405, "MethodNotAllowed", "allowed: GET"},
  };
  for (const Refusal& r : refusals) expect_refusal(client, r);
}

TEST(ApiErrors, OpenAiRoutesAnswerInOpenAisErrorShape) {
  RouteClient client(tiny_model("tiny-minilm"));
  const auto r = client.call("POST", "/v1/embeddings", "{\"input\": \"a\", \"encoding_format\": \"int8\"}");
  EXPECT_EQ(r.status, 422);
  const json body = json::parse(r.body);
  EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("`encoding_format` must be \"float\" or \"base64\""));
  EXPECT_EQ(body["error"]["type"], "Validation");
  EXPECT_EQ(body["error"]["code"], 422);
}

TEST(ApiErrors, OverTheConcurrencyLimitIs429UntilSequencesAreAnswered) {
  serve::ServeOptions options;
  options.max_concurrent_requests = 3;
  RouteClient client(tiny_model("tiny-minilm"), options);
  {
    // Two sequences held in flight (as by requests still running): one more fits, two do not.
    const auto held = client.service().admit(2);
    expect_refusal(client, {"POST", "/embed", "{\"inputs\": [\"a\", \"b\"]}", 429, "Overloaded",
                            "2 more would exceed --max-concurrent-requests (3)"});
    EXPECT_EQ(client.post("/embed", {{"inputs", "a"}}).status, 200);
    EXPECT_EQ(client.service().in_flight(), 2) << "the answered request released its admission";
  }
  EXPECT_EQ(client.post("/embed", {{"inputs", json::array({"a", "b", "c"})}}).status, 200);
  EXPECT_EQ(client.service().in_flight(), 0);
}

TEST(ApiErrors, AnApiKeyGuardsTheModelRoutesOnly) {
  serve::ServeOptions options;
  options.api_key = "s3cret";
  RouteClient client(tiny_model("tiny-minilm"), options);
  const std::string body = "{\"inputs\": \"a\"}";
  EXPECT_EQ(client.call("POST", "/embed", body).status, 401);
  EXPECT_THAT(client.call("POST", "/embed", body).body, HasSubstr("needs an API key"));
  EXPECT_EQ(client.call("POST", "/embed", body, "Bearer wrong").status, 401);
  EXPECT_EQ(client.call("POST", "/embed", body, "s3cret").status, 401) << "the Bearer scheme is required";
  EXPECT_EQ(client.call("POST", "/embed", body, "Bearer s3cret").status, 200);
  EXPECT_EQ(client.call("GET", "/info").status, 401);
  EXPECT_EQ(client.call("GET", "/health").status, 200) << "health and metrics stay open, as TEI's";
  EXPECT_EQ(client.call("GET", "/metrics").status, 200);
}

TEST(ApiErrors, ShuttingDownRefusesNewModelRequests) {
  RouteClient client(tiny_model("tiny-minilm"));
  client.context().draining = true;
  expect_refusal(client, {"POST", "/embed", "{\"inputs\": \"a\"}", 503, "Unhealthy", "shutting down"});
  EXPECT_EQ(client.call("GET", "/health").status, 503);
  EXPECT_EQ(client.call("GET", "/metrics").status, 200);
}

TEST(ApiErrors, ModelLongerThanTheBatchBudgetIsRefusedAtStartWithoutAutoTruncate) {
  serve::ServeOptions options;
  options.max_batch_tokens = 8;
  options.auto_truncate = false;
  try {
    RouteClient client(tiny_model("tiny-minilm"), options);
    ADD_FAILURE() << "a model whose inputs cannot fit a batch must be refused";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("exceeds --max-batch-tokens (8)"));
  }
  // With auto-truncate, inputs are cut to the budget instead: never queued forever.
  options.auto_truncate = true;
  RouteClient client(tiny_model("tiny-minilm"), options);
  EXPECT_EQ(client.service().max_input_length(), 8);
  const auto r = client.post("/embed", {{"inputs", "a rather long sentence with many more than eight tokens in it"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(client.post("/embed", {{"inputs", "a rather long sentence with many more tokens"}, {"truncate", false}}).status,
            422);
}

}  // namespace
}  // namespace packformer::test
