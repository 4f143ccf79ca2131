// The CUDA fast path: the CPU fast path's structure (fused QKV GEMM, GEMM epilogues, varlen
// attention, fused LayerNorms, one planned workspace) on one stream of one GPU. Weights are
// converted to the compute dtype once, at load; LayerNorm parameters stay fp32.
//
// Per layer: qkv = x Wqkv^T + b (cuBLASLt, bias epilogue) -> attention -> sum = ctx Wo^T ->
// x1 = LN(sum + bo + x) -> h = act(x1 W1^T + b1) (epilogue when cuBLASLt has the activation)
// -> sum = h W2^T -> x = LN(sum + b2 + x1).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "backends/cuda/check.h"
#include "backends/cuda/context.h"
#include "backends/cuda/gemm.h"
#include "backends/cuda/kernels.h"
#include "core/half.h"
#include "models/device_encoder.h"
#include "models/device_workspace.h"
#include "models/encoder_model.h"
#include "packformer/error.h"
#include "packformer/profiler.h"

namespace packformer {
namespace {

using cuda::DeviceBuffer;
using cuda::GemmEpilogue;
using cuda::PinnedBuffer;

// Host fp32 -> device in `dtype`, converted once here (round to nearest even).
DeviceBuffer upload(std::span<const float> values, Precision dtype) {
  DeviceBuffer buffer(values.size() * static_cast<size_t>(precision_bytes(dtype)));
  if (values.empty()) return buffer;
  if (dtype == Precision::F32) {
    PF_CUDA_CHECK(cudaMemcpy(buffer.data(), values.data(), values.size() * sizeof(float), cudaMemcpyHostToDevice));
    return buffer;
  }
  std::vector<uint16_t> converted(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    converted[i] = dtype == Precision::F16 ? float_to_half(values[i]) : float_to_bfloat16(values[i]);
  PF_CUDA_CHECK(cudaMemcpy(buffer.data(), converted.data(), converted.size() * sizeof(uint16_t), cudaMemcpyHostToDevice));
  return buffer;
}

std::vector<float> concat(const FloatTensor& a, const FloatTensor& b, const FloatTensor& c) {
  std::vector<float> out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  out.insert(out.end(), c.begin(), c.end());
  return out;
}

// fp32 keeps tanh-GELU as its own pass: cuBLASLt does not document the precision of its GELU
// epilogue, and fp32 must stay within 1e-4 of the CPU reference.
GemmEpilogue ffn_epilogue(Activation activation, Precision dtype) {
  if (activation == Activation::GeluTanh && dtype != Precision::F32) return GemmEpilogue::BiasGelu;
  if (activation == Activation::Relu) return GemmEpilogue::BiasRelu;
  return GemmEpilogue::Bias;  // the activation then runs as its own pass
}

class CudaEncoder final : public DeviceEncoder {
 public:
  CudaEncoder(const EncoderModel& model, int device, Precision dtype)
      : model_(model), context_(device), dtype_(dtype), gemm_(context_, dtype) {
    const EncoderWeights& w = model.weights;
    const auto f32 = [](std::span<const float> v) { return upload(v, Precision::F32); };
    word_ = upload(w.word_embeddings, dtype);
    position_ = upload(w.position_embeddings, dtype);
    type_ = upload(w.token_type_embeddings, dtype);
    embedding_gamma_ = f32(w.embedding_norm.gamma);
    embedding_beta_ = f32(w.embedding_norm.beta);
    for (const EncoderLayerWeights& l : w.layers) {
      Layer layer;
      layer.qkv_weight = upload(concat(l.query.weight, l.key.weight, l.value.weight), dtype);
      layer.qkv_bias = upload(concat(l.query.bias, l.key.bias, l.value.bias), dtype);
      layer.out_weight = upload(l.attention_output.weight, dtype);
      layer.out_bias = upload(l.attention_output.bias, dtype);
      layer.ffn1_weight = upload(l.intermediate.weight, dtype);
      layer.ffn1_bias = upload(l.intermediate.bias, dtype);
      layer.ffn2_weight = upload(l.output.weight, dtype);
      layer.ffn2_bias = upload(l.output.bias, dtype);
      layer.norm1_gamma = f32(l.attention_norm.gamma);
      layer.norm1_beta = f32(l.attention_norm.beta);
      layer.norm2_gamma = f32(l.output_norm.gamma);
      layer.norm2_beta = f32(l.output_norm.beta);
      layers_.push_back(std::move(layer));
    }
    // cudaMemcpy from pageable memory may return before its DMA lands, and the encoder's
    // non-blocking stream does not wait for the legacy stream: wait here, once.
    PF_CUDA_CHECK(cudaDeviceSynchronize());
    const size_t attention_bytes = cuda::attention_varlen_shared_bytes(static_cast<int>(model.config.head_size()));
    if (attention_bytes > context_.max_shared_bytes_per_block())
      fail(ErrorKind::Unsupported, model.dir.string() + ": head size " + std::to_string(model.config.head_size()) +
                                       " needs " + std::to_string(attention_bytes) +
                                       " bytes of shared memory per block in CUDA attention; " + context_.device_name() +
                                       " allows " + std::to_string(context_.max_shared_bytes_per_block()));
  }

  size_t device_bytes() const override {
    size_t bytes = word_.bytes() + position_.bytes() + type_.bytes() + embedding_gamma_.bytes() +
                   embedding_beta_.bytes() + workspace_.bytes() + context_.lt_workspace_bytes();
    for (const Layer& l : layers_)
      for (const DeviceBuffer* b : {&l.qkv_weight, &l.qkv_bias, &l.out_weight, &l.out_bias, &l.ffn1_weight, &l.ffn1_bias,
                                    &l.ffn2_weight, &l.ffn2_bias, &l.norm1_gamma, &l.norm1_beta, &l.norm2_gamma,
                                    &l.norm2_beta})
        bytes += b->bytes();
    return bytes;
  }

  std::string description() const override {
    return "cuda:" + std::to_string(context_.device()) + " (" + context_.device_name() + "), " + precision_name(dtype_);
  }

  void run(const EncoderInput& input, bool packed, EncoderOutput& output, Profiler* profiler) override {
    try {
      run_on_stream(input, packed, output, profiler);
    } catch (...) {
      // Copies from the pinned input may still be in flight: the next call must not refill it
      // under them.
      cudaStreamSynchronize(context_.stream());
      throw;
    }
  }

 private:
  struct Layer {
    DeviceBuffer qkv_weight, qkv_bias, out_weight, out_bias, ffn1_weight, ffn1_bias, ffn2_weight, ffn2_bias;
    DeviceBuffer norm1_gamma, norm1_beta, norm2_gamma, norm2_beta;
  };

  // Grows the workspace (and pinned buffers) when a batch exceeds the plan; a warm encoder
  // allocates nothing. Grows by at least a quarter so that slowly rising sizes re-plan rarely.
  void ensure_plan(int64_t rows, int64_t batch) {
    if (workspace_.data() && plan_fits(plan_, rows, batch)) return;
    const int64_t new_rows = std::max(rows, plan_.rows + plan_.rows / 4);
    const int64_t new_batch = std::max(batch, plan_.batch + plan_.batch / 4);
    DeviceWorkspacePlan plan = plan_device_workspace(model_.config, static_cast<size_t>(precision_bytes(dtype_)),
                                                     new_rows, std::min(new_batch, new_rows));
    workspace_ = DeviceBuffer();  // free first: the old and new plans need not fit together
    DeviceBuffer workspace(plan.device_bytes);
    PinnedBuffer input(plan.pinned_input_bytes), output(plan.pinned_output_bytes);
    // Only now that every allocation succeeded: a failure above leaves no plan larger than
    // its pinned buffers (the workspace is empty then, so the next call plans again).
    plan_ = plan;
    workspace_ = std::move(workspace);
    pinned_input_ = std::move(input);
    pinned_output_ = std::move(output);
  }

  void run_on_stream(const EncoderInput& input, bool packed, EncoderOutput& output, Profiler* profiler);
  void fill_indices(const EncoderInput& input, bool packed, int64_t max_len, const EncoderOutput& output);

  const EncoderModel& model_;
  cuda::Context context_;
  Precision dtype_;
  cuda::GemmRunner gemm_;
  DeviceBuffer word_, position_, type_, embedding_gamma_, embedding_beta_;
  std::vector<Layer> layers_;
  DeviceWorkspacePlan plan_;
  DeviceBuffer workspace_;
  PinnedBuffer pinned_input_, pinned_output_;
};

void CudaEncoder::fill_indices(const EncoderInput& input, bool packed, int64_t max_len, const EncoderOutput& output) {
  const EncoderConfig& c = model_.config;
  const IndexLayout& l = plan_.layout;
  int32_t* ints = static_cast<int32_t*>(pinned_input_.data());
  const int64_t batch = static_cast<int64_t>(input.ids.size());
  for (int64_t b = 0; b < batch; ++b) {
    const auto& ids = input.ids[b];
    const int64_t len = static_cast<int64_t>(ids.size());
    const int64_t start = packed ? output.offsets[b] : b * max_len;
    ints[l.row_start + b] = static_cast<int32_t>(start);
    ints[l.query_rows + b] = static_cast<int32_t>(packed ? len : max_len);
    ints[l.key_rows + b] = static_cast<int32_t>(len);
    for (int64_t t = 0; t < len; ++t) {
      ints[l.token_ids + start + t] = ids[t];
      ints[l.positions + start + t] = static_cast<int32_t>(c.position_id(t));
      ints[l.type_ids + start + t] = input.type_ids.empty() ? 0 : input.type_ids[b][t];
      ints[l.output_rows + output.offsets[b] + t] = static_cast<int32_t>(start + t);
    }
    if (!packed)
      for (int64_t t = len; t < max_len; ++t) {
        ints[l.token_ids + start + t] = -1;  // a padding row: zero input, computed and dropped
        ints[l.positions + start + t] = 0;
        ints[l.type_ids + start + t] = 0;
      }
  }
}

void CudaEncoder::run_on_stream(const EncoderInput& input, bool packed, EncoderOutput& output, Profiler* profiler) {
  const EncoderConfig& c = model_.config;
  const int64_t batch = static_cast<int64_t>(input.ids.size()), h = c.hidden_size, ffn = c.intermediate_size;
  int64_t max_len = 0;
  for (const auto& ids : input.ids) max_len = std::max<int64_t>(max_len, static_cast<int64_t>(ids.size()));
  const int64_t total = output.offsets.back();
  const int64_t rows = packed ? total : batch * max_len;
  context_.activate();
  ensure_plan(rows, batch);
  const cudaStream_t stream = context_.stream();
  const IndexLayout& l = plan_.layout;
  fill_indices(input, packed, max_len, output);
  int32_t* indices = workspace_.at<int32_t>(plan_.indices.offset);
  PF_CUDA_CHECK(cudaMemcpyAsync(indices, pinned_input_.data(), static_cast<size_t>(l.count) * sizeof(int32_t),
                                cudaMemcpyHostToDevice, stream));
  void* x = workspace_.at<void>(plan_.x.offset);
  void* qkv = workspace_.at<void>(plan_.qkv.offset);
  void* context = workspace_.at<void>(plan_.context.offset);
  void* sum = workspace_.at<void>(plan_.sum.offset);
  void* x1 = workspace_.at<void>(plan_.x1.offset);
  void* intermediate = workspace_.at<void>(plan_.intermediate.offset);
  float* hidden = workspace_.at<float>(plan_.hidden_f32.offset);

  // With a profiler each op is waited for, so its time is its own; without, nothing waits.
  const auto op = [&](const char* name, double flops, const auto& launch) {
    ScopedOp scoped(profiler, name, flops);
    launch();
    if (profiler) context_.synchronize();
  };
  const auto gemm_flops = [&](int64_t in, int64_t out) { return 2.0 * static_cast<double>(total * in * out); };

  op("embeddings+layer_norm", 0.0, [&] {
    cuda::launch_embed_layer_norm(dtype_, indices + l.token_ids, indices + l.positions, indices + l.type_ids, rows, h,
                            word_.data(), position_.data(), type_.bytes() ? type_.data() : nullptr,
                            embedding_gamma_.at<float>(0), embedding_beta_.at<float>(0), c.layer_norm_eps, x, stream);
  });

  cuda::AttentionLaunch attention;
  attention.qkv = qkv;
  attention.qkv_stride = 3 * h;
  attention.out = context;
  attention.out_stride = h;
  attention.heads = static_cast<int>(c.num_heads);
  attention.head_dim = static_cast<int>(c.head_size());
  attention.scale = 1.0f / std::sqrt(static_cast<float>(c.head_size()));
  attention.batch = static_cast<int>(batch);
  attention.max_query_rows = static_cast<int>(max_len);
  attention.row_start = indices + l.row_start;
  attention.query_rows = indices + l.query_rows;
  attention.key_rows = indices + l.key_rows;
  attention.max_shared_bytes = context_.max_shared_bytes_per_block();
  double attention_flops = 0.0;
  for (const auto& ids : input.ids) attention_flops += 4.0 * static_cast<double>(ids.size() * ids.size()) * h;

  const GemmEpilogue ffn1 = ffn_epilogue(c.activation, dtype_);
  for (const Layer& layer : layers_) {
    op("gemm_qkv+bias", gemm_flops(h, 3 * h),
       [&] { gemm_.linear(x, rows, layer.qkv_weight.data(), layer.qkv_bias.data(), h, 3 * h, qkv, GemmEpilogue::Bias); });
    op("attention", attention_flops, [&] { cuda::launch_attention_varlen(dtype_, attention, stream); });
    op("gemm_out", gemm_flops(h, h),
       [&] { gemm_.linear(context, rows, layer.out_weight.data(), nullptr, h, h, sum, GemmEpilogue::None); });
    op("bias+residual+layer_norm", 0.0, [&] {
      cuda::launch_bias_residual_layer_norm(dtype_, sum, layer.out_bias.data(), x, layer.norm1_gamma.at<float>(0),
                                      layer.norm1_beta.at<float>(0), c.layer_norm_eps, rows, h, x1, stream);
    });
    op(ffn1 == GemmEpilogue::Bias ? "gemm_ffn1+bias" : "gemm_ffn1+bias+activation", gemm_flops(h, ffn), [&] {
      gemm_.linear(x1, rows, layer.ffn1_weight.data(), layer.ffn1_bias.data(), h, ffn, intermediate, ffn1);
    });
    if (ffn1 == GemmEpilogue::Bias)
      op("activation", 0.0, [&] { cuda::launch_bias_activation(dtype_, intermediate, nullptr, rows, ffn, c.activation, stream); });
    op("gemm_ffn2", gemm_flops(ffn, h),
       [&] { gemm_.linear(intermediate, rows, layer.ffn2_weight.data(), nullptr, ffn, h, sum, GemmEpilogue::None); });
    op("bias+residual+layer_norm", 0.0, [&] {
      cuda::launch_bias_residual_layer_norm(dtype_, sum, layer.ffn2_bias.data(), x1, layer.norm2_gamma.at<float>(0),
                                      layer.norm2_beta.at<float>(0), c.layer_norm_eps, rows, h, x, stream);
    });
  }

  ScopedOp copy(profiler, "copy_out", 0.0);
  cuda::launch_gather_rows_to_float(dtype_, x, h, indices + l.output_rows, total, hidden, stream);
  PF_CUDA_CHECK(cudaMemcpyAsync(pinned_output_.data(), hidden, static_cast<size_t>(total * h) * sizeof(float),
                                cudaMemcpyDeviceToHost, stream));
  context_.synchronize();
  output.hidden_states.resize(static_cast<size_t>(total * h));
  std::memcpy(output.hidden_states.data(), pinned_output_.data(), static_cast<size_t>(total * h) * sizeof(float));
}

}  // namespace

std::unique_ptr<DeviceEncoder> make_cuda_encoder(const EncoderModel& model, int device_index, Precision dtype) {
  if (dtype != Precision::F32 && dtype != Precision::F16 && dtype != Precision::BF16)
    fail(ErrorKind::InvalidInput, std::string("dtype ") + precision_name(dtype) +
                                      " runs on the CPU only: CUDA computes in fp32, fp16 or bf16");
  if (model.config.head_size() > cuda::kCudaMaxHeadDim)
    fail(ErrorKind::Unsupported, model.dir.string() + ": head size " + std::to_string(model.config.head_size()) +
                                     " is above the CUDA backend's limit of " + std::to_string(cuda::kCudaMaxHeadDim));
  return std::make_unique<CudaEncoder>(model, device_index, dtype);
}

}  // namespace packformer
