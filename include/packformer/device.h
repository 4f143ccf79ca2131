// Where an encoder runs and in which precision: `--device cpu|cuda|cuda:N` and
// `--dtype fp32|fp16|bf16|int8`. The parsers are plain host code, available in every build.
#pragma once

#include <string>

namespace packformer {

enum class DeviceKind { Cpu, Cuda };

struct Device {
  DeviceKind kind = DeviceKind::Cpu;
  int index = 0;  // CUDA ordinal; 0 for the CPU
  std::string name() const;  // "cpu" or "cuda:N"
};

// "cpu", "cuda" (= cuda:0) or "cuda:N". Throws InvalidInput naming the accepted forms.
Device parse_device(const std::string& text);

// The precision of the fast path's matrix products (LayerNorm and softmax stay fp32; products
// are summed in fp32, in int32 for int8). CPU: F32, BF16 (weights in bf16), Int8 (weights int8 per output channel, activations
// quantized per row at run time). CUDA: F32, F16, BF16.
enum class Precision { F32, F16, BF16, Int8 };

// "fp32" | "fp16" | "bf16" | "int8" (also "float32", "float16", "bfloat16"). Throws InvalidInput.
Precision parse_precision(const std::string& text);
const char* precision_name(Precision dtype);
int precision_bytes(Precision dtype);
// Throws InvalidInput when `dtype` cannot run on `device` (fp16 on the CPU, int8 on CUDA).
void check_precision_on(Precision dtype, DeviceKind device);
// True when the kernel variant in use has instructions made for `dtype` (bf16: AVX512_BF16;
// int8: AVX-512's vpmaddwd or AVX512_VNNI; the AVX2 and generic ones are plain loops); without
// them bf16 and int8 still run, correctly but possibly slower than fp32.
bool cpu_has_fast(Precision dtype);

// True when this build has the CUDA backend (CMake option PACKFORMER_CUDA).
bool cuda_built();
// Usable CUDA devices. 0 when there are none, the driver is missing or CUDA is not built in;
// then `reason` (if given) says why, e.g. "cudaGetDeviceCount: no CUDA-capable device is detected".
int cuda_device_count(std::string* reason = nullptr);

}  // namespace packformer
