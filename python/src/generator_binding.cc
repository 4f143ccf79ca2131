// packformer._packformer._Generator (GPT-2, Marian, BART) and _TokenStream, its streaming
// iterator; python/packformer/generator.py holds the transformers-style keyword handling.
#include <nanobind/nanobind.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <omp.h>
#include <packformer/error.h>
#include <packformer/generator.h>
#include <packformer/limits.h>
#include <packformer/tokenizer.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "errors.h"
#include "session_pool.h"

namespace nb = nanobind;

namespace packformer::python {
namespace {

struct GeneratorSlot {
  std::unique_ptr<GeneratorSession> session;
};

// The loaded model and its sessions; shared with the streams, which may outlive the
// _Generator object that made them.
struct GeneratorState {
  std::unique_ptr<Generator> generator;
  std::unique_ptr<SessionPool<GeneratorSlot>> pool;
};

using PyTokenCallback = std::function<void(size_t, size_t, int32_t)>;

// Thrown from inside the search to stop it; never leaves this file.
struct Stopped {};

class TokenStream;

class PyGenerator {
 public:
  PyGenerator(const std::string& path, std::optional<int> threads, int sessions, std::optional<uint64_t> max_memory,
              const std::string& dtype) {
    if (threads && (*threads < 1 || *threads > kMaxThreads))
      invalid_input("threads: expected 1.." + std::to_string(kMaxThreads) + " or None, got " + std::to_string(*threads));
    if (sessions < 1 || sessions > kMaxThreads)
      invalid_input("sessions: expected 1.." + std::to_string(kMaxThreads) + ", got " + std::to_string(sessions));
    GeneratorLoadOptions options;
    const int total = threads.value_or(0) > 0 ? *threads : omp_get_max_threads();
    options.threads = total;
    options.max_memory_bytes = max_memory.value_or(0);
    options.dtype = dtype;
    state_ = std::make_shared<GeneratorState>();
    std::vector<std::unique_ptr<GeneratorSlot>> slots;
    {
      nb::gil_scoped_release release;
      state_->generator = Generator::load(path, options);
      for (int i = 0; i < sessions; ++i) {
        auto slot = std::make_unique<GeneratorSlot>();
        slot->session = state_->generator->new_session({.threads = std::max(1, total / sessions)});
        slots.push_back(std::move(slot));
      }
    }
    state_->pool = std::make_unique<SessionPool<GeneratorSlot>>(std::move(slots));
  }

  const Generator& generator() const { return *state_->generator; }
  const std::shared_ptr<GeneratorState>& state() const { return state_; }

  // Per prompt, its sequences of new token ids. `callback(prompt, sequence, token)` runs with
  // the GIL for each final token; signals are checked at each token too.
  GeneratedIds generate(const std::vector<std::vector<int32_t>>& prompts, const GenerationOptions& options,
                        const std::optional<PyTokenCallback>& callback) {
    return with_session<GeneratedIds>([&](GeneratorSession& session, const TokenCallback& on_token) {
      return session.generate(prompts, options, on_token);
    }, callback);
  }

  std::vector<std::vector<std::string>> generate_text(const std::vector<std::string>& texts,
                                                      const GenerationOptions& options,
                                                      const std::optional<PyTokenCallback>& callback) {
    return with_session<std::vector<std::vector<std::string>>>([&](GeneratorSession& session, const TokenCallback& on_token) {
      return session.generate_text(texts, options, on_token);
    }, callback);
  }

  std::vector<std::vector<int32_t>> tokenize(const std::vector<std::string>& texts) const {
    const Tokenizer& tokenizer = generator().tokenizer();
    std::vector<std::vector<int32_t>> ids;
    nb::gil_scoped_release release;
    for (const std::string& text : texts) ids.push_back(tokenizer.encode(text).ids);
    return ids;
  }

  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
    return generator().tokenizer().decode(ids, skip_special_tokens);
  }

