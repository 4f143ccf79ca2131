// HF tokenizers reads tokenizer.json with serde_json's default float parser, which is not
// correctly rounded for 17-digit numbers (it converts the digits to a u64, then to f64, then
// divides by a power of ten: two roundings). Unigram ties are decided by the last bit of the
// summed scores, so packformer reproduces that parser for the scores.
#pragma once

namespace packformer::tokenizer {

// `value` parsed the way serde_json (without float_roundtrip) parses its shortest decimal form,
// which is the form tokenizers writes.
double serde_json_f64(double value);

}  // namespace packformer::tokenizer
