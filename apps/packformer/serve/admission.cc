#include "admission.h"

#include <string>

#include "api.h"

namespace packformer::serve {

AdmissionGate::Admission AdmissionGate::admit(int64_t sequences) {
  int64_t current = in_flight_.load();
  do {
    if (current + sequences > limit_)
      throw ApiError(429, "Overloaded",
                     "Model is overloaded: " + std::to_string(current) + " sequences in flight, " +
                         std::to_string(sequences) + " more would exceed --max-concurrent-requests (" +
                         std::to_string(limit_) + ")");
  } while (!in_flight_.compare_exchange_weak(current, current + sequences));
  return Admission(in_flight_, sequences);
}

}  // namespace packformer::serve
