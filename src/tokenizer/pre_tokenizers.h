// Pre-tokenizers: split one normalized segment into the words the model sees
// (tokenizer.json "pre_tokenizer").
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/regex.h"

namespace packformer::tokenizer {

// One word (or not yet split segment). `at_start` is true when it begins at offset 0 of the
// original input: Metaspace's "first" prepend scheme depends on it.
struct Piece {
  std::string text;
  bool at_start = false;
};
using Pieces = std::vector<Piece>;

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their splits; empty pieces are dropped.
  virtual void pre_tokenize(Pieces& pieces) const = 0;
};

// Whitespace removed, then each punctuation character isolated.
class BertPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(Pieces& pieces) const override;
};

// Runs of \w and runs of [^\w\s]; whitespace removed.
class WhitespacePreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(Pieces& pieces) const override;
};

class WhitespaceSplitPreTokenizer final : public PreTokenizer {
 public:
  void pre_tokenize(Pieces& pieces) const override;
};

class PunctuationPreTokenizer final : public PreTokenizer {
 public:
  explicit PunctuationPreTokenizer(SplitBehavior behavior) : behavior_(behavior) {}
  void pre_tokenize(Pieces& pieces) const override;

 private:
  SplitBehavior behavior_;
};

class DigitsPreTokenizer final : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual_digits) : individual_digits_(individual_digits) {}
  void pre_tokenize(Pieces& pieces) const override;

 private:
  bool individual_digits_;
};

class CharDelimiterPreTokenizer final : public PreTokenizer {
 public:
  explicit CharDelimiterPreTokenizer(char32_t delimiter) : delimiter_(delimiter) {}
  void pre_tokenize(Pieces& pieces) const override;

 private:
  char32_t delimiter_;
};

// Split on a literal string or a regex, with a delimiter behaviour and optional inversion.
class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(std::string literal, std::unique_ptr<Regex> regex, SplitBehavior behavior, bool invert)
      : literal_(std::move(literal)), regex_(std::move(regex)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(Pieces& pieces) const override;

 private:
  std::string literal_;  // used when regex_ is null
  std::unique_ptr<Regex> regex_;
  SplitBehavior behavior_;
  bool invert_;
};

enum class PrependScheme { Always, First, Never };

// Spaces become `replacement` (U+2581 by default), a replacement is prepended per the
// scheme, then (optionally) the text is split before each replacement.
class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(char32_t replacement, PrependScheme scheme, bool split);
  void pre_tokenize(Pieces& pieces) const override;

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(Pieces& pieces) const override {
    for (const auto& step : steps_) step->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

// A segment of `text` and whether it matched the delimiter pattern; the list covers the text.
struct Match {
  size_t start, end;
  bool is_match;
};

// Appends the pieces `behavior` makes of `piece` given `matches`, dropping empty ones.
void split_by_matches(const Piece& piece, const std::vector<Match>& matches, SplitBehavior behavior, Pieces& out);

}  // namespace packformer::tokenizer
