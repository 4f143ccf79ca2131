// POST /tokenize and POST /decode (TEI), with the served model's own tokenizer.
#include "encoder_service.h"
#include "generator_service.h"
#include "json_lines.h"
#include "request_fields.h"
#include "router.h"
#include "packformer/tokenizer.h"

namespace packformer::serve {
namespace {

using nlohmann::json;

const Tokenizer& model_tokenizer(const ServerContext& context) {
  const Tokenizer* tokenizer = context.encoder ? context.encoder->tokenizer()
                                               : context.generator ? context.generator->tokenizer() : nullptr;
  if (!tokenizer) throw ApiError(424, "Backend", "the model folder has no tokenizer");
  return *tokenizer;
}

// TEI's SimpleToken. The engine's tokenizers keep no character offsets, so start and stop are
// null and `text` is the token decoded alone.
ApiResponse tokenize(ServerContext& context, const ApiRequest& request) {
  const Tokenizer& tokenizer = model_tokenizer(context);
  const json body = parse_body(request.body);
  auto texts = parse_texts(required_field(body, "inputs"), "inputs",
                           static_cast<size_t>(context.options.max_client_batch_size), nullptr);
  EncodeOptions options;
  options.add_special_tokens = bool_field(body, "add_special_tokens", true);
  // As /embed would: the prompt `prompt_name` names, else the folder's default (encoders only).
  const std::string prompt_name = string_field(body, "prompt_name", "");
  if (context.encoder) {
    const std::string prompt = context.encoder->prompt_text(prompt_name);
    for (std::string& text : texts) text.insert(0, prompt);
  } else if (!prompt_name.empty()) {
    validation_error("`prompt_name`: the served model has no sentence-transformers prompts");
  }
  std::string out = "[";
  for (size_t i = 0; i < texts.size(); ++i) {
    const Encoding encoding = tokenizer.encode(texts[i], options);
    out += i > 0 ? ",[" : "[";
    for (size_t t = 0; t < encoding.ids.size(); ++t) {
      const int32_t id = encoding.ids[t];
      const bool special = t < encoding.special_tokens_mask.size() && encoding.special_tokens_mask[t];
      out += t > 0 ? ",{" : "{";
      out += "\"id\":" + std::to_string(id) + ",\"text\":" + cli::json_string(tokenizer.decode({id}, false)) +
             ",\"special\":" + (special ? "true" : "false") + ",\"start\":null,\"stop\":null}";
    }
    out += ']';
  }
  return json_response(out + "]");
}

ApiResponse decode(ServerContext& context, const ApiRequest& request) {
  const Tokenizer& tokenizer = model_tokenizer(context);
  const json body = parse_body(request.body);
  const auto lists = parse_id_lists(required_field(body, "ids"), "ids",
                                    static_cast<size_t>(context.options.max_client_batch_size));
  const bool skip_special = bool_field(body, "skip_special_tokens", true);
  const auto vocab = static_cast<int64_t>(tokenizer.vocab_size());
  std::string out = "[";
  for (size_t i = 0; i < lists.size(); ++i) {
    for (int32_t id : lists[i])
      if (id >= vocab)
        validation_error("`ids` holds the token id " + std::to_string(id) + ", outside the vocabulary [0, " +
                         std::to_string(vocab) + ")");
    if (i > 0) out += ',';
    out += cli::json_string(tokenizer.decode(lists[i], skip_special));
  }
  return json_response(out + "]");
}

}  // namespace

void add_tokenize_routes(std::vector<Route>& routes, const ServerContext&) {
  routes.push_back({"POST", "/tokenize", tokenize});
  routes.push_back({"POST", "/decode", decode});
}

}  // namespace packformer::serve
