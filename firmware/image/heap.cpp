// The image's allocator: malloc/free/calloc/realloc over the DRAM window from the end of the
// image to the per-context stacks (dfc/hal/iss_abi.hpp). Contexts allocate concurrently, so
// every call holds a hardware semaphore (iss::kHeapLock), whose waits the card model prices
// like the firmware's own locks.
//
// Small blocks (up to kSmallMax) come in 16-byte size classes, each with its own free list
// (packets and strings allocate and free the same sizes over and over); larger blocks are
// kept on one first-fit list. Fresh memory is carved from the top of the used part. Blocks are
// never split or merged: simple, and enough for a firmware whose large blocks (flow tables,
// rings of records) are allocated once at boot.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "dfc/hal/iss_abi.hpp"
#include "platform.hpp"
#ifdef DFC_FAULT_INJECTION
#include "dfc/hal/hal.hpp"
#endif

extern "C" char _end[];

namespace dfc::image {
namespace {

constexpr size_t kGranule = 16;
constexpr size_t kSmallMax = 2048;
constexpr size_t kClasses = kSmallMax / kGranule;
constexpr size_t kHeader = 8;  // keeps the payload 8-aligned, as o32 needs for doubles/64-bit words

struct Block {
  size_t size;  // bytes of the whole block (header included)
  Block* next;  // on a free list only (overlaps the payload)
};

struct Heap {
  uintptr_t top = 0, limit = 0;
  Block* small[kClasses] = {};
  Block* large = nullptr;
};
Heap heap;

size_t block_bytes(size_t n) { return (n + kHeader + kGranule - 1) & ~(kGranule - 1); }

// The fault image (DFC_FAULT_INJECTION, docs/race-check.md) can leave it out: site "image.heap".
class HeapLock {
 public:
#ifdef DFC_FAULT_INJECTION
  HeapLock() : skip_(fault::lock_skipped("image.heap")) {
    if (!skip_) sem_acquire(iss::kHeapLock);
  }
  ~HeapLock() {
    if (!skip_) sem_release(iss::kHeapLock);
  }
#else
  HeapLock() { sem_acquire(iss::kHeapLock); }
  ~HeapLock() { sem_release(iss::kHeapLock); }
#endif
  HeapLock(const HeapLock&) = delete;
  HeapLock& operator=(const HeapLock&) = delete;
#ifdef DFC_FAULT_INJECTION

 private:
  bool skip_;
#endif
};

Block* take_large(size_t bytes) {
  for (Block** link = &heap.large; *link != nullptr; link = &(*link)->next)
    if ((*link)->size >= bytes) {
      Block* b = *link;
      *link = b->next;
      return b;
    }
  return nullptr;
}

Block* carve(size_t bytes) {
  if (bytes > heap.limit - heap.top) return nullptr;
  auto* b = reinterpret_cast<Block*>(heap.top);
  heap.top += bytes;
  b->size = bytes;
  return b;
}

void* payload(Block* b) { return reinterpret_cast<char*>(b) + kHeader; }
Block* block_of(void* p) { return reinterpret_cast<Block*>(static_cast<char*>(p) - kHeader); }

}  // namespace

void heap_init() {
  heap = Heap{};
  heap.top = (reinterpret_cast<uintptr_t>(_end) + kGranule - 1) & ~uintptr_t{kGranule - 1};
  heap.limit = iss::kStacksBase;
}

}  // namespace dfc::image

using dfc::image::Block;
using dfc::image::heap;

extern "C" {

void* malloc(size_t n) {
  if (n > dfc::iss::kStacksBase) return nullptr;
  const size_t bytes = dfc::image::block_bytes(n);
  dfc::image::HeapLock lock;
  Block* b = nullptr;
  if (bytes <= dfc::image::kSmallMax) {
    Block*& head = heap.small[bytes / dfc::image::kGranule - 1];
    if (head != nullptr) {
      b = head;
      head = b->next;
    }
  } else {
    b = dfc::image::take_large(bytes);
  }
  if (b == nullptr) b = dfc::image::carve(bytes);
  return b == nullptr ? nullptr : dfc::image::payload(b);
}

void free(void* p) {
  if (p == nullptr) return;
  Block* b = dfc::image::block_of(p);
  dfc::image::HeapLock lock;
  if (b->size <= dfc::image::kSmallMax) {
    Block*& head = heap.small[b->size / dfc::image::kGranule - 1];
    b->next = head;
    head = b;
  } else {
    b->next = heap.large;
    heap.large = b;
  }
}

void* calloc(size_t n, size_t size) {
  if (size != 0 && n > SIZE_MAX / size) return nullptr;
  void* p = malloc(n * size);
  if (p != nullptr) std::memset(p, 0, n * size);
  return p;
}

void* realloc(void* p, size_t n) {
  if (p == nullptr) return malloc(n);
  const size_t have = dfc::image::block_of(p)->size - dfc::image::kHeader;
  if (n <= have) return p;
  void* q = malloc(n);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, have);
  free(p);
  return q;
}

}  // extern "C"
