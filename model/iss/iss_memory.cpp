#include "iss_memory.hpp"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "dfc/hal/card_map.hpp"
#include "elf_image.hpp"

namespace dfc::iss {
namespace {

constexpr uint32_t kPage = 4096;

uint8_t* map_window(uint32_t bytes) {
  // MAP_NORESERVE: a 256 MiB window costs only the pages the image and the model touch.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error("IssMemory: cannot reserve " + std::to_string(bytes >> 20) +
                             " MiB of address space for a window (check ulimit -v)");
  return static_cast<uint8_t*>(p);
}

void check_window(const IssWindow& w, const char* name) {
  if (w.bytes == 0 || w.bytes % kPage != 0 || w.base % kPage != 0 || uint64_t{w.base} + w.bytes > (uint64_t{1} << 32))
    throw std::invalid_argument(std::string("IssMemory: the ") + name +
                                " window must be 4 KiB aligned, a non-zero multiple of 4 KiB and inside 32 bits");
}

}  // namespace

IssMemory::IssMemory()
    : IssMemory(IssWindow{cardmap::ISS_DRAM_WINDOW, cardmap::ISS_WINDOW_BYTES, nullptr},
                IssWindow{cardmap::ISS_PKT_WINDOW, cardmap::ISS_WINDOW_BYTES, nullptr}) {}

IssMemory::IssMemory(IssWindow dram, IssWindow pkt) : dram_(dram), pkt_(pkt) {
  check_window(dram_, "DRAM");
  check_window(pkt_, "packet");
  if (uint64_t{dram_.base} < uint64_t{pkt_.base} + pkt_.bytes && uint64_t{pkt_.base} < uint64_t{dram_.base} + dram_.bytes)
    throw std::invalid_argument("IssMemory: the DRAM and packet windows overlap");
  dram_.host = map_window(dram_.bytes);
  try {
    pkt_.host = map_window(pkt_.bytes);
  } catch (...) {
    munmap(dram_.host, dram_.bytes);
    throw;
  }
}

IssMemory::~IssMemory() {
  munmap(dram_.host, dram_.bytes);
  munmap(pkt_.host, pkt_.bytes);
}

const IssWindow* IssMemory::window_of(uint32_t addr, size_t len) const {
  for (const IssWindow* w : {&dram_, &pkt_})
    if (addr >= w->base && uint64_t{addr} - w->base + len <= w->bytes) return w;
  return nullptr;
}

bool IssMemory::contains(uint32_t addr, size_t len) const { return window_of(addr, len) != nullptr; }

const uint8_t* IssMemory::host(uint32_t addr, size_t len) const {
  const IssWindow* w = window_of(addr, len);
  if (!w)
    throw std::out_of_range("IssMemory: image address " + std::to_string(addr) + " + " + std::to_string(len) +
                            " bytes is not inside the DRAM or the packet window");
  return w->host + (addr - w->base);
}

uint8_t* IssMemory::host(uint32_t addr, size_t len) {
  return const_cast<uint8_t*>(static_cast<const IssMemory*>(this)->host(addr, len));
}

uint32_t IssMemory::read32(uint32_t addr) const {
  const uint8_t* p = host(addr, 4);
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void IssMemory::write32(uint32_t addr, uint32_t v) {
  uint8_t* p = host(addr, 4);
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

uint16_t IssMemory::read16(uint32_t addr) const {
  const uint8_t* p = host(addr, 2);
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

void IssMemory::write16(uint32_t addr, uint16_t v) {
  uint8_t* p = host(addr, 2);
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

void IssMemory::read(uint32_t addr, void* out, size_t len) const {
  if (len) std::memcpy(out, host(addr, len), len);
}

void IssMemory::write(uint32_t addr, const void* in, size_t len) {
  if (len) std::memcpy(host(addr, len), in, len);
}

void IssMemory::load(const ElfImage& image) {
  for (const auto& seg : image.segments()) {
    uint8_t* p = host(seg.vaddr, seg.memsz);
    std::memcpy(p, seg.data.data(), seg.data.size());
    std::memset(p + seg.data.size(), 0, seg.memsz - seg.data.size());
  }
}

}  // namespace dfc::iss
