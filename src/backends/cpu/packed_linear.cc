#include "backends/cpu/packed_linear.h"

#include <oneapi/dnnl/dnnl.hpp>

#include "packformer/error.h"

namespace packformer {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using DT = memory::data_type;

dnnl::algorithm eltwise_for(Activation activation, float& alpha) {
  alpha = 0.0f;
  switch (activation) {
    case Activation::Gelu: return dnnl::algorithm::eltwise_gelu_erf;
    case Activation::GeluTanh: return dnnl::algorithm::eltwise_gelu_tanh;
    case Activation::Relu: return dnnl::algorithm::eltwise_relu;
    case Activation::Silu: alpha = 1.0f; return dnnl::algorithm::eltwise_swish;
    case Activation::QuickGelu: alpha = 1.702f; return dnnl::algorithm::eltwise_swish;
    case Activation::Tanh: return dnnl::algorithm::eltwise_tanh;
  }
  return dnnl::algorithm::eltwise_gelu_erf;
}

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

}  // namespace

struct PackedLinear::Primitive {
  dnnl::matmul matmul;
  memory src, weights, bias, dst, residual, scratchpad;
  size_t scratchpad_bytes = 0;
};

struct PackedLinear::Impl {
  Epilogue epilogue;
  Activation activation;
  memory::desc packed_weights_desc;
  memory packed_weights;   // in oneDNN's preferred layout
  memory bias;
  std::vector<float> weight_copy;  // plain [out, in], for buckets the packed layout does not serve
  mutable std::map<int64_t, Primitive> primitives;
  dnnl::stream stream{cpu_engine()};
};

namespace {

dnnl::matmul::primitive_desc make_desc(int64_t rows, int64_t in, int64_t out, const memory::desc& weights,
                                       Epilogue epilogue, Activation activation) {
  const memory::desc src({rows, in}, DT::f32, Tag::ab);
  const memory::desc bias({1, out}, DT::f32, Tag::ab);
  const memory::desc dst({rows, out}, DT::f32, Tag::ab);
  dnnl::post_ops ops;
  if (epilogue == Epilogue::BiasActivation) {
    float alpha = 0.0f;
    const dnnl::algorithm algorithm = eltwise_for(activation, alpha);
    ops.append_eltwise(1.0f, algorithm, alpha, 0.0f);
  } else if (epilogue == Epilogue::BiasResidual) {
    ops.append_binary(dnnl::algorithm::binary_add, dst);
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, bias, dst), attr, cpu_engine());
}

}  // namespace

PackedLinear::PackedLinear(const std::vector<float>& weight, const std::vector<float>& bias, int64_t in, int64_t out,
                           Epilogue epilogue, Activation activation)
    : impl_(std::make_unique<Impl>()), in_(in), out_(out) {
  impl_->epilogue = epilogue;
  impl_->activation = activation;
  impl_->weight_copy = weight;
  // Ask oneDNN for its preferred weight layout at a typical row count, then reorder once.
  const memory::desc any({in, out}, DT::f32, Tag::any);
  const auto desc = make_desc(128, in, out, any, epilogue, activation);
  impl_->packed_weights_desc = desc.weights_desc();
  memory plain({{in, out}, DT::f32, Tag::ba}, cpu_engine(), impl_->weight_copy.data());
  impl_->packed_weights = memory(impl_->packed_weights_desc, cpu_engine());
  dnnl::reorder(plain, impl_->packed_weights).execute(impl_->stream, plain, impl_->packed_weights);
  impl_->bias = memory({{1, out}, DT::f32, Tag::ab}, cpu_engine());
  std::copy(bias.begin(), bias.end(), static_cast<float*>(impl_->bias.get_data_handle()));
  impl_->stream.wait();
}

PackedLinear::~PackedLinear() = default;
PackedLinear::PackedLinear(PackedLinear&&) noexcept = default;
PackedLinear& PackedLinear::operator=(PackedLinear&&) noexcept = default;

const PackedLinear::Primitive& PackedLinear::primitive(int64_t rows) const {
  auto it = impl_->primitives.find(rows);
  if (it != impl_->primitives.end()) return it->second;
  Primitive p;
  dnnl::matmul::primitive_desc desc;
  bool packed = true;
  try {
    desc = make_desc(rows, in_, out_, impl_->packed_weights_desc, impl_->epilogue, impl_->activation);
  } catch (const dnnl::error&) {
    // Some implementation other than the one that chose the layout serves this row count.
    packed = false;
    desc = make_desc(rows, in_, out_, memory::desc({in_, out_}, DT::f32, Tag::ba), impl_->epilogue, impl_->activation);
  }
  p.matmul = dnnl::matmul(desc);
  p.src = memory(desc.src_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  p.dst = memory(desc.dst_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  p.weights = packed ? impl_->packed_weights
                     : memory(desc.weights_desc(), cpu_engine(), const_cast<float*>(impl_->weight_copy.data()));
  p.bias = impl_->bias;
  if (impl_->epilogue == Epilogue::BiasResidual) p.residual = memory(desc.dst_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  p.scratchpad_bytes = desc.scratchpad_desc().get_size();
  p.scratchpad = memory(desc.scratchpad_desc(), cpu_engine(), DNNL_MEMORY_NONE);
  return impl_->primitives.emplace(rows, std::move(p)).first->second;
}

size_t PackedLinear::scratchpad_bytes(int64_t rows) const { return primitive(rows).scratchpad_bytes; }

void PackedLinear::forward(const float* x, int64_t rows, float* y, const float* residual, void* scratchpad) const {
  if (rows % kRowBucket != 0) fail(ErrorKind::Internal, "PackedLinear::forward: rows not bucketed");
  const Primitive& p = primitive(rows);
  // The C API executes without building an argument map (no allocation per call).
  dnnl_memory_set_data_handle_v2(p.src.get(), const_cast<float*>(x), impl_->stream.get());
  dnnl_memory_set_data_handle_v2(p.dst.get(), y, impl_->stream.get());
  dnnl_memory_set_data_handle_v2(p.scratchpad.get(), scratchpad, impl_->stream.get());
  dnnl_exec_arg_t args[6] = {
      {DNNL_ARG_SRC, p.src.get()},         {DNNL_ARG_WEIGHTS, p.weights.get()},
      {DNNL_ARG_BIAS, p.bias.get()},       {DNNL_ARG_DST, p.dst.get()},
      {DNNL_ARG_SCRATCHPAD, p.scratchpad.get()}, {0, nullptr},
  };
  int nargs = 5;
  if (impl_->epilogue == Epilogue::BiasResidual) {
    dnnl_memory_set_data_handle_v2(p.residual.get(), const_cast<float*>(residual), impl_->stream.get());
    args[nargs++] = {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, p.residual.get()};
  }
  const dnnl_status_t status = dnnl_primitive_execute(p.matmul.get(), impl_->stream.get(), nargs, args);
  if (status != dnnl_success) fail(ErrorKind::Internal, "oneDNN matmul failed with status " + std::to_string(status));
}

}  // namespace packformer
