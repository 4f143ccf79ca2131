// The server's routes driven without sockets: a ServerContext, the model's service and the
// Router, called with ApiRequests. Plus a classifier folder with a tokenizer for /predict.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "encoder_service.h"
#include "router.h"
#include "test_util.h"

namespace packformer::test {

class RouteClient {
 public:
  RouteClient(const std::filesystem::path& model, serve::ServeOptions options = {}) {
    options.model = model.string();
    if (options.threads == 0) options.threads = 2;
    context_.options = options;
    context_.model_id = model.filename().string();
    context_.served_model_name = options.served_model_name.empty() ? context_.model_id : options.served_model_name;
    service_ = std::make_unique<serve::EncoderService>(
        Encoder::load(model, {.threads = static_cast<int>(options.threads)}), options, context_.metrics);
    context_.encoder = service_.get();
    router_ = std::make_unique<serve::Router>(context_);
  }

  serve::ApiResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                          const std::string& authorization = "") {
    return router_->handle({method, path, body, authorization});
  }
  serve::ApiResponse post(const std::string& path, const nlohmann::json& body) { return call("POST", path, body.dump()); }
  // The response body as JSON, after checking the status.
  nlohmann::json post_ok(const std::string& path, const nlohmann::json& body) {
    const serve::ApiResponse r = post(path, body);
    EXPECT_EQ(r.status, 200) << path << " " << body.dump().substr(0, 200) << " -> " << r.body.substr(0, 300);
    return r.status == 200 ? nlohmann::json::parse(r.body) : nlohmann::json();
  }

  serve::ServerContext& context() { return context_; }
  serve::EncoderService& service() { return *service_; }

 private:
  serve::ServerContext context_;
  std::unique_ptr<serve::EncoderService> service_;
  std::unique_ptr<serve::Router> router_;
};

// tiny-bert-cls (a 3-label BertForSequenceClassification, 300 ids) has no tokenizer; this
// copies it into `dir` with a lower-cased WordPiece vocab.txt of 300 tokens (specials, words,
// letters and ## letters: every lower-case ASCII word tokenizes), so texts can be classified.
inline std::filesystem::path classifier_with_vocab(const std::filesystem::path& dir) {
  const auto source = tiny_model("tiny-bert-cls");
  for (const auto& entry : std::filesystem::directory_iterator(source))
    std::filesystem::copy_file(entry.path(), dir / entry.path().filename());
  std::string vocab;
  for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) vocab += std::string(t) + "\n";
  for (const char* w : {"the", "movie", "was", "great", "terrible", "i", "love", "hate", "it", "good", "bad", "not",
                        "film", "very", "fine", ".", ",", "!", "?"})
    vocab += std::string(w) + "\n";
  int count = 5 + 19;
  for (char c = 'a'; c <= 'z'; ++c, ++count) vocab += std::string(1, c) + "\n";
  for (char c = 'a'; c <= 'z'; ++c, ++count) vocab += "##" + std::string(1, c) + "\n";
  for (; count < 300; ++count) vocab += "[unused" + std::to_string(count) + "]\n";
  write_file(dir / "vocab.txt", vocab);
  return dir;
}

inline std::vector<std::string> sentences() {
  std::vector<std::string> lines;
  std::ifstream in(data_dir() / "sentences.txt");
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace packformer::test