 private:
  // Runs `call` on a leased session in this thread, the GIL released around it. The token
  // callback takes the GIL back to call Python and to check signals: an exception there
  // (KeyboardInterrupt, or the callback's own) stops the search and is re-raised here.
  template <class Result, class Call>
  Result with_session(const Call& call, const std::optional<PyTokenCallback>& callback) {
    std::exception_ptr python_error;
    const TokenCallback on_token = [&](size_t prompt, size_t sequence, int32_t token) {
      nb::gil_scoped_acquire gil;
      try {
        if (callback) (*callback)(prompt, sequence, token);
        check_signals();
      } catch (...) {
        python_error = std::current_exception();
        throw Stopped{};
      }
    };
    std::optional<Result> result;
    run_jobs<GeneratorSlot>(*state_->pool, 1, [&](GeneratorSlot& slot, size_t) {
      try {
        result = call(*slot.session, on_token);
      } catch (const Stopped&) {
      }
    });
    if (python_error) std::rethrow_exception(python_error);
    return std::move(*result);
  }

  std::shared_ptr<GeneratorState> state_;
};

// Generates one prompt's single sequence in a thread of its own, handing each token to
// Python's iterator protocol as it is final. Dropping the iterator stops the search.
class TokenStream {
 public:
  TokenStream(const PyGenerator& owner, std::vector<int32_t> prompt, const GenerationOptions& options)
      : state_(owner.state()) {
    if (options.num_return_sequences != 1)
      invalid_input("num_return_sequences: a stream yields one sequence, got " +
                    std::to_string(options.num_return_sequences));
    // Checked here, so that a bad request raises at the call rather than at the first next().
    (void)state_->generator->memory_needed({prompt}, options);
    thread_ = std::thread([this, prompt = std::move(prompt), options] { work(prompt, options); });
  }
  ~TokenStream() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    nb::gil_scoped_release release;
    thread_.join();
  }

  int32_t next() {
    for (;;) {
      {
        nb::gil_scoped_release release;
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, kSignalCheckInterval, [&] { return !tokens_.empty() || finished_; });
        if (!tokens_.empty()) {
          const int32_t token = tokens_.front();
          tokens_.pop_front();
          return token;
        }
        if (finished_) {
          if (error_) {
            std::exception_ptr error = error_;
            error_ = nullptr;
            std::rethrow_exception(error);
          }
          break;
        }
      }
      check_signals();
    }
    throw nb::stop_iteration();
  }

 private:
  void work(const std::vector<int32_t>& prompt, const GenerationOptions& options) {
    std::exception_ptr error;
    try {
      Slot* slot = nullptr;
      while (slot == nullptr) {
        if (is_cancelled()) throw Stopped{};
        slot = state_->pool->try_acquire(kSignalCheckInterval);
      }
      Lease<GeneratorSlot> lease(*state_->pool, slot);
      (*lease).session->generate({prompt}, options, [&](size_t, size_t, int32_t token) {
        std::lock_guard lock(mutex_);
        if (cancelled_) throw Stopped{};
        tokens_.push_back(token);
        changed_.notify_all();
      });
    } catch (const Stopped&) {
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard lock(mutex_);
    finished_ = true;
    error_ = error;
    changed_.notify_all();
  }
  bool is_cancelled() {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }

  using Slot = GeneratorSlot;
  std::shared_ptr<GeneratorState> state_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<int32_t> tokens_;
  bool finished_ = false, cancelled_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

nb::object early_stopping_value(EarlyStopping e) {
  switch (e) {
    case EarlyStopping::Heuristic: return nb::bool_(false);
    case EarlyStopping::Stop: return nb::bool_(true);
    case EarlyStopping::Never: return nb::str("never");
  }
  return nb::none();
}

void set_early_stopping(GenerationOptions& o, nb::handle value) {
  if (nb::isinstance<nb::bool_>(value)) o.early_stopping = nb::cast<bool>(value) ? EarlyStopping::Stop : EarlyStopping::Heuristic;
  else if (nb::isinstance<nb::str>(value) && nb::cast<std::string>(value) == "never") o.early_stopping = EarlyStopping::Never;
  else invalid_input("early_stopping: expected True, False or \"never\", got " + nb::cast<std::string>(nb::repr(value)));
}

}  // namespace

