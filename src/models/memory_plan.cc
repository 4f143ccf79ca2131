#include "models/memory_plan.h"

#include <algorithm>
#include <string>

#include "core/memory_limit.h"
#include "models/fast_encoder.h"
#include "packformer/error.h"

namespace packformer {
namespace {
// Short names: the formulas below use them on every term.
uint64_t mul(uint64_t a, uint64_t b) { return saturating_mul(a, b); }
uint64_t add(uint64_t a, uint64_t b) { return saturating_add(a, b); }
}  // namespace

BatchShape batch_shape(const EncoderInput& input) {
  BatchShape shape;
  shape.batch = static_cast<int64_t>(input.ids.size());
  for (const auto& ids : input.ids) {
    shape.max_len = std::max<int64_t>(shape.max_len, static_cast<int64_t>(ids.size()));
    shape.total += static_cast<int64_t>(ids.size());
  }
  return shape;
}

uint64_t batch_memory_bytes(const EncoderConfig& c, const BatchShape& s, const RunOptions& options) {
  const uint64_t batch = static_cast<uint64_t>(s.batch), max_len = static_cast<uint64_t>(s.max_len);
  const uint64_t total = static_cast<uint64_t>(s.total), h = static_cast<uint64_t>(c.hidden_size);
  const uint64_t inner = static_cast<uint64_t>(c.intermediate_size), heads = static_cast<uint64_t>(c.num_heads);
  const uint64_t padded_rows = mul(batch, max_len);
  uint64_t floats = 0;
  uint64_t int64s = 0;
  if (options.path == ExecutionPath::Slow) {
    // encoder_slow.cc: x, q, k, v, context, attention, attention_norm, ffn ([rows, hidden] each),
    // intermediate [rows, intermediate], the [B, heads, T, T] scores and the [B, T] mask.
    floats = add(mul(padded_rows, add(mul(8, h), inner)), mul(mul(mul(batch, heads), max_len), max_len));
    floats = add(floats, padded_rows);
    // MPNet's relative-position bias, [heads, T, T].
    if (c.relative_attention_buckets > 0) floats = add(floats, mul(mul(heads, max_len), max_len));
  } else {
    // The buffers the fast path's layers declare (FastEncoder::buffers), for each computed row.
    const uint64_t rows = options.sparsity ? total : padded_rows;
    floats = mul(rows, static_cast<uint64_t>(floats_per_row(FastEncoder::buffers(c))));
    int64s = mul(3, batch);  // row_start, query_rows, key_rows
    // MPNet's relative-position bias table: per head, offsets -(T - 1) .. T - 1.
    if (c.relative_attention_buckets > 0) floats = add(floats, mul(heads, mul(2, max_len)));
  }
  floats = add(floats, mul(total, h));     // output.hidden_states
  floats = add(floats, mul(mul(6, batch), h));  // heads: first tokens, pooler, dense, embeddings (upper bound)
  floats = add(floats, mul(batch, static_cast<uint64_t>(c.num_labels)));
  return add(mul(floats, sizeof(float)), mul(add(int64s, batch + 1), sizeof(int64_t)));
}

void check_memory(uint64_t needed, uint64_t limit, const RunOptions& options) {
  if (needed <= limit) return;
  const char* path = options.path == ExecutionPath::Slow ? "the slow path" : options.sparsity ? "the fast path (packed)"
                                                                                             : "the fast path (padded)";
  fail(ErrorKind::OutOfMemory,
       "the batch needs " + describe_bytes(needed) + " of activations on " + path + " but at most " +
           describe_bytes(limit) +
           " are allowed: use smaller batches or shorter inputs (--batch-size, --max-length), or raise --max-memory");
}

}  // namespace packformer
