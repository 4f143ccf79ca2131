// POST /rerank (TEI's): scores each of `texts` against `query` with a cross-encoder, read as the
// pair (query, text), and answers [{index, score, text?}] best first. As TEI, only a re-ranker is
// served: a sequence classifier with a single label, its score the sigmoid of that logit (the
// logit itself with raw_scores). A classifier with several labels gets 424, as in TEI, which
// types such a model as a classifier and serves it /predict only. POST / is /rerank for a re-ranker.
#include <algorithm>
#include <cmath>

#include "classifier_scores.h"
#include "encoder_service.h"
#include "request_fields.h"
#include "router.h"

namespace packformer::serve {
namespace {

using nlohmann::json;

EncoderService& reranker_service(ServerContext& context) {
  if (!context.encoder || context.encoder->kind() != EncoderService::Kind::Classifier)
    throw ApiError(424, "Backend",
                   "model is not a re-ranker model: /rerank needs a sequence classifier with a single label "
                   "(a cross-encoder); the served model has no sequence-classification head");
  if (!context.encoder->is_reranker())
    throw ApiError(424, "Backend",
                   "model is not a re-ranker model: /rerank needs a sequence classifier with a single label, the "
                   "served model has " + std::to_string(context.encoder->info().num_labels) +
                       " labels; score its pairs with /predict");
  return *context.encoder;
}

struct Rank {
  size_t index;
  float score;
};

ApiResponse rerank(ServerContext& context, const ApiRequest& request) {
  const json body = parse_body(request.body);
  const json& query = required_field(body, "query");
  if (!query.is_string()) validation_error("`query` must be a string");
  const json& texts_field = required_field(body, "texts");
  if (!texts_field.is_array()) validation_error("`texts` must be a list of strings");
  if (texts_field.empty()) validation_error("`texts` cannot be empty");
  EncoderService& service = reranker_service(context);
  bool batch = true;
  const std::vector<std::string> texts =
      parse_texts(texts_field, "texts", static_cast<size_t>(context.options.max_client_batch_size), &batch);
  const bool raw = bool_field(body, "raw_scores", false);
  const bool return_text = bool_field(body, "return_text", false);
  const bool truncate = bool_field(body, "truncate", context.options.auto_truncate);
  const std::string direction = string_field(body, "truncation_direction", "right");
  if (direction != "right" && direction != "Right")
    validation_error("`truncation_direction` must be \"right\" (left truncation is not supported)");

  std::vector<TextOrIds> inputs;
  for (const std::string& text : texts) {
    TextOrIds input;
    input.text = query.get<std::string>();
    input.second = text;
    input.is_pair = true;
    inputs.push_back(std::move(input));
  }
  const auto admission = service.admit(static_cast<int64_t>(inputs.size()));
  const auto output = service.run(inputs, truncate);

  std::vector<Rank> ranks;
  for (size_t i = 0; i < output.results.size(); ++i) {
    const float score = classifier_scores(output.results[i].logits, raw).at(0);
    if (std::isnan(score)) throw ApiError(424, "Backend", "the score of texts[" + std::to_string(i) + "] is NaN");
    ranks.push_back({i, score});
  }
  // Best first; equal scores keep the order of `texts`.
  std::stable_sort(ranks.begin(), ranks.end(), [](const Rank& a, const Rank& b) { return a.score > b.score; });
  std::string out = "[";
  for (size_t k = 0; k < ranks.size(); ++k) {
    if (k > 0) out += ',';
    out += "{\"index\":" + std::to_string(ranks[k].index);
    if (return_text) out += ",\"text\":" + cli::json_string(texts[ranks[k].index]);
    out += ",\"score\":" + json_float(ranks[k].score) + "}";
  }
  return json_response(out + "]");
}

}  // namespace

void add_rerank_routes(std::vector<Route>& routes, const ServerContext& context) {
  routes.push_back({"POST", "/rerank", rerank});
  if (context.encoder && context.encoder->is_reranker()) routes.push_back({"POST", "/", rerank});
}

}  // namespace packformer::serve
