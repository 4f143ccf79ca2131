// `packformer serve` options, defaults as text-embeddings-inference's (TEI) router.
#pragma once

#include <cstdint>
#include <string>

namespace packformer::serve {

struct ServeOptions {
  std::string model;                      // model folder
  std::string host = "127.0.0.1";
  int64_t port = 8080;                    // 0 = any free port (the one chosen is printed)
  int64_t max_batch_tokens = 16384;       // tokens one batch may cost (the Batcher's budget)
  int64_t max_batch_requests = 0;         // sequences per batch; 0 = no cap of its own
  int64_t max_concurrent_requests = 512;  // sequences admitted at once; more get 429
  int64_t max_client_batch_size = 32;     // inputs in one request; more get 413
  bool auto_truncate = true;              // the default of each request's `truncate`
  int64_t payload_limit = 2000000;        // request body bytes; more get 413
  std::string api_key;                    // when set, model routes need "Authorization: Bearer KEY"
  int64_t sessions = 1;                   // batches (or generations) running at the same time
  int64_t threads = 0;                    // 0 = all cores, split among the sessions
  std::string device = "cpu";
  std::string dtype = "fp32";
  std::string served_model_name;          // default: the model folder's name
  bool verbose = false;                   // one log line per request on stderr
  int64_t keep_alive_seconds = 5;         // idle keep-alive connections are closed after this
};

}  // namespace packformer::serve
