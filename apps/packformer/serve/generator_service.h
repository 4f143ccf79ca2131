// A text-generation model (GPT-2; Marian/BART) behind the server: --sessions GeneratorSessions
// over the shared weights, each request generating on one of them (waiting for a free one),
// admission as for encoders (429 over --max-concurrent-requests).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "admission.h"
#include "metrics.h"
#include "serve_options.h"
#include "packformer/generator.h"

namespace packformer::serve {

class GeneratorService {
 public:
  GeneratorService(std::unique_ptr<Generator> generator, const ServeOptions& options, Metrics& metrics);

  const Generator& generator() const { return *generator_; }
  const Tokenizer* tokenizer() const;  // null when the folder has none

  AdmissionGate::Admission admit(int64_t sequences) { return gate_.admit(sequences); }
  int64_t in_flight() const { return gate_.in_flight(); }
  int64_t waiting() const;  // requests waiting for a free session

  // Generates `prompt`'s new tokens on a free session; `on_token` (may be empty) gets each
  // token as it is final. Errors are the library's (InvalidInput for a bad request).
  std::vector<int32_t> generate(const std::vector<int32_t>& prompt, const GenerationOptions& options,
                                const std::function<void(int32_t)>& on_token);

 private:
  std::unique_ptr<Generator> generator_;
  Metrics& metrics_;
  AdmissionGate gate_;
  mutable std::mutex mutex_;
  std::condition_variable free_;
  std::vector<std::unique_ptr<GeneratorSession>> idle_;
  int64_t waiting_ = 0;
};

}  // namespace packformer::serve
