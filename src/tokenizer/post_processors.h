// Post-processors: add the special tokens of a single sequence ([CLS] ... [SEP], <s> ... </s>)
// or of a pair ([CLS] a [SEP] b [SEP], <s> a </s></s> b </s>) and set type ids
// (tokenizer.json "post_processor").
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace packformer::tokenizer {

// Token ids with their type id and special-token flag, being assembled.
struct IdSequence {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<uint8_t> special;

  void append(int32_t id, int32_t type_id, bool is_special) {
    ids.push_back(id);
    type_ids.push_back(type_id);
    special.push_back(is_special ? 1 : 0);
  }
  void append_all(const IdSequence& other, int32_t type_id) {
    for (size_t i = 0; i < other.ids.size(); ++i) append(other.ids[i], type_id, other.special[i]);
  }
};

// The parts a post-processor works on: one sequence, or the two of a pair. As in HF
// tokenizers, sequence i arrives with every type id set to i; processors that add special
// tokens return one merged part, the others leave the parts as they are.
using SequenceParts = std::vector<IdSequence>;

// Concatenates the parts in order.
IdSequence merge_parts(SequenceParts& parts);

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Number of tokens process() adds to one sequence (pair = false) or to a pair when
  // add_special_tokens is true.
  virtual size_t added_tokens(bool pair) const = 0;
  // False when the processor cannot take a pair (a template without a "pair" form).
  virtual bool has_pair_form() const { return true; }
  virtual void process(SequenceParts& parts, bool add_special_tokens) const = 0;
};

// One item of a TemplateProcessing template.
struct TemplatePiece {
  bool is_sequence = false;          // true: an input sequence; false: special tokens
  int sequence = 0;                  // 0 = $A, 1 = $B (is_sequence only)
  std::vector<int32_t> special_ids;  // ids of the special token (may be several)
  int32_t type_id = 0;
};

class TemplatePostProcessor final : public PostProcessor {
 public:
  // `pair` is empty when the file gives no pair template.
  TemplatePostProcessor(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair)
      : single_(std::move(single)), pair_(std::move(pair)) {}
  size_t added_tokens(bool pair) const override;
  bool has_pair_form() const override { return !pair_.empty(); }
  void process(SequenceParts& parts, bool add_special_tokens) const override;

 private:
  std::vector<TemplatePiece> single_, pair_;
};

// BertProcessing: [CLS] A [SEP] B [SEP], type ids 0 for A's part and 1 for B's.
// RobertaProcessing: <s> A </s> </s> B </s>, every type id 0 (with or without special tokens).
class ClsSepPostProcessor final : public PostProcessor {
 public:
  enum class Style { Bert, Roberta };
  ClsSepPostProcessor(int32_t cls_id, int32_t sep_id, Style style) : cls_id_(cls_id), sep_id_(sep_id), style_(style) {}
  size_t added_tokens(bool pair) const override { return !pair ? 2 : style_ == Style::Bert ? 3 : 4; }
  void process(SequenceParts& parts, bool add_special_tokens) const override;

 private:
  int32_t cls_id_, sep_id_;
  Style style_;
};

// ByteLevel as a post-processor only trims offsets; ids are unchanged.
class IdentityPostProcessor final : public PostProcessor {
 public:
  size_t added_tokens(bool) const override { return 0; }
  void process(SequenceParts&, bool) const override {}
};

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  size_t added_tokens(bool pair) const override {
    size_t n = 0;
    for (const auto& step : steps_) n += step->added_tokens(pair);
    return n;
  }
  bool has_pair_form() const override {
    for (const auto& step : steps_)
      if (!step->has_pair_form()) return false;
    return true;
  }
  void process(SequenceParts& parts, bool add_special_tokens) const override {
    for (const auto& step : steps_) step->process(parts, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

}  // namespace packformer::tokenizer
