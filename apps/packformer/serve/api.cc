#include "api.h"

#include <nlohmann/json.hpp>

namespace packformer::serve {

ApiResponse error_response(int status, const std::string& type, const std::string& message, ErrorStyle style) {
  nlohmann::json body;
  if (style == ErrorStyle::OpenAi)
    body = {{"error", {{"message", message}, {"type", type}, {"code", status}}}};
  else
    body = {{"error", message}, {"error_type", type}};
  ApiResponse response;
  response.status = status;
  // Messages quote user input, which may hold invalid UTF-8: replace it rather than throw.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

ApiResponse json_response(std::string body, int status) {
  ApiResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace packformer::serve
