// Text generation: POST /generate and /generate_stream (TGI's bodies; the stream is
// server-sent events) and POST /v1/completions (OpenAI, with `stream`).
#include "generator_service.h"
#include "router.h"

namespace packformer::serve {

void add_generate_routes(std::vector<Route>&, const ServerContext&) {}

}  // namespace packformer::serve
