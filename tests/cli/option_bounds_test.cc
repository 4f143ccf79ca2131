// Every command-line option at its extremes (issue 23). One table lists each option of each
// command, with a base command line that succeeds on a tiny model; each row runs the base with
// the option set to every extreme value: for a number 0, -1, 1, the largest allowed, one past
// it, 2^31, 2^63, a non-number and an empty string; for a path a missing file, a folder and
// /dev/null; for a word (--device, --dtype, --arch, --prompt...) an empty one, an unknown one,
// "-1" and 100,000 letters. Every run must end, by itself, either with exit 0 and sane output, or with exit 1
// and one `error: <kind>: <what>` line naming the option (or, for a path, the path). A signal,
// a hang, exit 2 (internal) or a message from inside a library fails the row.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <limits>
#include <thread>

#include "cli/cli_test_util.h"
#include "packformer/error.h"
#include "packformer/generator.h"
#include "packformer/limits.h"
#include "packformer/synth.h"

namespace packformer::test {
namespace {

namespace fs = std::filesystem;

enum class Kind { Number, InputPath, OutputPath, Word };  // Word: a name from a list, or free text
enum class Output { JsonLines, Text, Nothing };

struct Row {
  std::string name;               // gtest name: command_option
  std::vector<std::string> base;  // arguments of a run that succeeds, without the option
  std::string stdin_text;
  std::string option;
  Kind kind = Kind::Number;
  std::string largest, one_past;  // numbers: the largest allowed value and the next one
  // The largest allowed value fails with this model or base (e.g. more new tokens than the
  // model's positions); else it must run.
  bool largest_fails = false;
  Output output = Output::JsonLines;
  std::string format = "%";       // how a value is written into the argument ('%' = the value)
  std::vector<std::string> more;  // values tried besides the standard ones
};

// gtest prints a failing row by its name, not as bytes.
void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

struct RunResult {
  bool timed_out = false;
  int status = 0;  // as waitpid returns it
  std::string out, err;
};

// A run longer than this is a hang. The slowest runs (1024 threads, bench's 1000 iterations,
// synth's largest vocabulary) take under a second, a few under AddressSanitizer; before the
// thread bound, 40000 threads ran past it on a 2-core machine.
constexpr auto kTimeout = std::chrono::seconds(30);

// Runs packformer with exactly these arguments (no shell: an empty argument stays one), stdin
// from `stdin_text`, and kills it after kTimeout.
RunResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text, const fs::path& dir) {
  const fs::path in = dir / "stdin.txt", out = dir / "stdout.txt", err = dir / "stderr.txt";
  write_file(in, stdin_text);
  std::vector<std::string> strings = {PACKFORMER_CLI};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const std::string in_s = in.string(), out_s = out.string(), err_s = err.string();

  const pid_t pid = fork();
  if (pid == 0) {  // the child: only async-signal-safe calls until exec
    const int fd_in = open(in_s.c_str(), O_RDONLY), fd_out = open(out_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644),
              fd_err = open(err_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd_in < 0 || fd_out < 0 || fd_err < 0 || dup2(fd_in, 0) < 0 || dup2(fd_out, 1) < 0 || dup2(fd_err, 2) < 0)
      _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  RunResult run;
  if (pid < 0) {
    ADD_FAILURE() << "fork failed: " << std::strerror(errno);
    return run;
  }
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (waitpid(pid, &run.status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      kill(pid, SIGKILL);
      waitpid(pid, &run.status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  run.out = read_file(out);
  run.err = read_file(err);
  return run;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string line = "packformer";
  for (const auto& a : args) line += " " + quote(a);
  return line;
}

// How the library spells an option in its own messages: --num-beams -> num_beams.
std::string field_name(const std::string& option) {
  std::string name = option.substr(2);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

enum class Expect { Either, Success, Error };

// Checks that a run ended as the rows demand; `names` are the words the error must contain
// one of.
void expect_clean_end(const Row& row, const RunResult& r, const std::vector<std::string>& names, Expect expect) {
  ASSERT_FALSE(r.timed_out) << "hung: killed after " << kTimeout.count() << " s";
  ASSERT_FALSE(WIFSIGNALED(r.status)) << "killed by signal " << WTERMSIG(r.status) << " ("
                                      << strsignal(WTERMSIG(r.status)) << ")\nstderr: " << r.err;
  ASSERT_TRUE(WIFEXITED(r.status));
  // What a library prints when it gives up on its own (OpenMP, the C++ runtime, assert, the
  // sanitizers under scripts/sanitize).
  for (const char* abort_text :
       {"libgomp", "terminate called", "Assertion", "Aborted", "Segmentation", "Sanitizer", "runtime error:"})
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr(abort_text)));
  const int code = WEXITSTATUS(r.status);
  const std::vector<std::string> err_lines = split_lines(r.err);
  EXPECT_TRUE(expect != Expect::Error || code != 0) << "this value must be refused";
  EXPECT_TRUE(expect != Expect::Success || code == 0) << "this value must be accepted\nstderr: " << r.err;
  if (code == 0) {
    for (const auto& line : err_lines) EXPECT_THAT(line, ::testing::Not(StartsWith("error")));
    if (row.output == Output::JsonLines) {
      for (const auto& line : split_lines(r.out)) EXPECT_TRUE(nlohmann::json::accept(line)) << "not JSON: " << line;
    }
    if (row.output == Output::Text) {
      EXPECT_NE(r.out, "");
    }
    return;
  }
  EXPECT_EQ(code, 1) << "exit 1 is an error of docs/ERRORS.md; 2 is internal (a bug)\nstderr: " << r.err;
  ASSERT_FALSE(err_lines.empty());
  // Warnings may come first; the error is the one last line.
  for (size_t i = 0; i + 1 < err_lines.size(); ++i) EXPECT_THAT(err_lines[i], StartsWith("warning: "));
  const std::string& error = err_lines.back();
  EXPECT_THAT(error, ::testing::MatchesRegex("error: [a-z/ ]+: .+"));
  bool named = false;
  for (const auto& name : names) named = named || error.find(name) != std::string::npos;
  EXPECT_TRUE(named) << "the error names none of: " << ::testing::PrintToString(names) << "\n" << error;
}

class OptionBounds : public ::testing::TestWithParam<Row> {
 protected:
  TempDir tmp_;
};

TEST_P(OptionBounds, EveryExtremeEndsCleanly) {
  const Row& row = GetParam();
  std::vector<std::string> values;
  if (row.kind == Kind::Number) {
    values = {"0", "-1", "1", row.largest, row.one_past, "2147483648", "9223372036854775808", "abc", ""};
    values.insert(values.end(), row.more.begin(), row.more.end());
  } else if (row.kind == Kind::Word) {
    values = {"", "no-such-value", "-1", std::string(100000, 'x')};
  } else {
    fs::create_directory(tmp_.path() / "a-folder");
    values = {(tmp_.path() / "missing" / "file").string(), (tmp_.path() / "a-folder").string(), "/dev/null"};
    if (row.kind == Kind::OutputPath) values.push_back((tmp_.path() / "new-file").string());
  }
  for (const std::string& value : values) {
    std::string argument = row.format;
    argument.replace(argument.find('%'), 1, value);
    std::vector<std::string> args = row.base;
    // A base argument "{tmp}" is a folder inside this test's temporary one (synth --out).
    for (auto& a : args)
      if (a == "{tmp}") a = (tmp_.path() / "synth-out").string();
    args.push_back(row.option);
    args.push_back(argument);
    SCOPED_TRACE(command_line(args));
    const fs::path run_dir = tmp_.path() / "run";
    fs::create_directories(run_dir);
    const RunResult r = run_cli(args, row.stdin_text, run_dir);
    // The error names the option; or for a number or a word the library's field for it
    // (--num-beams: num_beams); or the path or word given.
    std::vector<std::string> names = {row.option};
    if (row.kind == Kind::Number || row.kind == Kind::Word) names.push_back(field_name(row.option));
    if (row.kind != Kind::Number && !value.empty()) names.push_back(value);
    // A bound must be exact: the largest value runs, the next one is refused.
    Expect expect = Expect::Either;
    if (row.kind == Kind::Number && value == row.one_past) expect = Expect::Error;
    if (row.kind == Kind::Number && value == row.largest && !row.largest_fails) expect = Expect::Success;
    expect_clean_end(row, r, names, expect);
  }
}

// --- the table ---

std::string model(const std::string& name) { return tiny_model(name).string(); }

const std::string kIds = "[2, 10, 20, 3]\n[2, 3]\n";
const std::string kTexts = "Hello world\nHow are you?\n";

Row number(std::string name, std::vector<std::string> base, std::string stdin_text, std::string option,
           std::string largest, std::string one_past, Output output = Output::JsonLines) {
  Row row;
  row.name = std::move(name);
  row.base = std::move(base);
  row.stdin_text = std::move(stdin_text);
  row.option = std::move(option);
  row.largest = std::move(largest);
  row.one_past = std::move(one_past);
  row.output = output;
  return row;
}

Row path(std::string name, std::vector<std::string> base, std::string stdin_text, std::string option, Kind kind,
         Output output = Output::JsonLines) {
  Row row;
  row.name = std::move(name);
  row.base = std::move(base);
  row.stdin_text = std::move(stdin_text);
  row.option = std::move(option);
  row.kind = kind;
  row.output = output;
  return row;
}

// --threads: also the values of issue 23 (100000 crashed in libgomp, 40000 made it give up).
Row threads(std::string name, std::vector<std::string> base, std::string stdin_text, Output output = Output::JsonLines) {
  Row row = number(std::move(name), std::move(base), std::move(stdin_text), "--threads", "1024", "1025", output);
  row.more = {"40000", "100000"};
  return row;
}

// Bounds (docs/ERRORS.md, "Option bounds"), written out so that a changed bound shows here.
const char* const kBatchSize[] = {"65536", "65537"};
const char* const kLength[] = {"1048576", "1048577"};
const char* const kBatchTokens[] = {"1073741824", "1073741825"};
const char* const kSessions[] = {"1024", "1025"};
const char* const kMemory[] = {"1024T", "1125899906842625"};  // 1024T = 2^50 bytes
const char* const kIterations[] = {"1000", "1001"};
const char* const kNewTokens[] = {"65536", "65537"};
const char* const kBeams[] = {"1024", "1025"};
const char* const kInt64[] = {"9223372036854775807", "9223372036854775808"};     // no bound of its own
const char* const kUint64[] = {"18446744073709551615", "18446744073709551616"};  // seeds
const char* const kTopP[] = {"1", "1.0001"};
const char* const kFloat[] = {"3.40282347e+38", "1e39"};                          // FLT_MAX, then beyond float

std::vector<Row> encoder_rows() {
  std::vector<Row> rows;
  const std::pair<std::string, std::string> commands[] = {
      {"embed", "tiny-minilm"}, {"classify", "tiny-bert-cls"}, {"hidden", "tiny-bert"}};
  for (const auto& [command, tiny] : commands) {
    const std::vector<std::string> base = {command, "--model", model(tiny), "--ids"};
    rows.push_back(threads(command + "_threads", base, kIds));
    rows.push_back(number(command + "_batch_size", base, kIds, "--batch-size", kBatchSize[0], kBatchSize[1]));
    rows.push_back(number(command + "_max_length", base, kIds, "--max-length", kLength[0], kLength[1]));
    rows.push_back(
        number(command + "_max_batch_tokens", base, kIds, "--max-batch-tokens", kBatchTokens[0], kBatchTokens[1]));
    rows.push_back(number(command + "_sessions", base, kIds, "--sessions", kSessions[0], kSessions[1]));
    rows.push_back(number(command + "_max_memory", base, kIds, "--max-memory", kMemory[0], kMemory[1]));
    rows.push_back(path(command + "_model", {command, "--ids"}, kIds, "--model", Kind::InputPath));
    rows.push_back(path(command + "_input", base, "", "--input", Kind::InputPath));
    rows.push_back(path(command + "_output", base, kIds, "--output", Kind::OutputPath));
  }
  const std::vector<std::string> similarity = {"similarity", "--model", model("tiny-minilm")};
  rows.push_back(threads("similarity_threads", similarity, kTexts, Output::Text));
  rows.push_back(
      number("similarity_max_memory", similarity, kTexts, "--max-memory", kMemory[0], kMemory[1], Output::Text));
  rows.push_back(path("similarity_model", {"similarity"}, kTexts, "--model", Kind::InputPath, Output::Text));
  rows.push_back(path("similarity_input", similarity, "", "--input", Kind::InputPath, Output::Text));
  return rows;
}

std::vector<Row> tokenizer_rows() {
  std::vector<Row> rows;
  const std::string minilm = model("tiny-minilm");
  rows.push_back(number("tokenize_max_length", {"tokenize", "--model", minilm}, kTexts, "--max-length", kLength[0],
                        kLength[1]));
  for (const std::string command : {"tokenize", "detokenize"}) {
    const std::string input = command == "tokenize" ? kTexts : kIds;
    const std::vector<std::string> base = {command, "--model", minilm};
    rows.push_back(path(command + "_model", {command}, input, "--model", Kind::InputPath));
    rows.push_back(path(command + "_tokenizer", {command}, input, "--tokenizer", Kind::InputPath));
    rows.push_back(path(command + "_input", base, "", "--input", Kind::InputPath));
    rows.push_back(path(command + "_output", base, input, "--output", Kind::OutputPath));
  }
  return rows;
}

std::vector<Row> bench_rows() {
  std::vector<Row> rows;
  const std::string minilm = model("tiny-minilm");
  // One sequence of two tokens: bench's largest iteration counts still end in about a second.
  const std::vector<std::string> quick = {"bench", "--model", minilm, "--batch", "random:1x2", "--skip-slow",
                                          "--format", "json"};
  std::vector<std::string> quick_once = quick;
  quick_once.insert(quick_once.end(), {"--iterations", "1", "--warmup", "0"});
  rows.push_back(number("bench_iterations", quick, "", "--iterations", kIterations[0], kIterations[1]));
  rows.push_back(number("bench_warmup", quick, "", "--warmup", kIterations[0], kIterations[1]));
  rows.push_back(threads("bench_threads", quick_once, ""));
  // --max-length cuts the tutorial's texts.
  rows.push_back(number("bench_max_length",
                        {"bench", "--model", minilm, "--batch", "small", "--skip-slow", "--format", "json",
                         "--iterations", "1", "--warmup", "0"},
                        "", "--max-length", kLength[0], kLength[1]));
  // The B of --batch random:BxT.
  const std::vector<std::string> no_batch = {"bench", "--model", minilm, "--skip-slow", "--format", "json",
                                             "--iterations", "1", "--warmup", "0"};
  // The batch is built and printed (--dump-ids), not run: 65536 sequences run in 1.6 s, but in
  // 20 s under AddressSanitizer.
  std::vector<std::string> dump_ids = no_batch;
  dump_ids.push_back("--dump-ids");
  Row random_b = number("bench_random_batch", dump_ids, "", "--batch", kBatchSize[0], kBatchSize[1]);
  random_b.format = "random:%x2";
  rows.push_back(random_b);
  rows.push_back(path("bench_batch_file", no_batch, "", "--batch", Kind::InputPath));
  rows.push_back(path("bench_model", {"bench", "--batch", "random:1x2", "--skip-slow", "--format", "json",
                                      "--iterations", "1", "--warmup", "0"},
                      "", "--model", Kind::InputPath));
  return rows;
}

std::vector<Row> synth_rows() {
  std::vector<Row> rows;
  // A very small geometry, so that each dimension at its largest alone stays small on disk.
  const std::vector<std::pair<std::string, std::string>> geometry = {
      {"--layers", "1"}, {"--hidden", "4"}, {"--heads", "1"}, {"--intermediate", "4"}, {"--vocab", "8"},
      {"--max-positions", "8"}};
  const auto base_without = [&](const std::string& option) {
    std::vector<std::string> base = {"synth", "--arch", "tiny", "--out", "{tmp}"};
    for (const auto& [o, v] : geometry)
      if (o != option) base.insert(base.end(), {o, v});
    return base;
  };
  const std::pair<const char*, std::pair<const char*, const char*>> options[] = {
      {"--layers", {"256", "257"}},
      {"--hidden", {"65536", "65537"}},
      {"--heads", {"65536", "65537"}},
      {"--intermediate", {"262144", "262145"}},
      {"--vocab", {"4194304", "4194305"}},
      {"--max-positions", {"65536", "65537"}},
      {"--labels", {"65536", "65537"}},
      {"--seed", {kUint64[0], kUint64[1]}}};
  for (const auto& [option, bounds] : options) {
    rows.push_back(number("synth_" + field_name(option), base_without(option), "", option, bounds.first, bounds.second,
                          Output::Nothing));
    // hidden 65536: 64 GiB of weights, over synth's 16 GiB; 65536 heads do not divide hidden 4.
    rows.back().largest_fails = option == std::string("--hidden") || option == std::string("--heads");
  }
  std::vector<std::string> no_out = base_without("");
  no_out.erase(no_out.begin() + 3, no_out.begin() + 5);
  rows.push_back(path("synth_out", no_out, "", "--out", Kind::OutputPath, Output::Nothing));
  rows.push_back(path("synth_tokenizer", base_without(""), "", "--tokenizer", Kind::InputPath, Output::Nothing));
  return rows;
}

std::vector<Row> generation_rows() {
  std::vector<Row> rows;
  // Command, model, and one prompt as ids (marian: 0 is </s>).
  const std::string commands[][3] = {{"generate", "tiny-gpt2", "[1, 2]\n"}, {"translate", "tiny-marian", "[5, 0]\n"}};
  for (const auto& entry : commands) {
    // Named copies, not a structured binding: the lambda below captures `command`, which
    // clang before 16 refuses for a binding.
    const std::string& command = entry[0];
    const std::string& tiny = entry[1];
    const std::string& one_prompt_ids = entry[2];
    const std::vector<std::string> base = {command, "--model", model(tiny), "--max-new-tokens", "2"};
    const std::vector<std::string> no_limit = {command, "--model", model(tiny)};
    std::vector<std::string> sample = base, beams = base;
    sample.push_back("--do-sample");
    beams.insert(beams.end(), {"--num-beams", "2"});
    const auto add = [&](const std::string& option, const std::vector<std::string>& with, const char* const* bounds) {
      rows.push_back(number(command + "_" + field_name(option), with, kTexts, option, bounds[0], bounds[1]));
    };
    // The tiny models have 128 positions (fewer than 65536 new tokens) and vocabularies of 512
    // and 261 tokens (fewer than the 2 x 1024 candidates of 1024 beams).
    add("--max-new-tokens", no_limit, kNewTokens);
    rows.back().largest_fails = true;
    add("--temperature", sample, kFloat);
    add("--top-k", sample, kInt64);
    add("--top-p", sample, kTopP);
    add("--seed", sample, kUint64);
    add("--repetition-penalty", base, kFloat);
    add("--no-repeat-ngram-size", base, kInt64);
    add("--num-beams", base, kBeams);
    rows.back().largest_fails = true;
    add("--length-penalty", beams, kFloat);
    // Its largest, 16384 samples, from one prompt and one new token: a fraction of a second.
    // (With --ids: a single text prompt would be streamed as plain text.)
    const std::vector<std::string> sample_one = {command, "--model", model(tiny), "--ids", "--max-new-tokens", "1",
                                                 "--do-sample"};
    rows.push_back(number(command + "_num_return_sequences", sample_one, one_prompt_ids, "--num-return-sequences",
                          "16384", "16385"));
    add("--batch-size", base, kBatchSize);
    rows.push_back(threads(command + "_threads", base, kTexts));
    add("--max-memory", base, kMemory);
    rows.push_back(path(command + "_model", {command, "--max-new-tokens", "2"}, kTexts, "--model", Kind::InputPath));
    rows.push_back(path(command + "_input", base, "", "--input", Kind::InputPath));
    rows.push_back(path(command + "_output", base, kTexts, "--output", Kind::OutputPath));
  }
  return rows;
}

// The options that take a word. Each is parsed in one place, whatever the command, so one
// command per option is enough.
std::vector<Row> word_rows() {
  std::vector<Row> rows;
  const auto word = [&](std::string name, std::vector<std::string> base, std::string stdin_text, std::string option,
                        Output output = Output::JsonLines) {
    rows.push_back(path(std::move(name), std::move(base), std::move(stdin_text), std::move(option), Kind::Word, output));
  };
  const std::vector<std::string> embed = {"embed", "--model", model("tiny-minilm"), "--ids"};
  for (const std::string option : {"--device", "--dtype", "--path", "--sparsity", "--format"})
    word("embed_" + field_name(option), embed, kIds, option);
  word("bench_format", {"bench", "--model", model("tiny-minilm"), "--batch", "random:1x2", "--iterations", "1",
                        "--warmup", "0", "--skip-slow"},
       "", "--format", Output::Nothing);
  word("bench_device", {"bench", "--model", model("tiny-minilm"), "--batch", "random:1x2", "--iterations", "1",
                        "--warmup", "0", "--skip-slow", "--format", "json"},
       "", "--device");
  const std::vector<std::string> synth = {"synth", "--out", "{tmp}", "--layers", "1", "--vocab", "8"};
  for (const std::string option : {"--arch", "--model-type", "--act"})
    word("synth_" + field_name(option), synth, "", option, Output::Nothing);
  const std::vector<std::string> gpt2 = {"generate", "--model", model("tiny-gpt2"), "--max-new-tokens", "2"};
  word("generate_early_stopping", gpt2, kTexts, "--early-stopping");
  // An empty --prompt / --text means none: the texts then come from stdin.
  word("generate_prompt", gpt2, kTexts, "--prompt", Output::Text);
  word("translate_text", {"translate", "--model", model("tiny-marian"), "--max-new-tokens", "2"}, kTexts, "--text");
  return rows;
}

std::vector<Row> all_rows() {
  std::vector<Row> rows;
  for (auto part : {encoder_rows(), tokenizer_rows(), bench_rows(), synth_rows(), generation_rows(), word_rows()})
    rows.insert(rows.end(), part.begin(), part.end());
  return rows;
}

INSTANTIATE_TEST_SUITE_P(Cli, OptionBounds, ::testing::ValuesIn(all_rows()),
                         [](const ::testing::TestParamInfo<Row>& info) { return info.param.name; });

// --- the C++ API refuses the same values, with an Error, before creating anything ---

// Runs `call`, which must throw InvalidInput with every piece in its message.
void expect_invalid_input(const std::function<void()>& call, const std::vector<std::string>& pieces) {
  try {
    call();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
    for (const auto& piece : pieces) EXPECT_THAT(e.what(), HasSubstr(piece));
  }
}

TEST(ApiBounds, ThreadCounts) {
  for (const int threads : {-1, kMaxThreads + 1, 40000, 100000}) {
    SCOPED_TRACE(threads);
    const std::string got = "got " + std::to_string(threads);
    expect_invalid_input([&] { Encoder::load(tiny_model("tiny-bert"), {.threads = threads}); },
                         {"threads must be in [0, 1024]", got});
    expect_invalid_input([&] { Generator::load(tiny_model("tiny-gpt2"), {.threads = threads}); },
                         {"threads must be in [0, 1024]", got});
  }
  EXPECT_NO_THROW(Encoder::load(tiny_model("tiny-bert"), {.threads = kMaxThreads}));
}

TEST(ApiBounds, GenerationCounts) {
  // No memory limit: the bounds alone must stop these (num_beams near 2^63 once overflowed the
  // count of beam candidates).
  const auto generator = Generator::load(tiny_model("tiny-gpt2"), {.max_memory_bytes = UINT64_MAX});
  const int64_t huge = std::numeric_limits<int64_t>::max();
  struct Count {
    const char* name;
    int64_t largest;
    std::function<void(GenerationOptions&, int64_t)> set;
  };
  const Count counts[] = {
      {"max_new_tokens", kMaxNewTokens, [](GenerationOptions& o, int64_t v) { o.max_new_tokens = v; }},
      {"num_beams", kMaxBeams, [](GenerationOptions& o, int64_t v) { o.num_beams = v; }},
      {"num_return_sequences", kMaxReturnSequences,
       [](GenerationOptions& o, int64_t v) { o.num_beams = kMaxBeams, o.num_return_sequences = v; }},
  };
  for (const Count& count : counts) {
    for (const int64_t value : {int64_t{0}, count.largest + 1, huge}) {
      SCOPED_TRACE(std::string(count.name) + " = " + std::to_string(value));
      GenerationOptions options;
      count.set(options, value);
      expect_invalid_input([&] { generator->generate({{1, 2}}, options); },
                           {std::string(count.name) + " must be in [1, " + std::to_string(count.largest) + "]",
                            "got " + std::to_string(value)});
    }
  }
}

TEST(ApiBounds, SynthSizes) {
  TempDir tmp;
  SynthSpec spec = synth_preset("tiny");
  spec.hidden = 65536, spec.heads = 1;  // 4 x 65536^2 weights per layer: 128 GiB
  expect_invalid_input([&] { write_synthetic_model(spec, tmp.path() / "out"); }, {"more than the 17179869184 bytes", "hidden"});
  spec = synth_preset("tiny");
  spec.layers = 257;
  expect_invalid_input([&] { write_synthetic_model(spec, tmp.path() / "out"); }, {"layers must be in [1, 256]"});
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "out")) << "nothing is written before the checks";
}

}  // namespace
}  // namespace packformer::test
