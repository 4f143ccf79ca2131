// Admission control as TEI's: at most --max-concurrent-requests sequences in flight; a request
// that would go over is refused at once with 429 instead of waiting.
#pragma once

#include <atomic>
#include <cstdint>

namespace packformer::serve {

class AdmissionGate {
 public:
  explicit AdmissionGate(int64_t limit) : limit_(limit) {}

  // Sequences held in flight; released when destroyed.
  class Admission {
   public:
    Admission(std::atomic<int64_t>& counter, int64_t count) : counter_(&counter), count_(count) {}
    Admission(Admission&& other) noexcept : counter_(other.counter_), count_(other.count_) { other.count_ = 0; }
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;
    Admission& operator=(Admission&&) = delete;
    ~Admission() { counter_->fetch_sub(count_); }

   private:
    std::atomic<int64_t>* counter_;
    int64_t count_;
  };

  // Admits `sequences` more, or throws ApiError 429 (Overloaded).
  Admission admit(int64_t sequences);
  int64_t in_flight() const { return in_flight_.load(); }
  int64_t limit() const { return limit_; }

 private:
  int64_t limit_;
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace packformer::serve
