// Replays, without libFuzzer, every committed input of the fuzz targets: the seed corpora
// (tests/fuzz/corpus/<target>/) and each input that once crashed a target or tripped a
// sanitizer (tests/fuzz/regressions/<target>/, named after the bug). Built into the normal and
// the sanitized (scripts/sanitize) test suites, so a fixed crash stays fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "fuzz/fuzz_targets.h"

namespace packformer::fuzz {
namespace {

namespace fs = std::filesystem;

const fs::path kFuzzDir = fs::path(PACKFORMER_TEST_DATA).parent_path() / "fuzz";
const fs::path kTokenizerData = fs::path(PACKFORMER_TEST_DATA) / "tokenizer";

using Target = std::function<void(const uint8_t*, size_t)>;

const std::map<std::string, Target>& targets() {
  static const std::map<std::string, Target> all = {
      {"safetensors", safetensors_input},
      {"config_json", config_json_input},
      {"tokenizer_json", tokenizer_json_input},
      {"tokenize", [](const uint8_t* data, size_t size) { tokenize_input(data, size, kTokenizerData); }},
      {"cli_input", cli_input},
  };
  return all;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Replays every file under `folder` through `target`; returns how many there were.
size_t replay(const std::string& target, const fs::path& folder) {
  size_t count = 0;
  if (!fs::is_directory(folder)) return 0;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    SCOPED_TRACE(entry.path().string());
    const std::string bytes = read_bytes(entry.path());
    EXPECT_NO_THROW(targets().at(target)(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    ++count;
  }
  return count;
}

// How many inputs each target's folders held when this was written: the replay must find at
// least that many, so a folder emptied, moved or renamed fails instead of replaying nothing.
// Corpora only grow when fuzz runs are merged in; one minimised on purpose lowers its number
// here in the same commit. A new regression input needs no change here (but may raise it).
struct InputCounts {
  size_t corpus, regressions;
};
const std::map<std::string, InputCounts> kAtLeast = {
    {"safetensors", {754, 1}}, {"config_json", {1838, 0}}, {"tokenizer_json", {1010, 3}},
    {"tokenize", {66, 1}},     {"cli_input", {1932, 2}},
};

class FuzzInputs : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzInputs, SeedCorpusReplaysCleanly) {
  const size_t replayed = replay(GetParam(), kFuzzDir / "corpus" / GetParam());
  EXPECT_GE(replayed, kAtLeast.at(GetParam()).corpus) << "seed inputs of " << GetParam() << " are missing";
  EXPECT_GT(replayed, 0u);
}

TEST_P(FuzzInputs, CrashInputsStayFixed) {
  const size_t replayed = replay(GetParam(), kFuzzDir / "regressions" / GetParam());
  EXPECT_GE(replayed, kAtLeast.at(GetParam()).regressions) << "regression inputs of " << GetParam() << " are missing";
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzInputs,
                         ::testing::Values("safetensors", "config_json", "tokenizer_json", "tokenize", "cli_input"),
                         [](const auto& info) { return info.param; });

// Every fuzz program has a seed corpus and a replay here.
TEST(FuzzInputs, EveryTargetIsReplayed) {
  for (const auto& entry : fs::directory_iterator(kFuzzDir)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = "_fuzz.cc";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string target = name.substr(0, name.size() - suffix.size());
    EXPECT_TRUE(targets().count(target)) << target << " has no replay in fuzz_regressions_test";
    EXPECT_TRUE(kAtLeast.count(target)) << target << " has no input count in fuzz_regressions_test";
    EXPECT_TRUE(fs::is_directory(kFuzzDir / "corpus" / target)) << target << " has no seed corpus";
  }
}

}  // namespace
}  // namespace packformer::fuzz
