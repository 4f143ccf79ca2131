#include "http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "connection_threads.h"
#include "packformer/error.h"

namespace packformer::serve {
namespace {

using Clock = std::chrono::steady_clock;

// When the request on this connection's thread began (set before its body is read), for the
// --verbose log line written after the response.
thread_local Clock::time_point request_start;

ApiRequest to_api(const httplib::Request& req) {
  return {req.method, req.path, req.body, req.get_header_value("Authorization")};
}

void to_http(ApiResponse api, httplib::Response& res, ServerContext& context) {
  res.status = api.status;
  for (const auto& [name, value] : api.headers) res.set_header(name, value);
  if (!api.stream) {
    res.set_content(std::move(api.body), api.content_type.c_str());
    return;
  }
  ++context.streams;
  auto stream = std::make_shared<std::function<void(const ChunkWriter&)>>(std::move(api.stream));
  res.set_chunked_content_provider(
      api.content_type,
      [stream](size_t, httplib::DataSink& sink) {
        const ChunkWriter write = [&sink](std::string_view chunk) {
          return sink.is_writable() && sink.write(chunk.data(), chunk.size());
        };
        // The status (200) is sent already: a failure mid-stream ends it with an error event.
        try {
          (*stream)(write);
        } catch (const std::exception& e) {
          write("data:" + error_response(424, "Backend", e.what()).body + "\n\n");
        }
        sink.done();
        return true;
      },
      // Runs once the stream is over (or was never started): stop() waits for it.
      [&context](bool) { --context.streams; });
}

}  // namespace

HttpServer::HttpServer(Router& router, ServerContext& context)
    : router_(router), context_(context), http_(std::make_unique<httplib::Server>()) {
  httplib::Server& http = *http_;
  const ServeOptions& o = context.options;
  // Enough threads for every admitted sequence to have its own request, plus room for the
  // requests that will be refused (429) and for /health and /metrics.
  const auto max_threads = static_cast<size_t>(o.max_concurrent_requests) + 64;
  http.new_task_queue = [max_threads] { return new ConnectionThreads(max_threads); };
  http.set_payload_max_length(static_cast<size_t>(o.payload_limit));
  http.set_keep_alive_max_count(100000);
  http.set_keep_alive_timeout(o.keep_alive_seconds);
  http.set_tcp_nodelay(true);
  // httplib listens with a backlog of 5: a burst of new connections (64 clients at once) would
  // be reset. Its socket is kept here so that bind() can listen again with the system's maximum.
  // Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, with which a second server
  // would bind a port already in use (and share its connections) instead of failing.
  http.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket_ = sock;
  });

  const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    to_http(router_.handle(to_api(req)), res, context_);
  };
  http.Get(".*", handler);
  http.Post(".*", handler);
  http.Put(".*", handler);
  http.Patch(".*", handler);
  http.Delete(".*", handler);
  http.Options(".*", handler);

  http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_start = Clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Statuses httplib sets itself (413 over the payload limit, 400 for a malformed request)
  // get a JSON body too; bodies the Router wrote are left alone.
  http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                    httplib::Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    ApiResponse api;
    if (res.status == 413)
      api = error_response(413, "PayloadTooLarge",
                           "the request body is larger than --payload-limit (" +
                               std::to_string(context_.options.payload_limit) + " bytes)");
    else
      api = error_response(res.status, "BadRequest", "malformed HTTP request");
    context_.metrics.count_request(router_.route_label(req.path), res.status);
    res.set_content(api.body, api.content_type.c_str());
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    const ApiResponse api = error_response(500, "Internal", "internal error");
    res.status = 500;
    res.set_content(api.body, api.content_type.c_str());
  });
  if (o.verbose)
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - request_start).count();
      log(req.method + " " + req.path + " " + std::to_string(res.status) + " " + std::to_string(req.body.size()) +
          " bytes in, " + (res.is_chunked_content_provider_ ? std::string("streamed") : std::to_string(res.body.size()) + " bytes out") +
          ", " + std::to_string(static_cast<int64_t>(ms * 1000)) + " us");
    });
}

HttpServer::~HttpServer() = default;

void HttpServer::log(const std::string& line) const { std::fprintf(stderr, "%s\n", line.c_str()); }

int HttpServer::bind(const std::string& host, int port) {
  const int bound = port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0)
    fail(ErrorKind::InvalidInput, "cannot listen on " + host + ":" + std::to_string(port) +
                                      " (--host/--port: the port is in use, or the host is not an address of this "
                                      "machine)");
  if (listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);  // Linux: a larger backlog, same socket
  return bound;
}

void HttpServer::serve() {
  if (!stop_requested_.load()) http_->listen_after_bind();
  finished_ = true;
}

void HttpServer::stop() {
  std::lock_guard lock(stop_mutex_);
  if (stop_requested_.exchange(true)) return;
  context_.draining = true;
  // Streams in flight are finished first: httplib cuts a chunked response once the listening
  // socket is closed. Each is bounded (max_new_tokens), so this ends.
  while (context_.streams.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // serve() may not have started listening yet: wait until it does, or has given up.
  while (!finished_.load()) {
    if (http_->is_running()) {
      http_->stop();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace packformer::serve
