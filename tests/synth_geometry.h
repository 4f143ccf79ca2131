// Odd encoder geometries for the parity tests (fast vs slow on the CPU, CUDA vs slow): each a
// seeded synthetic folder, so every path runs the same weights.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

#include "packformer/synth.h"

namespace packformer::test {

struct Geometry {
  const char* name;
  std::string model_type;
  int64_t layers, hidden, heads, intermediate, max_positions;
  const char* act;
};
// ctest's test names then carry the geometry's name instead of the struct's bytes.
inline void PrintTo(const Geometry& g, std::ostream* os) { *os << g.name; }

// The geometry as a folder: vocabulary 97, 2 token types, a 3-label head, seed 7.
inline void write_geometry_model(const Geometry& g, const std::filesystem::path& dir) {
  SynthSpec spec;
  spec.model_type = g.model_type;
  spec.layers = g.layers, spec.hidden = g.hidden, spec.heads = g.heads, spec.intermediate = g.intermediate;
  spec.vocab = 97, spec.max_positions = g.max_positions, spec.type_vocab = 2, spec.activation = g.act;
  spec.num_labels = 3;
  spec.seed = 7;
  write_synthetic_model(spec, dir);
}

}  // namespace packformer::test
