// expf for vectorised loops: range reduction to 2^n * e^r, |r| <= ln2/2, and a degree-6
// polynomial; relative error below 2e-7 over the range softmax uses. Branch-free so the
// compiler vectorises the loops that call it.
// Included inside each ISA variant's anonymous namespace (see attention_impl.h), so it
// includes nothing and each variant gets its own copy.

inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  // Round to nearest by adding and removing 1.5 * 2^23 (vectorises, unlike nearbyintf).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  // Cody-Waite: ln2 split in two so r keeps full precision.
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}
