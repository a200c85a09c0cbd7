// The memory the firmware image sees as plain RAM, shared by every context: the DRAM window
// (code, data, heap, stacks) and the packet window (packet buffers, rings), each a host buffer
// (anonymous mmap: untouched pages cost nothing). The engine maps these buffers straight into
// Unicorn; the card model's DMA engines and the boot-block writer use the accessors here, which
// speak the image's byte order (big-endian). SystemC-free.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dfc::iss {

class ElfImage;

struct IssWindow {
  uint32_t base = 0;   // image address of the window's first byte
  uint32_t bytes = 0;
  uint8_t* host = nullptr;
};

class IssMemory {
 public:
  // The card's windows (card_map.hpp ISS_DRAM_WINDOW / ISS_PKT_WINDOW, ISS_WINDOW_BYTES).
  IssMemory();
  // Other windows (tests); each bytes a multiple of 4 KiB, the two must not overlap.
  IssMemory(IssWindow dram, IssWindow pkt);
  ~IssMemory();
  IssMemory(const IssMemory&) = delete;
  IssMemory& operator=(const IssMemory&) = delete;

  const IssWindow& dram() const { return dram_; }
  const IssWindow& pkt() const { return pkt_; }

  // Copies the image's segments in and zeroes their .bss.
  void load(const ElfImage& image);

  // By image address; throws std::out_of_range when [addr, addr+len) is not inside one window.
  uint32_t read32(uint32_t addr) const;
  void write32(uint32_t addr, uint32_t value);
  uint16_t read16(uint32_t addr) const;
  void write16(uint32_t addr, uint16_t value);
  uint8_t read8(uint32_t addr) const { return *host(addr, 1); }
  void write8(uint32_t addr, uint8_t value) { *host(addr, 1) = value; }
  void read(uint32_t addr, void* out, size_t len) const;
  void write(uint32_t addr, const void* in, size_t len);
  // A host pointer to len bytes at addr (bounds checked): for bulk DMA copies.
  uint8_t* host(uint32_t addr, size_t len);
  const uint8_t* host(uint32_t addr, size_t len) const;
  bool contains(uint32_t addr, size_t len) const;

  // By window offset (the card model addresses packet memory and DRAM from their bases).
  uint32_t dram_read32(uint32_t offset) const { return read32(dram_.base + offset); }
  void dram_write32(uint32_t offset, uint32_t v) { write32(dram_.base + offset, v); }
  uint32_t pkt_read32(uint32_t offset) const { return read32(pkt_.base + offset); }
  void pkt_write32(uint32_t offset, uint32_t v) { write32(pkt_.base + offset, v); }

 private:
  const IssWindow* window_of(uint32_t addr, size_t len) const;
  IssWindow dram_;
  IssWindow pkt_;
};

}  // namespace dfc::iss
