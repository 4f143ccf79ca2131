// Builds a model's layers in parallel at load: each layer converts and packs its own weights
// (from views of the mapped file), independent of the others, so the calling thread's OpenMP
// team shares the work. Errors stay deterministic: when several layers fail, the lowest
// layer's error is the one thrown, as a serial loop would throw it.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <vector>

namespace packformer {

// {make(0), ..., make(count - 1)}, in order; make(i) may run on any thread of the team.
template <typename T, typename Make>
std::vector<T> parallel_build(int64_t count, const Make& make) {
  std::vector<std::optional<T>> built(static_cast<size_t>(count));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(count));
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t i = 0; i < count; ++i) {
    try {
      built[static_cast<size_t>(i)].emplace(make(i));
    } catch (...) {
      errors[static_cast<size_t>(i)] = std::current_exception();
    }
  }
  for (const std::exception_ptr& error : errors)
    if (error) std::rethrow_exception(error);
  std::vector<T> out;
  out.reserve(static_cast<size_t>(count));
  for (std::optional<T>& item : built) out.push_back(std::move(*item));
  return out;
}

}  // namespace packformer
