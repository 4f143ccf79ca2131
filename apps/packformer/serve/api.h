// The server's requests, responses and errors as plain values: every route is a function from
// an ApiRequest to an ApiResponse, so routes are tested without sockets; http_server.cc only
// moves these values to and from cpp-httplib.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace packformer::serve {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;
  std::string body;
  std::string authorization;  // the Authorization header, empty when absent
};

// Writes one chunk of a streamed body; false when the client is gone (stop streaming).
using ChunkWriter = std::function<bool(std::string_view chunk)>;

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body is streamed (chunked transfer encoding) by calling it once; `body` is
  // unused. Server-sent events of /generate_stream and /v1/completions with stream.
  std::function<void(const ChunkWriter&)> stream;
  std::map<std::string, std::string> headers;
};

// How an error is written: TEI's {"error", "error_type"}, or for the OpenAI routes OpenAI's
// {"error": {"message", "type", "code"}}, which the openai package reads.
enum class ErrorStyle { Tei, OpenAi };

// A request that fails with an HTTP status. `type` is TEI's error_type (Validation,
// Overloaded, Empty, Backend, Tokenizer, Unhealthy) or one of ours for the statuses TEI leaves
// to its framework (BadRequest, PayloadTooLarge, Unauthorized, NotFound, MethodNotAllowed).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, const std::string& message)
      : std::runtime_error(message), status_(status), type_(std::move(type)) {}
  int status() const { return status_; }
  const std::string& type() const { return type_; }

 private:
  int status_;
  std::string type_;
};

[[noreturn]] inline void validation_error(const std::string& message) { throw ApiError(422, "Validation", message); }

ApiResponse error_response(int status, const std::string& type, const std::string& message,
                           ErrorStyle style = ErrorStyle::Tei);
ApiResponse json_response(std::string body, int status = 200);

}  // namespace packformer::serve
