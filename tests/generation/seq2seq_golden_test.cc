// Marian and BART generation, token for token against transformers' generate()
// (tests/data/golden/NAME.generate.json): greedy, no-repeat n-grams, beam search with each
// early_stopping mode, length penalties, several returned sequences, forced BOS/EOS; a batch
// of sources of mixed lengths (encoded packed) and each source alone; and text in, text out.
#include <algorithm>
#include <map>

#include "packformer/tokenizer.h"
#include "seq2seq_test_util.h"

namespace packformer::test {
namespace {

struct Case {
  std::string model, name;
};

// gtest prints parameters in test listings (and ctest names); bytes otherwise.
void PrintTo(const Case& c, std::ostream* os) { *os << c.model << " " << c.name; }

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const auto& model : seq2seq_models()) {
    const auto golden = seq2seq_golden(model);  // kept alive: the loop walks into it
    for (const auto& c : golden.at("cases")) cases.push_back({model, c.at("name")});
  }
  return cases;
}

class Seq2SeqGolden : public ::testing::TestWithParam<Case> {
 protected:
  static Generator& generator(const std::string& model) {
    static std::map<std::string, std::unique_ptr<Generator>> loaded;
    auto& g = loaded[model];
    if (!g) g = Generator::load(tiny_model(model), {.threads = 2, .load_tokenizer = false});
    return *g;
  }
};

TEST_P(Seq2SeqGolden, BatchIsTokenIdenticalToTransformers) {
  const auto golden = seq2seq_golden(GetParam().model);
  const auto& c = golden_case(golden, GetParam().name);
  const GeneratedIds expected = c.at("outputs").get<GeneratedIds>();
  const GeneratedIds got = generator(GetParam().model).generate(golden_sources(golden), options_from_golden(c.at("kwargs")));
  ASSERT_EQ(got.size(), expected.size());
  for (size_t s = 0; s < got.size(); ++s) EXPECT_EQ(got[s], expected[s]) << "source " << s;
}

TEST_P(Seq2SeqGolden, EachSourceAloneGivesTheBatchResult) {
  const auto golden = seq2seq_golden(GetParam().model);
  const auto& c = golden_case(golden, GetParam().name);
  const GeneratedIds expected = c.at("outputs").get<GeneratedIds>();
  const auto sources = golden_sources(golden);
  for (size_t s = 0; s < sources.size(); ++s)
    EXPECT_EQ(generator(GetParam().model).generate({sources[s]}, options_from_golden(c.at("kwargs")))[0], expected[s])
        << "source " << s;
}

INSTANTIATE_TEST_SUITE_P(Cases, Seq2SeqGolden, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = info.param.model.substr(5) + "_" + info.param.name;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

class Seq2SeqGoldenModel : public ::testing::TestWithParam<std::string> {};

TEST_P(Seq2SeqGoldenModel, GoldensExerciseEarlyAndLateEnds) {
  // Some greedy rows must stop at EOS and some run to max_new_tokens, or EOS handling would
  // go untested.
  const auto golden = seq2seq_golden(GetParam());
  const auto& c = golden_case(golden, "greedy");
  const auto max_new = c.at("kwargs").at("max_new_tokens").get<size_t>();
  int stopped = 0, full = 0;
  for (const auto& rows : c.at("outputs").get<GeneratedIds>()) {
    stopped += rows[0].size() < max_new;
    full += rows[0].size() == max_new;
  }
  EXPECT_GT(stopped, 0);
  EXPECT_GT(full, 0);
}

TEST_P(Seq2SeqGoldenModel, ForcedTokensComeFromTheOptions) {
  // The forced cases start with the forced BOS and end with EOS; the folder has no forced ids,
  // so without the options nothing is forced.
  const auto golden = seq2seq_golden(GetParam());
  const auto& c = golden_case(golden, "greedy_forced");
  const auto eos = c.at("kwargs").at("forced_eos_token_id").get<int32_t>();
  for (const auto& rows : c.at("outputs").get<GeneratedIds>()) {
    EXPECT_EQ(rows[0].front(), c.at("kwargs").at("forced_bos_token_id").get<int32_t>());
    EXPECT_EQ(rows[0].back(), eos);
  }
  auto generator = Generator::load(tiny_model(GetParam()), {.threads = 2, .load_tokenizer = false});
  GenerationOptions options = options_from_golden(c.at("kwargs"));
  options.forced_bos_token_id.reset();
  options.forced_eos_token_id.reset();
  const auto plain = generator->generate(golden_sources(golden), options);
  EXPECT_NE(plain, c.at("outputs").get<GeneratedIds>());
}

TEST_P(Seq2SeqGoldenModel, BadWordsCasesBanTokensGreedyPicks) {
  // The banned tokens are the ones plain greedy search picks most, so the case tests something;
  // none of them appears in transformers' output.
  const auto golden = seq2seq_golden(GetParam());
  for (const char* name : {"greedy_bad_words", "beam4_bad_words"}) {
    const auto& c = golden_case(golden, name);
    const auto banned = options_from_golden(c.at("kwargs")).bad_token_ids.value();
    ASSERT_FALSE(banned.empty());
    for (const auto& rows : c.at("outputs").get<GeneratedIds>())
      for (const auto& sequence : rows)
        for (int32_t token : sequence) EXPECT_EQ(std::count(banned.begin(), banned.end(), token), 0) << name;
  }
}

class Seq2SeqGoldenText : public ::testing::TestWithParam<std::string> {};

TEST_P(Seq2SeqGoldenText, TextInTextOut) {
  // Sentences through the folder's tokenizer (transformers' ids), greedily translated, and
  // the translation decoded as transformers decodes it.
  const auto golden = seq2seq_golden(GetParam());
  auto generator = Generator::load(tiny_model(GetParam()), {.threads = 2});
  EXPECT_TRUE(generator->is_encoder_decoder());
  GenerationOptions options;
  options.max_new_tokens = 16;
  std::vector<std::string> texts;
  for (const auto& t : golden.at("texts")) {
    texts.push_back(t.at("text"));
    EXPECT_EQ(generator->tokenizer().encode(texts.back()).ids, t.at("source").get<std::vector<int32_t>>())
        << texts.back();
  }
  const auto out = generator->generate_text(texts, options);
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto& t = golden.at("texts")[i];
    EXPECT_EQ(generator->generate({t.at("source").get<std::vector<int32_t>>()}, options)[0][0],
              t.at("greedy_16").get<std::vector<int32_t>>())
        << texts[i];
    EXPECT_EQ(out[i][0], t.at("decoded").get<std::string>()) << texts[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Seq2SeqGoldenModel, ::testing::ValuesIn(seq2seq_models()));
INSTANTIATE_TEST_SUITE_P(Models, Seq2SeqGoldenText, ::testing::ValuesIn(seq2seq_text_models()));

}  // namespace
}  // namespace packformer::test
