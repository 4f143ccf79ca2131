// Generator sessions: several threads generate with one Generator's weights at the same time,
// each session with its own KV cache, and every result is still transformers' (the goldens of
// tests/data/golden), for GPT-2 and for the encoder-decoders.
#include <omp.h>

#include <thread>

#include "generation_test_util.h"
#include "packformer/error.h"
#include "seq2seq_test_util.h"

namespace packformer::test {
namespace {

struct GoldenCase {
  std::string name;
  GenerationOptions options;
  GeneratedIds expected;
};

// The GPT-2 goldens name a case's options "options" and its tokens "new_tokens"; the seq2seq
// goldens "kwargs" and "outputs".
std::vector<GoldenCase> golden_cases(const nlohmann::json& golden, const std::string& options_key,
                                     const std::string& tokens_key, size_t count) {
  std::vector<GoldenCase> cases;
  for (const auto& c : golden.at("cases")) {
    if (cases.size() == count) break;
    cases.push_back({c.at("name"), options_from_golden(c.at(options_key)), c.at(tokens_key).get<GeneratedIds>()});
  }
  return cases;
}

// Each thread runs its own golden case (greedy and beam searches of different widths, so the
// sessions' caches differ in shape) several times in its own session.
void expect_concurrent_sessions_match(const Generator& generator, const std::vector<std::vector<int32_t>>& prompts,
                                      const std::vector<GoldenCase>& cases) {
  ASSERT_GE(cases.size(), 3u);
  std::vector<std::unique_ptr<GeneratorSession>> sessions;
  for (size_t i = 0; i < cases.size(); ++i) sessions.push_back(generator.new_session({.threads = 1}));
  std::vector<std::vector<GeneratedIds>> results(cases.size(), std::vector<GeneratedIds>(3));
  std::vector<std::string> errors(cases.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < cases.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        for (auto& result : results[i]) result = sessions[i]->generate(prompts, cases[i].options);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& thread : threads) thread.join();
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(errors[i], "") << cases[i].name;
    for (const GeneratedIds& got : results[i]) EXPECT_EQ(got, cases[i].expected) << cases[i].name;
  }
}

TEST(GeneratorSessions, Gpt2SessionsInThreadsGiveTransformersTokens) {
  const auto generator = Generator::load(tiny_gpt2(), {.threads = 1});
  const nlohmann::json golden = generation_golden();
  std::vector<GoldenCase> cases;
  for (const std::string name : {"greedy", "beam4", "beam3_short", "greedy_no_repeat_ngram"}) {
    const auto& c = golden_case(golden, name);
    cases.push_back({name, options_from_golden(c.at("options")), c.at("new_tokens").get<GeneratedIds>()});
  }
  expect_concurrent_sessions_match(*generator, golden_prompts(golden), cases);
}

TEST(GeneratorSessions, Seq2SeqSessionsInThreadsGiveTransformersTokens) {
  for (const std::string& model : seq2seq_models()) {
    SCOPED_TRACE(model);
    const auto generator = Generator::load(tiny_model(model), {.threads = 1, .load_tokenizer = false});
    const nlohmann::json golden = seq2seq_golden(model);
    expect_concurrent_sessions_match(*generator, golden_sources(golden), golden_cases(golden, "kwargs", "outputs", 4));
  }
}

TEST(GeneratorSessions, GenerateIsSafeFromSeveralThreadsAndKeepsTheCallersThreadCount) {
  const int before = omp_get_max_threads();
  const auto generator = Generator::load(tiny_gpt2(), {.threads = 2});
  EXPECT_EQ(omp_get_max_threads(), before) << "load must not change the caller's thread count";
  const nlohmann::json golden = generation_golden();
  const auto& greedy = golden_case(golden, "greedy");
  const auto expected = greedy.at("new_tokens").get<GeneratedIds>();
  std::vector<GeneratedIds> results(3);
  std::vector<std::thread> threads;
  for (auto& result : results)
    threads.emplace_back([&] { result = generator->generate(golden_prompts(golden), options_from_golden(greedy.at("options"))); });
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) EXPECT_EQ(result, expected);
  EXPECT_EQ(omp_get_max_threads(), before) << "generate must not change the caller's thread count";
  EXPECT_EQ(generator->new_session()->threads(), 2);
  EXPECT_THROW(generator->new_session({.threads = -1}), Error);
}

TEST(GeneratorSessions, SessionOutlivesTheGenerator) {
  auto generator = Generator::load(tiny_gpt2(), {.threads = 1});
  const auto session = generator->new_session();
  generator.reset();
  const nlohmann::json golden = generation_golden();
  const auto& greedy = golden_case(golden, "greedy");
  EXPECT_EQ(session->generate(golden_prompts(golden), options_from_golden(greedy.at("options"))),
            greedy.at("new_tokens").get<GeneratedIds>());
}

}  // namespace
}  // namespace packformer::test
