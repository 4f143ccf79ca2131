// Post-processors: add the special tokens of a single sequence ([CLS] ... [SEP], <s> ... </s>)
// and set type ids (tokenizer.json "post_processor").
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
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Number of tokens process() adds to a single sequence when add_special_tokens is true.
  virtual size_t added_tokens() const = 0;
  virtual void process(IdSequence& sequence, bool add_special_tokens) const = 0;
};

// One item of a TemplateProcessing "single" template.
struct TemplatePiece {
  bool is_sequence = false;          // true: the input sequence; false: special tokens
  std::vector<int32_t> special_ids;  // ids of the special token (may be several)
  int32_t type_id = 0;
};

class TemplatePostProcessor final : public PostProcessor {
 public:
  explicit TemplatePostProcessor(std::vector<TemplatePiece> single) : single_(std::move(single)) {}
  size_t added_tokens() const override;
  void process(IdSequence& sequence, bool add_special_tokens) const override;

 private:
  std::vector<TemplatePiece> single_;
};

// BertProcessing and RobertaProcessing: cls + sequence + sep, type id 0.
class ClsSepPostProcessor final : public PostProcessor {
 public:
  ClsSepPostProcessor(int32_t cls_id, int32_t sep_id) : cls_id_(cls_id), sep_id_(sep_id) {}
  size_t added_tokens() const override { return 2; }
  void process(IdSequence& sequence, bool add_special_tokens) const override;

 private:
  int32_t cls_id_, sep_id_;
};

// ByteLevel as a post-processor only trims offsets; ids are unchanged.
class IdentityPostProcessor final : public PostProcessor {
 public:
  size_t added_tokens() const override { return 0; }
  void process(IdSequence&, bool) const override {}
};

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  size_t added_tokens() const override {
    size_t n = 0;
    for (const auto& step : steps_) n += step->added_tokens();
    return n;
  }
  void process(IdSequence& sequence, bool add_special_tokens) const override {
    for (const auto& step : steps_) step->process(sequence, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

}  // namespace packformer::tokenizer
