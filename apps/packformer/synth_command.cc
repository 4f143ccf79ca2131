// packformer synth: writes a Hugging Face-format folder with seeded random weights.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "packformer/synth.h"

namespace packformer::cli {
namespace {

struct SynthOptions {
  std::string arch = "tiny";
  std::string out;
  std::string tokenizer;
};

}  // namespace

void register_synth_command(CLI::App& app) {
  auto o = std::make_shared<SynthOptions>();
  auto geometry = std::make_shared<SynthSpec>();
  CLI::App* cmd = app.add_subcommand("synth", "write a model folder with seeded random weights");
  cmd->add_option("--arch", o->arch, "xlmr-large | xlmr-base | bert-base | minilm-l6 | tiny")->capture_default_str();
  cmd->add_option("--out", o->out, "output folder")->required();
  cmd->add_option("--tokenizer", o->tokenizer,
                  "tokenizer file to copy into the folder (tokenizer.json, vocab.txt, .model); default: a built-in "
                  "tokenizer.json matching the geometry: bert: WordPiece with bert-base-uncased's 30,522 tokens; "
                  "roberta, xlm-roberta: an XLM-R-style Unigram with 3,002 pieces (needs --vocab >= that)");
  auto* layers = cmd->add_option("--layers", geometry->layers, "override: encoder layers");
  auto* hidden = cmd->add_option("--hidden", geometry->hidden, "override: hidden size");
  auto* heads = cmd->add_option("--heads", geometry->heads, "override: attention heads");
  auto* intermediate = cmd->add_option("--intermediate", geometry->intermediate, "override: FFN size");
  auto* vocab = cmd->add_option("--vocab", geometry->vocab, "override: vocabulary size");
  auto* positions = cmd->add_option("--max-positions", geometry->max_positions, "override: position table size");
  auto* labels = cmd->add_option("--labels", geometry->num_labels, "override: classification labels (0 = none)");
  auto* type = cmd->add_option("--model-type", geometry->model_type, "override: bert | roberta | xlm-roberta");
  auto* act = cmd->add_option("--act", geometry->activation, "override: hidden_act");
  cmd->add_option("--seed", geometry->seed, "random seed")->capture_default_str();
  cmd->callback([=] {
    SynthSpec spec = synth_preset(o->arch);
    if (*layers) spec.layers = geometry->layers;
    if (*hidden) spec.hidden = geometry->hidden;
    if (*heads) spec.heads = geometry->heads;
    if (*intermediate) spec.intermediate = geometry->intermediate;
    if (*vocab) spec.vocab = geometry->vocab;
    if (*positions) spec.max_positions = geometry->max_positions;
    if (*labels) spec.num_labels = geometry->num_labels;
    if (*type) spec.model_type = geometry->model_type;
    if (*act) spec.activation = geometry->activation;
    spec.seed = geometry->seed;
    int last_percent = -1;
    const SynthResult result = write_synthetic_model(spec, o->out, o->tokenizer, [&](int64_t done, int64_t total) {
      const int percent = static_cast<int>(100 * done / std::max<int64_t>(total, 1));
      if (percent / 10 != last_percent / 10) std::fprintf(stderr, "synth: writing weights %d%%\n", percent);
      last_percent = percent;
    });
    std::fprintf(stderr, "synth: wrote %s (%s, %lld layers, hidden %lld)\n", o->out.c_str(), spec.model_type.c_str(),
                 static_cast<long long>(spec.layers), static_cast<long long>(spec.hidden));
    if (result.tokenizer.empty())
      std::fprintf(stderr, "synth: %s\n", result.tokenizer_note.c_str());
    else
      std::fprintf(stderr, "synth: tokenizer: %s\n", result.tokenizer.c_str());
  });
}

}  // namespace packformer::cli
