#include "layers/rotary.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "loader/json_file.h"
#include "packformer/error.h"

namespace packformer {
namespace {

constexpr const char* kSupportedTypes = "default, linear, dynamic, llama3, yarn";

// The fields of one JSON object of config.json (the rope section, or the top level), each
// error naming the field as "section.key". A null object has no fields.
class RopeSection {
 public:
  RopeSection(const JsonFile& json, const nlohmann::json* object, std::string section)
      : json_(json), object_(object), section_(std::move(section)) {
    if (object_ && !object_->is_object())
      json_.invalid(section_, "expected an object (the rope type and its parameters)");
  }
  bool has(const std::string& key) const { return object_ && object_->contains(key) && !(*object_)[key].is_null(); }
  double number(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    if (!(*object_)[key].is_number()) json_.invalid(name(key), "expected a number");
    const double v = (*object_)[key].get<double>();
    if (!std::isfinite(v)) json_.invalid(name(key), "expected a finite number");
    return v;
  }
  double positive(const std::string& key, double fallback) const {
    const double v = number(key, fallback);
    if (!(v > 0.0)) json_.invalid(name(key), "expected a positive number");
    return v;
  }
  double required_positive(const std::string& key, const std::string& type) const {
    if (!has(key)) json_.invalid(name(key), "missing (rope type '" + type + "' needs it)");
    return positive(key, 0.0);
  }
  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    if (!(*object_)[key].is_boolean()) json_.invalid(name(key), "expected true or false");
    return (*object_)[key].get<bool>();
  }
  std::string type() const {
    for (const char* key : {"rope_type", "type"})
      if (has(key)) {
        if (!(*object_)[key].is_string()) json_.invalid(name(key), "expected a string");
        return (*object_)[key].get<std::string>();
      }
    return "default";
  }
  std::string name(const std::string& key) const { return section_.empty() ? key : section_ + "." + key; }

