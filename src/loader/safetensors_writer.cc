#include "loader/safetensors_writer.h"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "packformer/error.h"

namespace packformer {

void SafetensorsWriter::add(const std::string& name, std::vector<int64_t> shape, Fill fill) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  tensors_.push_back({name, std::move(shape), std::move(fill), count});
}

void SafetensorsWriter::write(const std::filesystem::path& path,
                              const std::function<void(int64_t, int64_t)>& progress) const {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header["__metadata__"] = {{"format", "pt"}};
  int64_t offset = 0;
  for (const Pending& t : tensors_) {
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * t.count}}};
    offset += 4 * t.count;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep tensor data 8-byte aligned
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(ErrorKind::Io, path.string() + ": cannot create: " + std::strerror(errno));
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  out.write(reinterpret_cast<const char*>(length), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  constexpr int64_t kChunk = 1 << 20;
  std::vector<float> buffer(kChunk);
  int64_t done = 0;
  for (const Pending& t : tensors_) {
    for (int64_t first = 0; first < t.count; first += kChunk) {
      const int64_t n = std::min(kChunk, t.count - first);
      t.fill(buffer.data(), first, n);
      out.write(reinterpret_cast<const char*>(buffer.data()), static_cast<std::streamsize>(4 * n));
      done += n;
      if (progress) progress(done, offset / 4);
    }
  }
  out.close();
  if (!out) fail(ErrorKind::Io, path.string() + ": write failed (disk full?)");
}

}  // namespace packformer
