// POST /predict (TEI's sequence classification), also POST / for a classifier model.
// Scores are softmax over the labels (sigmoid for a single label), or the raw logits with
// `raw_scores`; each input's labels come sorted by score, best first.
#include <algorithm>
#include <cmath>

#include "encoder_service.h"
#include "json_lines.h"
#include "request_fields.h"
#include "router.h"

namespace packformer::serve {
namespace {

using nlohmann::json;

EncoderService& classifier_service(ServerContext& context) {
  if (!context.encoder || context.encoder->kind() != EncoderService::Kind::Classifier)
    throw ApiError(424, "Backend",
                   "the served model has no sequence-classification head (or is a sentence-transformers embedding "
                   "model): /predict needs a classifier");
  return *context.encoder;
}

// TEI's `inputs`: "text"; ["text"] or ["first", "second"] (one pair); or a batch
// [["text"], ["first", "second"], ...]. Pairs are refused for now (no pair encoding yet).
std::vector<std::string> parse_predict_inputs(const json& value, size_t max_batch, bool& batch) {
  batch = false;
  const auto sequence = [](const json& item, const std::string& name) {
    if (!item.is_array() || item.empty() || item.size() > 2)
      validation_error("`" + name + "` must be [text] or a pair [text, text]");
    for (const auto& s : item)
      if (!s.is_string()) validation_error("`" + name + "` must hold strings");
    if (item.size() == 2)
      validation_error("`" + name + "` is a pair of texts: pair classification is not supported by this server yet");
    return item[0].get<std::string>();
  };
  if (value.is_string()) return {value.get<std::string>()};
  if (!value.is_array()) validation_error("`inputs` must be a string, a pair [text, text] or a batch [[text], ...]");
  if (value.empty()) throw ApiError(422, "Empty", "`inputs` cannot be empty");
  if (value[0].is_string()) return {sequence(value, "inputs")};
  batch = true;
  check_batch_size(value.size(), "inputs", max_batch);
  std::vector<std::string> texts;
  for (size_t i = 0; i < value.size(); ++i) texts.push_back(sequence(value[i], "inputs[" + std::to_string(i) + "]"));
  return texts;
}

std::string label_name(const ModelInfo& info, int64_t index) {
  const auto it = info.id2label.find(index);
  return it != info.id2label.end() ? it->second : "LABEL_" + std::to_string(index);
}

std::vector<float> scores(const RequestResult& r, bool raw) {
  std::vector<float> s(r.logits.begin(), r.logits.end());
  if (raw) return s;
  if (s.size() == 1) {
    s[0] = 1.0f / (1.0f + std::exp(-s[0]));
    return s;
  }
  const float top = *std::max_element(s.begin(), s.end());
  double sum = 0;
  for (float& v : s) sum += (v = std::exp(v - top));
  for (float& v : s) v = static_cast<float>(v / sum);
  return s;
}

std::string predictions(const ModelInfo& info, const RequestResult& r, bool raw) {
  const std::vector<float> s = scores(r, raw);
  std::vector<int64_t> order(s.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] > s[b]; });
  std::string out = "[";
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) out += ',';
    out += "{\"score\":";
    std::string number;
    cli::append_float_array(number, &s[order[k]], 1);
    out += number.substr(1, number.size() - 2);  // the value without its brackets
    out += ",\"label\":" + cli::json_string(label_name(info, order[k])) + "}";
  }
  return out + "]";
}

ApiResponse predict(ServerContext& context, const ApiRequest& request) {
  EncoderService& service = classifier_service(context);
  const json body = parse_body(request.body);
  bool batch = false;
  const auto texts = parse_predict_inputs(required_field(body, "inputs"),
                                          static_cast<size_t>(context.options.max_client_batch_size), batch);
  const bool raw = bool_field(body, "raw_scores", false);
  const bool truncate = bool_field(body, "truncate", context.options.auto_truncate);
  const std::string direction = string_field(body, "truncation_direction", "right");
  if (direction != "right" && direction != "Right")
    validation_error("`truncation_direction` must be \"right\" (left truncation is not supported)");

  std::vector<TextOrIds> inputs;
  for (const auto& text : texts) inputs.push_back({text, {}, false});
  const auto admission = service.admit(static_cast<int64_t>(inputs.size()));
  const auto output = service.run(inputs, truncate);
  if (!batch) return json_response(predictions(service.info(), output.results[0], raw));
  std::string out = "[";
  for (size_t i = 0; i < output.results.size(); ++i) {
    if (i > 0) out += ',';
    out += predictions(service.info(), output.results[i], raw);
  }
  return json_response(out + "]");
}

}  // namespace

void add_predict_routes(std::vector<Route>& routes, const ServerContext& context) {
  routes.push_back({"POST", "/predict", predict});
  if (context.encoder && context.encoder->kind() == EncoderService::Kind::Classifier)
    routes.push_back({"POST", "/", predict});
}

}  // namespace packformer::serve
