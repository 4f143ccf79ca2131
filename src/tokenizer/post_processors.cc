#include "tokenizer/post_processors.h"

namespace packformer::tokenizer {

IdSequence merge_parts(SequenceParts& parts) {
  if (parts.size() == 1) return std::move(parts.front());
  IdSequence out;
  for (const IdSequence& part : parts) {
    out.ids.insert(out.ids.end(), part.ids.begin(), part.ids.end());
    out.type_ids.insert(out.type_ids.end(), part.type_ids.begin(), part.type_ids.end());
    out.special.insert(out.special.end(), part.special.begin(), part.special.end());
  }
  return out;
}

size_t TemplatePostProcessor::added_tokens(bool pair) const {
  size_t n = 0;
  for (const TemplatePiece& piece : pair ? pair_ : single_)
    if (!piece.is_sequence) n += piece.special_ids.size();
  return n;
}

void TemplatePostProcessor::process(SequenceParts& parts, bool add_special_tokens) const {
  // Pipelines check has_pair_form() first; a template read from a file never names $B in
  // its single form, so every sequence it names is present.
  const std::vector<TemplatePiece>& pieces = parts.size() == 2 && !pair_.empty() ? pair_ : single_;
  IdSequence out;
  size_t total = 4;
  for (const IdSequence& part : parts) total += part.ids.size();
  out.ids.reserve(total);
  for (const TemplatePiece& piece : pieces) {
    if (piece.is_sequence) {
      if (static_cast<size_t>(piece.sequence) < parts.size()) out.append_all(parts[piece.sequence], piece.type_id);
    } else if (add_special_tokens) {
      for (int32_t id : piece.special_ids) out.append(id, piece.type_id, true);
    }
  }
  parts.assign(1, std::move(out));
}

void ClsSepPostProcessor::process(SequenceParts& parts, bool add_special_tokens) const {
  if (style_ == Style::Roberta)
    for (IdSequence& part : parts)
      for (auto& type_id : part.type_ids) type_id = 0;
  if (!add_special_tokens) return;
  IdSequence out;
  out.append(cls_id_, 0, true);
  out.append_all(parts[0], 0);
  out.append(sep_id_, 0, true);
  if (parts.size() > 1) {
    const int32_t type_id = style_ == Style::Bert ? 1 : 0;
    if (style_ == Style::Roberta) out.append(sep_id_, 0, true);
    out.append_all(parts[1], type_id);
    out.append(sep_id_, type_id, true);
  }
  parts.assign(1, std::move(out));
}

}  // namespace packformer::tokenizer