 private:
  const JsonFile& json_;
  const nlohmann::json* object_;
  std::string section_;
};

// transformers' base ** (arange(0, dim, 2) / dim) in fp32.
float base_power(double base, int64_t i, int64_t dim) {
  const float exponent = static_cast<float>(i) / static_cast<float>(dim);
  return static_cast<float>(std::pow(base, static_cast<double>(exponent)));
}

void llama3_scale(const RopeParameters& r, int64_t original, std::vector<float>& inv_freq) {
  const double low_wavelen = static_cast<double>(original) / r.low_freq_factor;
  const double high_wavelen = static_cast<double>(original) / r.high_freq_factor;
  const float factor = static_cast<float>(r.factor);
  for (float& f : inv_freq) {
    const float wavelen = 2.0f * std::numbers::pi_v<float> / f;
    if (wavelen > static_cast<float>(low_wavelen)) {
      f = f / factor;
    } else if (!(wavelen < static_cast<float>(high_wavelen))) {  // between the two: smooth
      const float smooth = (static_cast<float>(original) / wavelen - static_cast<float>(r.low_freq_factor)) /
                           static_cast<float>(r.high_freq_factor - r.low_freq_factor);
      f = (1.0f - smooth) * f / factor + smooth * f;
    }
  }
}

float yarn_scale(const RopeParameters& r, int64_t dim, int64_t max_positions, std::vector<float>& inv_freq) {
  const int64_t original = r.original_max_position_embeddings > 0 ? r.original_max_position_embeddings : max_positions;
  const double factor = r.factor;
  const auto mscale = [](double scale, double m) { return scale <= 1.0 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
  double attention = 0.0;
  if (r.attention_factor) {
    attention = *r.attention_factor;
  } else if (r.mscale && r.mscale_all_dim && *r.mscale != 0.0 && *r.mscale_all_dim != 0.0) {
    attention = mscale(factor, *r.mscale) / mscale(factor, *r.mscale_all_dim);
  } else {
    attention = mscale(factor, 1.0);
  }
  const auto correction_dim = [&](double rotations) {
    return (static_cast<double>(dim) * std::log(static_cast<double>(original) / (rotations * 2.0 * std::numbers::pi))) /
           (2.0 * std::log(r.theta));
  };
  double low = correction_dim(r.beta_fast), high = correction_dim(r.beta_slow);
  if (r.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // as transformers: no division by zero
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    const float pos_freq = base_power(r.theta, 2 * static_cast<int64_t>(i), dim);
    const float extrapolation = 1.0f / pos_freq;
    const float interpolation = 1.0f / (static_cast<float>(factor) * pos_freq);
    const float ramp = std::clamp((static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low),
                                  0.0f, 1.0f);
    const float extrapolation_weight = 1.0f - ramp;
    inv_freq[i] = interpolation * (1.0f - extrapolation_weight) + extrapolation * extrapolation_weight;
  }
  return static_cast<float>(attention);
}

}  // namespace

RopeParameters parse_rope_parameters(const JsonFile& json) {
  const std::string section = json.has("rope_parameters") ? "rope_parameters"
                              : json.has("rope_scaling")  ? "rope_scaling"
                                                          : "";
  const RopeSection top(json, &json.root(), "");
  const RopeSection rope(json, section.empty() ? nullptr : &json.root()[section], section);
  RopeParameters r;
  r.theta = rope.positive("rope_theta", top.positive("rope_theta", 10000.0));
  const double partial = rope.number("partial_rotary_factor", top.number("partial_rotary_factor", 1.0));
  if (partial != 1.0)
    fail(ErrorKind::Unsupported, json.path().string() + ": field '" +
                                     (rope.has("partial_rotary_factor") ? rope.name("partial_rotary_factor")
                                                                        : std::string("partial_rotary_factor")) +
                                     "': rotary embeddings over part of a head are not supported (only 1.0)");
  r.type = rope.type();
  const std::string type_field = rope.has("rope_type") ? rope.name("rope_type") : rope.name("type");
  if (r.type == "default") return r;
  if (r.type == "linear" || r.type == "dynamic") {
    r.factor = rope.required_positive("factor", r.type);
  } else if (r.type == "llama3") {
    r.factor = rope.required_positive("factor", r.type);
    r.low_freq_factor = rope.required_positive("low_freq_factor", r.type);
    r.high_freq_factor = rope.required_positive("high_freq_factor", r.type);
    if (r.high_freq_factor <= r.low_freq_factor)
      json.invalid(rope.name("high_freq_factor"), "must be larger than low_freq_factor");
  } else if (r.type == "yarn") {
    // Absent: 0, resolved in rope_frequencies() as max / original positions (as transformers).
    r.factor = rope.has("factor") ? rope.positive("factor", 1.0) : 0.0;
    if (rope.has("attention_factor")) r.attention_factor = rope.number("attention_factor", 1.0);
    if (r.attention_factor && *r.attention_factor < 0.0)
      json.invalid(rope.name("attention_factor"), "expected a number >= 0");
    if (rope.has("mscale")) r.mscale = rope.number("mscale", 0.0);
    if (rope.has("mscale_all_dim")) r.mscale_all_dim = rope.number("mscale_all_dim", 0.0);
    // transformers reads `beta_fast or 32`: a zero means the default too.
    r.beta_fast = rope.number("beta_fast", 0.0);
    if (r.beta_fast == 0.0) r.beta_fast = 32.0;
    r.beta_slow = rope.number("beta_slow", 0.0);
    if (r.beta_slow == 0.0) r.beta_slow = 1.0;
    if (!(r.beta_fast > 0.0) || !(r.beta_slow > 0.0))
      json.invalid(rope.name("beta_fast"), "beta_fast and beta_slow must be positive");
    r.truncate = rope.boolean("truncate", true);
  } else {
    fail(ErrorKind::Unsupported, json.path().string() + ": field '" + type_field + "': rope type '" + r.type +
                                     "' is not supported (supported: " + kSupportedTypes + ")");
  }
  if (r.type == "llama3" || r.type == "yarn") {
    const double original = rope.number("original_max_position_embeddings",
                                        top.number("original_max_position_embeddings", 0.0));
    if (original < 0.0 || original > 1e9 || original != std::floor(original))
      json.invalid(rope.name("original_max_position_embeddings"), "expected a positive integer");
    r.original_max_position_embeddings = static_cast<int64_t>(original);
  }
  return r;
}

RopeFrequencies rope_frequencies(const RopeParameters& r, int64_t head_dim, int64_t max_position_embeddings) {
  if (head_dim < 2 || head_dim % 2 != 0)
    fail(ErrorKind::Unsupported, "rotary embeddings need an even head size, got " + std::to_string(head_dim));
  RopeFrequencies out;
  out.inv_freq.resize(static_cast<size_t>(head_dim / 2));
  for (int64_t i = 0; i < head_dim / 2; ++i)
    out.inv_freq[static_cast<size_t>(i)] = 1.0f / base_power(r.theta, 2 * i, head_dim);
  const int64_t original =
      r.original_max_position_embeddings > 0 ? r.original_max_position_embeddings : max_position_embeddings;
  if (r.type == "linear") {
    for (float& f : out.inv_freq) f /= static_cast<float>(r.factor);
  } else if (r.type == "llama3") {
    llama3_scale(r, original, out.inv_freq);
  } else if (r.type == "yarn") {
    RopeParameters yarn = r;
    if (yarn.factor <= 0.0) yarn.factor = static_cast<double>(max_position_embeddings) / static_cast<double>(original);
    yarn.original_max_position_embeddings = original;
    out.attention_scaling = yarn_scale(yarn, head_dim, max_position_embeddings, out.inv_freq);
  }
  return out;
}

Rotary::Rotary(const RopeParameters& rope, int64_t head_dim, int64_t positions, int64_t max_position_embeddings)
    : half_(head_dim / 2), positions_(positions) {
  const RopeFrequencies f = rope_frequencies(rope, head_dim, max_position_embeddings);
  cos_.resize(static_cast<size_t>(positions * half_));
  sin_.resize(cos_.size());
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < half_; ++i) {
      // transformers: the angle as an fp32 product, then cos / sin, then the attention scaling.
      const float angle = static_cast<float>(p) * f.inv_freq[static_cast<size_t>(i)];
      cos_[p * half_ + i] = static_cast<float>(std::cos(static_cast<double>(angle))) * f.attention_scaling;
      sin_[p * half_ + i] = static_cast<float>(std::sin(static_cast<double>(angle))) * f.attention_scaling;
    }
}

void Rotary::apply(float* x, int64_t heads, int64_t position) const {
  const float* c = cos_.data() + position * half_;
  const float* s = sin_.data() + position * half_;
  for (int64_t h = 0; h < heads; ++h) {
    float* first = x + h * 2 * half_;
    float* second = first + half_;
    for (int64_t i = 0; i < half_; ++i) {
      const float a = first[i], b = second[i];
      first[i] = a * c[i] - b * s[i];
      second[i] = b * c[i] + a * s[i];
    }
  }
}

}  // namespace packformer
