// GET /health, GET / (health, as TEI), GET /info (the served model and the limits) and
// GET /metrics (Prometheus text).
#include <nlohmann/json.hpp>

#include "encoder_service.h"
#include "generator_service.h"
#include "router.h"

#ifndef PACKFORMER_VERSION
#define PACKFORMER_VERSION "unknown"
#endif

namespace packformer::serve {
namespace {

using nlohmann::json;

// 200 with an empty body while serving, 503 once shutting down (load balancers stop sending).
ApiResponse health(ServerContext& context, const ApiRequest&) {
  if (context.draining.load()) return error_response(503, "Unhealthy", "the server is shutting down");
  ApiResponse response;
  response.content_type = "text/plain";
  return response;
}

json model_type(const ServerContext& context) {
  if (context.generator) {
    const Generator& g = context.generator->generator();
    return {{"generator", {{"model_type", g.model_type()}, {"encoder_decoder", g.is_encoder_decoder()},
                           {"max_positions", g.max_positions()}}}};
  }
  const EncoderService& service = *context.encoder;
  if (service.kind() == EncoderService::Kind::Embedding) return {{"embedding", {{"pooling", service.pooling()}}}};
  json id2label = json::object(), label2id = json::object();
  for (int64_t i = 0; i < service.info().num_labels; ++i) {
    const auto it = service.info().id2label.find(i);
    const std::string label = it != service.info().id2label.end() ? it->second : "LABEL_" + std::to_string(i);
    id2label[std::to_string(i)] = label;
    label2id[label] = i;
  }
  // As TEI: a classifier with a single label is a re-ranker (served /rerank).
  return {{service.is_reranker() ? "reranker" : "classifier", {{"id2label", id2label}, {"label2id", label2id}}}};
}

ApiResponse info(ServerContext& context, const ApiRequest&) {
  const ServeOptions& o = context.options;
  json body = {
      {"model_id", context.model_id},
      {"model_sha", nullptr},
      {"model_dtype", o.dtype == "fp32" ? "float32" : o.dtype == "fp16" ? "float16" : o.dtype == "int8" ? "int8" : "bfloat16"},
      {"served_model_name", context.served_model_name},
      {"model_type", model_type(context)},
      {"max_concurrent_requests", o.max_concurrent_requests},
      {"max_batch_tokens", o.max_batch_tokens},
      {"max_batch_requests", o.max_batch_requests > 0 ? json(o.max_batch_requests) : json(nullptr)},
      {"max_client_batch_size", o.max_client_batch_size},
      {"auto_truncate", o.auto_truncate},
      {"tokenization_workers", nullptr},  // requests tokenize on their own connection's thread
      {"sessions", o.sessions},
      {"version", PACKFORMER_VERSION},
      {"sha", nullptr},
      {"docker_label", nullptr},
  };
  if (context.encoder) body["max_input_length"] = context.encoder->max_input_length();
  else body["max_input_length"] = context.generator->generator().max_positions();
  return json_response(body.dump(-1, ' ', false, json::error_handler_t::replace));
}

ApiResponse metrics(ServerContext& context, const ApiRequest&) {
  ApiResponse response;
  response.content_type = "text/plain; version=0.0.4";
  const int64_t queued = context.encoder ? context.encoder->queue_size() : context.generator->waiting();
  const int64_t in_flight = context.encoder ? context.encoder->in_flight() : context.generator->in_flight();
  response.body = context.metrics.render(queued, in_flight);
  return response;
}

}  // namespace

void add_status_routes(std::vector<Route>& routes, const ServerContext&) {
  routes.push_back({"GET", "/health", health, true});
  routes.push_back({"GET", "/", health, true});
  routes.push_back({"GET", "/ping", health, true});
  routes.push_back({"GET", "/metrics", metrics, true});
  routes.push_back({"GET", "/info", info});
}

}  // namespace packformer::serve
