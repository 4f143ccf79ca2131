// A build without the CUDA backend (PACKFORMER_CUDA off): asking for a CUDA device is a clear
// error, not a link failure. With the backend on, src/backends/cuda/ defines these instead.
#if !PACKFORMER_WITH_CUDA

#include "models/device_encoder.h"
#include "packformer/error.h"

namespace packformer {

namespace {
constexpr const char* kNotBuilt =
    "packformer was built without CUDA (reconfigure with -DPACKFORMER_CUDA=ON on a machine with nvcc)";
}

bool cuda_built() { return false; }

int cuda_device_count(std::string* reason) {
  if (reason) *reason = kNotBuilt;
  return 0;
}

std::unique_ptr<DeviceEncoder> make_cuda_encoder(const EncoderModel&, int, Precision) {
  fail(ErrorKind::Unsupported, std::string("--device cuda: ") + kNotBuilt);
}

}  // namespace packformer

#endif