void bind_generator(nb::module_& m) {
  nb::class_<GenerationOptions>(m, "_GenerationOptions")
      .def(nb::init<>())
      .def_rw("max_new_tokens", &GenerationOptions::max_new_tokens)
      .def_rw("do_sample", &GenerationOptions::do_sample)
      .def_rw("temperature", &GenerationOptions::temperature)
      .def_rw("top_k", &GenerationOptions::top_k)
      .def_rw("top_p", &GenerationOptions::top_p)
      .def_rw("seed", &GenerationOptions::seed)
      .def_rw("repetition_penalty", &GenerationOptions::repetition_penalty)
      .def_rw("no_repeat_ngram_size", &GenerationOptions::no_repeat_ngram_size)
      .def_rw("num_beams", &GenerationOptions::num_beams)
      .def_rw("length_penalty", &GenerationOptions::length_penalty)
      .def_prop_rw("early_stopping", [](const GenerationOptions& o) { return early_stopping_value(o.early_stopping); },
                   set_early_stopping)
      .def_rw("num_return_sequences", &GenerationOptions::num_return_sequences)
      .def_rw("eos_token_ids", &GenerationOptions::eos_token_ids, nb::arg().none())
      .def_rw("forced_bos_token_id", &GenerationOptions::forced_bos_token_id, nb::arg().none())
      .def_rw("forced_eos_token_id", &GenerationOptions::forced_eos_token_id, nb::arg().none())
      .def_rw("bad_token_ids", &GenerationOptions::bad_token_ids, nb::arg().none());

  nb::class_<PyGenerator>(m, "_Generator")
      .def(nb::init<const std::string&, std::optional<int>, int, std::optional<uint64_t>, const std::string&>(),
           nb::arg("path"), nb::arg("threads").none(), nb::arg("sessions"), nb::arg("max_memory").none(),
           nb::arg("dtype"))
      .def("generate", &PyGenerator::generate, nb::arg("prompts"), nb::arg("options"), nb::arg("callback").none())
      .def("generate_text", &PyGenerator::generate_text, nb::arg("texts"), nb::arg("options"),
           nb::arg("callback").none())
      .def("tokenize", &PyGenerator::tokenize, nb::arg("texts"))
      .def("decode", &PyGenerator::decode, nb::arg("ids"), nb::arg("skip_special_tokens"))
      .def("stream", [](const PyGenerator& g, std::vector<int32_t> prompt, const GenerationOptions& options) {
             return new TokenStream(g, std::move(prompt), options);
           }, nb::arg("prompt"), nb::arg("options"))
      .def_prop_ro("model_type", [](const PyGenerator& g) { return g.generator().model_type(); })
      .def_prop_ro("vocab_size", [](const PyGenerator& g) { return g.generator().vocab_size(); })
      .def_prop_ro("input_vocab_size", [](const PyGenerator& g) { return g.generator().input_vocab_size(); })
      .def_prop_ro("max_positions", [](const PyGenerator& g) { return g.generator().max_positions(); })
      .def_prop_ro("eos_token_ids", [](const PyGenerator& g) { return g.generator().default_eos_token_ids(); })
      .def_prop_ro("is_encoder_decoder", [](const PyGenerator& g) { return g.generator().is_encoder_decoder(); })
      .def_prop_ro("sessions", [](const PyGenerator& g) { return g.state()->pool->size(); });

  nb::class_<TokenStream>(m, "_TokenStream")
      .def("__iter__", [](nb::handle self) { return self; })
      .def("__next__", &TokenStream::next);
}

}  // namespace packformer::python
