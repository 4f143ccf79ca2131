// The HTTP front end: cpp-httplib carrying the Router's requests and responses, one thread per
// connection (created on demand, so requests above --max-concurrent-requests reach the
// admission check and get their 429 instead of waiting for a thread), keep-alive, chunked
// streaming, the payload limit, and a graceful stop.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "router.h"

namespace httplib {
class Server;
}

namespace packformer::serve {

class HttpServer {
 public:
  HttpServer(Router& router, ServerContext& context);
  ~HttpServer();

  // Binds host:port (port 0: a free port); returns the port bound. Throws InvalidInput naming
  // the address when it cannot.
  int bind(const std::string& host, int port);
  // Serves until stop(); returns once every request in flight has been answered and every
  // connection's thread has ended.
  void serve();
  // Thread-safe, once or more, before or during serve(): new requests to model routes get 503,
  // streamed responses are finished, then the listening socket is closed.
  void stop();

 private:
  void log(const std::string& line) const;

  Router& router_;
  ServerContext& context_;
  std::unique_ptr<httplib::Server> http_;
  int listen_socket_ = -1;
  std::atomic<bool> stop_requested_{false}, stopped_{false}, finished_{false};
  std::mutex stop_mutex_;
};

}  // namespace packformer::serve
