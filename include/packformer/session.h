// Options shared by the sessions of every model kind (EncoderSession, GeneratorSession): a
// session runs a loaded model's shared weights with its own workspace and thread count.
#pragma once

namespace packformer {

struct SessionOptions {
  int threads = 0;  // threads of this session's calls; 0 = the model's load-time `threads` option
};

}  // namespace packformer
