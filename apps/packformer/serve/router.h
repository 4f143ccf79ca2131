// The route table: method + path -> handler, with what every route shares: authentication
// (--api-key), 404 / 405, errors as TEI's JSON (never an exception out of handle()), refusal
// while shutting down, request metrics and the --verbose log line.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "api.h"
#include "metrics.h"
#include "serve_options.h"

namespace packformer::serve {

class EncoderService;
class GeneratorService;

// What the routes share. Exactly one of encoder / generator is set.
struct ServerContext {
  ServeOptions options;
  Metrics metrics;
  EncoderService* encoder = nullptr;
  GeneratorService* generator = nullptr;
  std::string model_id;           // the folder's name
  std::string served_model_name;  // --served-model-name, else model_id
  std::atomic<bool> draining{false};  // shutting down: model routes answer 503
  std::atomic<int64_t> streams{0};    // streamed responses still being written
};

using RouteHandler = std::function<ApiResponse(ServerContext&, const ApiRequest&)>;

struct Route {
  std::string method, path;
  RouteHandler handler;
  bool open = false;  // served without the API key and while draining (/health, /metrics, /info)
  ErrorStyle style = ErrorStyle::Tei;
};

// Each route family adds its routes for the served model (one file per family).
void add_status_routes(std::vector<Route>& routes, const ServerContext& context);    // /health /info /metrics
void add_embed_routes(std::vector<Route>& routes, const ServerContext& context);     // /embed /v1/embeddings /
void add_predict_routes(std::vector<Route>& routes, const ServerContext& context);   // /predict /
void add_tokenize_routes(std::vector<Route>& routes, const ServerContext& context);  // /tokenize /decode
void add_generate_routes(std::vector<Route>& routes, const ServerContext& context);  // /generate ... /v1/completions

class Router {
 public:
  explicit Router(ServerContext& context);
  // Never throws: every failure becomes an error response.
  ApiResponse handle(const ApiRequest& request);
  // The metrics label of a path: the route's own, or "unmatched" (bounded label values).
  std::string route_label(const std::string& path) const;

 private:
  ApiResponse dispatch(const ApiRequest& request, const Route*& matched);

  ServerContext& context_;
  std::vector<Route> routes_;
};

}  // namespace packformer::serve
