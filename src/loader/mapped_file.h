// A read-only memory mapping of a whole file, unmapped on destruction.
#pragma once

#include <cstdint>
#include <filesystem>

namespace packformer {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  // Borrows `size` bytes at `data` (kept alive by the caller; never unmapped): lets the same
  // parsers run on bytes already in memory (the fuzz targets).
  MappedFile(const uint8_t* data, uint64_t size) : data_(data), size_(size), owned_(false) {}
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

  // Drops the whole pages inside [begin, begin + bytes) from this process's resident memory;
  // the next access reads them from the file again (the mapping is read-only, so nothing is
  // lost). A no-op for borrowed bytes. For weights that were copied into a packed form.
  void release_pages(const void* begin, uint64_t bytes) const;

 private:
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  bool owned_ = true;
};

}  // namespace packformer
