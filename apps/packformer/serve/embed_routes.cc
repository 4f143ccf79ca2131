// POST /embed (TEI), POST / for an embedding model (what huggingface_hub's InferenceClient
// posts to), and POST /v1/embeddings (OpenAI; also /embeddings as TEI serves it).
#include <cmath>
#include <cstring>

#include "encoder_service.h"
#include "json_lines.h"
#include "request_fields.h"
#include "router.h"

namespace packformer::serve {
namespace {

using nlohmann::json;

EncoderService& embedding_service(ServerContext& context) {
  if (!context.encoder || context.encoder->kind() != EncoderService::Kind::Embedding)
    throw ApiError(424, "Backend",
                   context.encoder ? "the served model is a classifier, not an embedding model: use /predict"
                                   : "the served model generates text, it is not an embedding model: use /generate");
  return *context.encoder;
}

// `dimensions` (Matryoshka): keep the first N values, before normalizing.
int64_t dimensions_field(const json& body, int64_t hidden) {
  return int_field(body, "dimensions", hidden, 1, hidden);
}

void check_unsupported(const json& body) {
  const std::string direction = string_field(body, "truncation_direction", "right");
  if (direction != "right" && direction != "Right")
    validation_error("`truncation_direction` must be \"right\" (left truncation is not supported; got \"" + direction +
                     "\")");
}

// The prompt TEI's `prompt_name` names (else the folder's default_prompt_name, as
// sentence-transformers applies it) goes before each text; token ids are left as they are.
void apply_prompt(const EncoderService& service, const std::string& prompt_name, std::vector<TextOrIds>& inputs) {
  const std::string prompt = service.prompt_text(prompt_name);
  if (prompt.empty()) return;
  for (TextOrIds& input : inputs)
    if (!input.is_ids) input.text.insert(0, prompt);
}

// One embedding: the first `dims` values, L2-normalized when asked (as TEI: x / ||x||).
std::vector<float> finish(const RequestResult& r, int64_t dims, bool normalize) {
  std::vector<float> e(r.sentence_embeddings.begin(), r.sentence_embeddings.begin() + dims);
  if (normalize) {
    double norm = 0;
    for (float v : e) norm += static_cast<double>(v) * v;
    const double scale = norm > 0 ? 1.0 / std::sqrt(norm) : 1.0;
    for (float& v : e) v = static_cast<float>(v * scale);
  }
  return e;
}

ApiResponse embed(ServerContext& context, const ApiRequest& request) {
  EncoderService& service = embedding_service(context);
  const json body = parse_body(request.body);
  auto inputs = parse_text_or_ids(required_field(body, "inputs"), "inputs",
                                  static_cast<size_t>(context.options.max_client_batch_size));
  apply_prompt(service, string_field(body, "prompt_name", ""), inputs);
  const bool normalize = bool_field(body, "normalize", true);
  const bool truncate = bool_field(body, "truncate", context.options.auto_truncate);
  const int64_t dims = dimensions_field(body, service.info().hidden_size);
  check_unsupported(body);

  const auto admission = service.admit(static_cast<int64_t>(inputs.size()));
  const auto output = service.run(inputs, truncate);
  std::string out = "[";
  for (size_t i = 0; i < output.results.size(); ++i) {
    if (i > 0) out += ',';
    const auto e = finish(output.results[i], dims, normalize);
    cli::append_float_array(out, e.data(), static_cast<int64_t>(e.size()));
  }
  out += ']';
  return json_response(std::move(out));
}

// Standard base64 of the embedding's float32 bytes (little-endian), as OpenAI sends them.
std::string base64(const std::vector<float>& values) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<unsigned char> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t n = bytes[i] << 16 | (i + 1 < bytes.size() ? bytes[i + 1] << 8 : 0) |
                       (i + 2 < bytes.size() ? bytes[i + 2] : 0);
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += i + 1 < bytes.size() ? alphabet[n >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[n & 63] : '=';
  }
  return out;
}

ApiResponse openai_embeddings(ServerContext& context, const ApiRequest& request) {
  EncoderService& service = embedding_service(context);
  const json body = parse_body(request.body);
  auto inputs = parse_text_or_ids(required_field(body, "input"), "input",
                                  static_cast<size_t>(context.options.max_client_batch_size));
  apply_prompt(service, "", inputs);  // OpenAI's body names no prompt: the folder's default, if any
  const std::string format = string_field(body, "encoding_format", "float");
  if (format != "float" && format != "base64")
    validation_error("`encoding_format` must be \"float\" or \"base64\" (got \"" + format + "\")");
  string_field(body, "model", "");  // any name is accepted (one model is served), but it must be a string
  string_field(body, "user", "");
  const int64_t dims = dimensions_field(body, service.info().hidden_size);

  const auto admission = service.admit(static_cast<int64_t>(inputs.size()));
  const auto output = service.run(inputs, context.options.auto_truncate);
  std::string out = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < output.results.size(); ++i) {
    if (i > 0) out += ',';
    const auto e = finish(output.results[i], dims, true);
    out += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":";
    if (format == "base64") out += '"' + base64(e) + '"';
    else cli::append_float_array(out, e.data(), static_cast<int64_t>(e.size()));
    out += '}';
  }
  const std::string tokens = std::to_string(output.prompt_tokens);
  out += "],\"model\":" + cli::json_string(context.served_model_name) + ",\"usage\":{\"prompt_tokens\":" + tokens +
         ",\"total_tokens\":" + tokens + "}}";
  return json_response(std::move(out));
}

}  // namespace

void add_embed_routes(std::vector<Route>& routes, const ServerContext& context) {
  // As TEI: the routes exist whatever the model, and answer 424 when it cannot serve them.
  routes.push_back({"POST", "/embed", embed});
  if (context.encoder && context.encoder->kind() == EncoderService::Kind::Embedding) routes.push_back({"POST", "/", embed});
  routes.push_back({"POST", "/v1/embeddings", openai_embeddings, false, ErrorStyle::OpenAi});
  routes.push_back({"POST", "/embeddings", openai_embeddings, false, ErrorStyle::OpenAi});
}

}  // namespace packformer::serve
