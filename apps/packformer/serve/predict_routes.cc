// POST /predict (TEI's sequence classification), also POST / for a classifier of several labels.
// Inputs are texts or text pairs (cross-encoders). Scores are softmax over the labels (sigmoid
// for a single label), or the raw logits with `raw_scores`; each input's labels come sorted by
// score, best first.
#include <algorithm>

#include "classifier_scores.h"
#include "encoder_service.h"
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

// TEI's `inputs`: "text"; ["text"] or ["first", "second"] (one pair); or a batch of them
// [["text"], ["first", "second"], ...]. A pair is read as one sequence with token type ids.
std::vector<TextOrIds> parse_predict_inputs(const json& value, size_t max_batch, bool& batch) {
  batch = false;
  const auto sequence = [](const json& item, const std::string& name) {
    if (!item.is_array() || item.empty() || item.size() > 2)
      validation_error("`" + name + "` must be [text] or a pair [text, text]");
    for (const auto& s : item)
      if (!s.is_string()) validation_error("`" + name + "` must hold strings");
    TextOrIds input;
    input.text = item[0].get<std::string>();
    if (item.size() == 2) {
      input.second = item[1].get<std::string>();
      input.is_pair = true;
    }
    return input;
  };
  if (value.is_string()) return {TextOrIds{value.get<std::string>(), {}, false}};
  if (!value.is_array()) validation_error("`inputs` must be a string, a pair [text, text] or a batch [[text], ...]");
  if (value.empty()) throw ApiError(422, "Empty", "`inputs` cannot be empty");
  if (value[0].is_string()) return {sequence(value, "inputs")};
  batch = true;
  check_batch_size(value.size(), "inputs", max_batch);
  std::vector<TextOrIds> inputs;
  for (size_t i = 0; i < value.size(); ++i) inputs.push_back(sequence(value[i], "inputs[" + std::to_string(i) + "]"));
  return inputs;
}

std::string label_name(const ModelInfo& info, int64_t index) {
  const auto it = info.id2label.find(index);
  return it != info.id2label.end() ? it->second : "LABEL_" + std::to_string(index);
}

std::string predictions(const ModelInfo& info, const RequestResult& r, bool raw) {
  const std::vector<float> s = classifier_scores(r.logits, raw);
  std::vector<int64_t> order(s.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] > s[b]; });
  std::string out = "[";
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) out += ',';
    out += "{\"score\":" + json_float(s[order[k]]) + ",\"label\":" + cli::json_string(label_name(info, order[k])) + "}";
  }
  return out + "]";
}

ApiResponse predict(ServerContext& context, const ApiRequest& request) {
  EncoderService& service = classifier_service(context);
  const json body = parse_body(request.body);
  bool batch = false;
  const auto inputs = parse_predict_inputs(required_field(body, "inputs"),
                                          static_cast<size_t>(context.options.max_client_batch_size), batch);
  const bool raw = bool_field(body, "raw_scores", false);
  const bool truncate = bool_field(body, "truncate", context.options.auto_truncate);
  const std::string direction = string_field(body, "truncation_direction", "right");
  if (direction != "right" && direction != "Right")
    validation_error("`truncation_direction` must be \"right\" (left truncation is not supported)");

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
  // A re-ranker's POST / is /rerank, as TEI's.
  if (context.encoder && context.encoder->kind() == EncoderService::Kind::Classifier && !context.encoder->is_reranker())
    routes.push_back({"POST", "/", predict});
}

}  // namespace packformer::serve
