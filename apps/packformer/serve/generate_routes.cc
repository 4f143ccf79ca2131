// Text generation: POST /generate and /generate_stream (TGI's bodies; the stream is
// server-sent events) and POST /v1/completions (OpenAI, with `stream`). One prompt per request,
// run on a free GeneratorSession; the prompt is tokenized as `packformer generate` does.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "generator_service.h"
#include "json_lines.h"
#include "request_fields.h"
#include "router.h"
#include "packformer/limits.h"
#include "packformer/tokenizer.h"

namespace packformer::serve {
namespace {

using nlohmann::json;

GeneratorService& generation_service(ServerContext& context) {
  if (!context.generator)
    throw ApiError(424, "Backend", "the served model is an encoder, it does not generate text: use /embed or /predict");
  return *context.generator;
}

// A prompt's ids, checked as generate() checks them (positions, memory), so that a stream
// never starts on a request that would fail.
std::vector<int32_t> prompt_ids(GeneratorService& service, const std::string& text, const GenerationOptions& options) {
  if (!service.tokenizer()) validation_error("the model folder has no tokenizer");
  std::vector<int32_t> ids = service.tokenizer()->encode(text).ids;
  if (ids.empty()) validation_error("the prompt is empty (no tokens)");
  service.generator().memory_needed({ids}, options);
  return ids;
}

// The text of the new tokens so far, and what is new since the last call: a token that ends
// inside a UTF-8 character adds nothing until the next one completes it.
class TextDelta {
 public:
  explicit TextDelta(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  std::string add(int32_t token) {
    ids_.push_back(token);
    const std::string text = tokenizer_.decode(ids_, true);
    if (text.size() >= 3 && text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0) return "";
    return take(text);
  }
  std::string finish() { return take(tokenizer_.decode(ids_, true)); }
  const std::string& text() const { return sent_; }

 private:
  std::string take(const std::string& text) {
    if (text.size() <= sent_.size() || text.compare(0, sent_.size(), sent_) != 0) return "";
    std::string delta = text.substr(sent_.size());
    sent_ = text;
    return delta;
  }
  const Tokenizer& tokenizer_;
  std::vector<int32_t> ids_;
  std::string sent_;
};

bool ended_by_eos(const GeneratorService& service, const GenerationOptions& options, const std::vector<int32_t>& ids) {
  if (ids.empty()) return false;
  const auto eos = options.eos_token_ids.value_or(service.generator().default_eos_token_ids());
  return std::find(eos.begin(), eos.end(), ids.back()) != eos.end();
}

// TGI's `parameters`.
GenerationOptions tgi_options(const json& body) {
  GenerationOptions o;
  const auto it = body.find("parameters");
  if (it == body.end() || it->is_null()) return o;
  if (!it->is_object()) validation_error("`parameters` must be an object");
  const json& p = *it;
  o.max_new_tokens = int_field(p, "max_new_tokens", 20, 1, kMaxNewTokens);
  o.do_sample = bool_field(p, "do_sample", false);
  o.temperature = static_cast<float>(number_field(p, "temperature", 1.0, 1e-6, 100.0));
  o.top_k = int_field(p, "top_k", 50, 0, int64_t{1} << 30);
  o.top_p = static_cast<float>(number_field(p, "top_p", 1.0, 1e-6, 1.0));
  o.repetition_penalty = static_cast<float>(number_field(p, "repetition_penalty", 1.0, 1e-6, 100.0));
  o.seed = static_cast<uint64_t>(int_field(p, "seed", 0, 0, INT64_MAX));
  if (p.contains("stop") && !p["stop"].is_null() && !p["stop"].empty())
    validation_error("`parameters.stop` is not supported: generation stops at the model's EOS tokens");
  return o;
}

std::string sse(const json& event) {
  return "data:" + event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

ApiResponse generate(ServerContext& context, const ApiRequest& request, bool stream) {
  GeneratorService& service = generation_service(context);
  const json body = parse_body(request.body);
  const json& inputs = required_field(body, "inputs");
  if (!inputs.is_string()) validation_error("`inputs` must be a string (one prompt per request)");
  const GenerationOptions options = tgi_options(body);
  const bool details = body.contains("parameters") && body["parameters"].is_object() &&
                       bool_field(body["parameters"], "details", false);
  const auto ids = prompt_ids(service, inputs.get<std::string>(), options);
  auto admission = std::make_shared<AdmissionGate::Admission>(service.admit(1));

  if (!stream) {
    const auto tokens = service.generate(ids, options, {});
    json out = {{"generated_text", service.tokenizer()->decode(tokens, true)}};
    if (details)
      out["details"] = {{"finish_reason", ended_by_eos(service, options, tokens) ? "eos_token" : "length"},
                        {"generated_tokens", tokens.size()}, {"seed", options.seed}};
    return json_response(out.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  ApiResponse response;
  response.content_type = "text/event-stream";
  response.stream = [&service, ids, options, admission](const ChunkWriter& write) {
    TextDelta text(*service.tokenizer());
    size_t index = 0;
    bool open = true;  // the client is still there (generation runs to its end either way)
    const auto tokens = service.generate(ids, options, [&](int32_t token) {
      const json event = {{"index", index++},
                          {"token", {{"id", token}, {"text", text.add(token)}, {"logprob", nullptr}, {"special", false}}},
                          {"generated_text", nullptr},
                          {"details", nullptr}};
      if (open) open = write(sse(event));
    });
    text.finish();
    const json last = {{"index", index},
                       {"token", nullptr},
                       {"generated_text", text.text()},
                       {"details", {{"finish_reason", ended_by_eos(service, options, tokens) ? "eos_token" : "length"},
                                    {"generated_tokens", tokens.size()}}}};
    if (open) write(sse(last));
  };
  return response;
}

// OpenAI's completions: `prompt` (one string), `max_tokens` (16), `temperature` (absent or 0:
// greedy search; above 0: sampling), `top_p`, `seed`, `n` 1, `stream`.
ApiResponse completions(ServerContext& context, const ApiRequest& request) {
  GeneratorService& service = generation_service(context);
  const json body = parse_body(request.body);
  json prompt = required_field(body, "prompt");
  if (prompt.is_array() && prompt.size() == 1) prompt = prompt[0];
  if (!prompt.is_string()) validation_error("`prompt` must be a string (one prompt per request)");
  GenerationOptions options;
  options.max_new_tokens = int_field(body, "max_tokens", 16, 1, kMaxNewTokens);
  const double temperature = number_field(body, "temperature", 0.0, 0.0, 2.0);
  options.do_sample = temperature > 0;
  if (options.do_sample) options.temperature = static_cast<float>(temperature);
  options.top_k = 0;  // OpenAI has no top-k
  options.top_p = static_cast<float>(number_field(body, "top_p", 1.0, 1e-6, 1.0));
  options.seed = static_cast<uint64_t>(int_field(body, "seed", 0, 0, INT64_MAX));
  if (int_field(body, "n", 1, 1, 1) != 1) validation_error("`n` must be 1");
  if (body.contains("stop") && !body["stop"].is_null())
    validation_error("`stop` is not supported: generation stops at the model's EOS tokens");
  const bool stream = bool_field(body, "stream", false);
  string_field(body, "model", "");
  const auto ids = prompt_ids(service, prompt.get<std::string>(), options);
  auto admission = std::make_shared<AdmissionGate::Admission>(service.admit(1));

  const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  static std::atomic<uint64_t> counter{0};
  const std::string id = "cmpl-" + std::to_string(created) + "-" + std::to_string(++counter);
  const std::string model = context.served_model_name;
  const auto chunk = [id, created, model](const std::string& text, const json& finish) {
    return json{{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model},
                {"choices", json::array({{{"index", 0}, {"text", text}, {"logprobs", nullptr}, {"finish_reason", finish}}})}};
  };
  if (!stream) {
    const auto tokens = service.generate(ids, options, {});
    json out = chunk(service.tokenizer()->decode(tokens, true), ended_by_eos(service, options, tokens) ? "stop" : "length");
    out["usage"] = {{"prompt_tokens", ids.size()}, {"completion_tokens", tokens.size()},
                    {"total_tokens", ids.size() + tokens.size()}};
    return json_response(out.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  ApiResponse response;
  response.content_type = "text/event-stream";
  response.stream = [&service, ids, options, admission, chunk](const ChunkWriter& write) {
    TextDelta text(*service.tokenizer());
    bool open = true;
    const auto tokens = service.generate(ids, options, [&](int32_t token) {
      const std::string delta = text.add(token);
      if (open && !delta.empty()) open = write(sse(chunk(delta, nullptr)));
    });
    const std::string rest = text.finish();
    if (open) open = write(sse(chunk(rest, ended_by_eos(service, options, tokens) ? "stop" : "length")));
    if (open) write("data: [DONE]\n\n");
  };
  return response;
}

}  // namespace

void add_generate_routes(std::vector<Route>& routes, const ServerContext& context) {
  routes.push_back({"POST", "/generate", [](ServerContext& c, const ApiRequest& r) { return generate(c, r, false); }});
  routes.push_back({"POST", "/generate_stream", [](ServerContext& c, const ApiRequest& r) { return generate(c, r, true); }});
  routes.push_back({"POST", "/v1/completions", completions, false, ErrorStyle::OpenAi});
  if (context.generator)
    routes.push_back({"POST", "/", [](ServerContext& c, const ApiRequest& r) { return generate(c, r, false); }});
}

}  // namespace packformer::serve
