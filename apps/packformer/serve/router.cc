#include "router.h"

#include <chrono>
#include <new>

#include "packformer/error.h"

namespace packformer::serve {

Router::Router(ServerContext& context) : context_(context) {
  add_status_routes(routes_, context);
  add_embed_routes(routes_, context);
  add_predict_routes(routes_, context);
  add_tokenize_routes(routes_, context);
  add_generate_routes(routes_, context);
}

std::string Router::route_label(const std::string& path) const {
  for (const Route& route : routes_)
    if (route.path == path) return path;
  return "unmatched";
}

ApiResponse Router::dispatch(const ApiRequest& request, const Route*& matched) {
  matched = nullptr;
  std::string allowed;
  for (const Route& route : routes_) {
    if (route.path != request.path) continue;
    // HEAD is answered as GET (without the body, by the HTTP layer).
    const std::string method = request.method == "HEAD" ? "GET" : request.method;
    if (route.method == method) {
      matched = &route;
      break;
    }
    allowed += (allowed.empty() ? "" : ", ") + route.method;
  }
  if (!matched) {
    if (allowed.empty()) return error_response(404, "NotFound", "no route " + request.path);
    ApiResponse response = error_response(405, "MethodNotAllowed", request.method + " is not allowed on " +
                                                                       request.path + " (allowed: " + allowed + ")");
    response.headers["Allow"] = allowed;
    return response;
  }
  const Route& route = *matched;
  if (!route.open && !context_.options.api_key.empty() &&
      request.authorization != "Bearer " + context_.options.api_key)
    return error_response(401, "Unauthorized",
                          request.authorization.empty() ? "this server needs an API key: send Authorization: Bearer KEY"
                                                        : "the API key is not valid",
                          route.style);
  if (!route.open && context_.draining.load())
    return error_response(503, "Unhealthy", "the server is shutting down", route.style);
  try {
    return route.handler(context_, request);
  } catch (const ApiError& e) {
    return error_response(e.status(), e.type(), e.what(), route.style);
  } catch (const Error& e) {
    // The library's checks of user input are validation errors; anything else is the model's.
    if (e.kind() == ErrorKind::InvalidInput) return error_response(422, "Validation", e.what(), route.style);
    return error_response(424, "Backend", std::string(error_kind_name(e.kind())) + ": " + e.what(), route.style);
  } catch (const std::bad_alloc&) {
    return error_response(424, "Backend", "out of memory", route.style);
  } catch (const std::exception& e) {
    return error_response(500, "Internal", std::string("internal error: ") + e.what(), route.style);
  }
}

ApiResponse Router::handle(const ApiRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  const Route* matched = nullptr;
  ApiResponse response = dispatch(request, matched);
  const std::string label = matched ? matched->path : route_label(request.path);
  context_.metrics.count_request(label, response.status);
  context_.metrics.observe_request(label, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

}  // namespace packformer::serve
