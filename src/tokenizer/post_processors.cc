#include "tokenizer/post_processors.h"

namespace packformer::tokenizer {

size_t TemplatePostProcessor::added_tokens() const {
  size_t n = 0;
  for (const TemplatePiece& piece : single_)
    if (!piece.is_sequence) n += piece.special_ids.size();
  return n;
}

void TemplatePostProcessor::process(IdSequence& sequence, bool add_special_tokens) const {
  IdSequence out;
  out.ids.reserve(sequence.ids.size() + 4);
  for (const TemplatePiece& piece : single_) {
    if (piece.is_sequence) {
      for (size_t i = 0; i < sequence.ids.size(); ++i) out.append(sequence.ids[i], piece.type_id, sequence.special[i]);
    } else if (add_special_tokens) {
      for (int32_t id : piece.special_ids) out.append(id, piece.type_id, true);
    }
  }
  sequence = std::move(out);
}

void ClsSepPostProcessor::process(IdSequence& sequence, bool add_special_tokens) const {
  for (auto& type_id : sequence.type_ids) type_id = 0;
  if (!add_special_tokens) return;
  IdSequence out;
  out.ids.reserve(sequence.ids.size() + 2);
  out.append(cls_id_, 0, true);
  for (size_t i = 0; i < sequence.ids.size(); ++i) out.append(sequence.ids[i], 0, sequence.special[i]);
  out.append(sep_id_, 0, true);
  sequence = std::move(out);
}

}  // namespace packformer::tokenizer
