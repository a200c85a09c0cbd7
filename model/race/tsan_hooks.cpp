// The runtime of the dfcsim-race build's instrumented firmware (docs/race-check.md). GCC's
// -fsanitize=thread makes every load and store of the firmware library call __tsan_readN /
// __tsan_writeN, and every atomic operation __tsan_atomicN_*; this file supplies those functions
// (instead of libtsan, which would check the whole simulator as host threads) and reports what the
// running hardware thread's firmware did to the race detector through the host gate. It also
// replaces operator new/delete, so that memory handed from one owner to the next by the allocator
// starts a new history, and so that the report can name the heap block a race is in.
// Linked into dfcsim-race only (tools/CMakeLists.txt): a normal build has none of this.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <new>

#include "race/host_gate.hpp"

namespace {

using dfc::race::host_gate;

// Ids of the race build: set before main.
struct Mark {
  Mark() { dfc::race::set_host_instrumented(); }
} const g_mark;

// The detector allocates (shadow pages, its maps): those allocations must not re-enter it.
thread_local bool g_busy = false;

inline void note(const void* a, uint64_t n, bool write, const void* ret) {
  auto& g = host_gate();
  if (g.tid < 0 || !g.det || g_busy) return;
  if (!write && g.ignore_reads) {
    g.det->skip_read();
    return;
  }
  const uint64_t t = g.now_ps ? g.now_ps(g.now_ctx) : 0;
  g_busy = true;
  // The return address is just after the call in the firmware; one back is the access's code.
  const bool shared = g.det->access(static_cast<dfc::race::Tid>(g.tid), reinterpret_cast<uint64_t>(a), n, write,
                                    reinterpret_cast<uint64_t>(ret) - 1, t);
  g_busy = false;
  if (shared && g.shared_access) g.shared_access(g.shared_ctx);
}

inline void atomic_note(const volatile void* a) {
  auto& g = host_gate();
  if (g.tid < 0 || !g.det || g_busy) return;
  g_busy = true;
  g.det->atomic(static_cast<dfc::race::Tid>(g.tid), reinterpret_cast<uint64_t>(const_cast<const void*>(a)));
  g_busy = false;
}

// A malloc-backed allocator for the allocation map (its nodes must not come from the replaced
// operator new it serves).
template <class T>
struct RawAlloc {
  using value_type = T;
  RawAlloc() = default;
  template <class U>
  RawAlloc(const RawAlloc<U>&) {}
  T* allocate(size_t n) {
    if (void* p = std::malloc(n * sizeof(T))) return static_cast<T*>(p);
    throw std::bad_alloc();
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <class U>
  bool operator==(const RawAlloc<U>&) const { return true; }
  template <class U>
  bool operator!=(const RawAlloc<U>&) const { return false; }
};
struct Block {
  uint64_t size, site;
};
using BlockMap = std::map<uint64_t, Block, std::less<uint64_t>, RawAlloc<std::pair<const uint64_t, Block>>>;
BlockMap* blocks() {
  static BlockMap* m = new (std::malloc(sizeof(BlockMap))) BlockMap();
  return m;
}

dfc::race::Allocation lookup(uint64_t addr) {
  BlockMap* m = blocks();
  auto it = m->upper_bound(addr);
  if (it == m->begin()) return {};
  --it;
  if (addr >= it->first + it->second.size) return {};
  return {it->first, it->second.size, it->second.site};
}
struct Register {
  Register() { dfc::race::set_allocation_lookup(&lookup); }
} const g_register;

void* allocated(void* p, size_t n, const void* site) {
  if (!p) throw std::bad_alloc();
  auto& g = host_gate();
  if (g.det && !g_busy) {
    g_busy = true;
    g.det->forget(reinterpret_cast<uint64_t>(p), n);
    g_busy = false;
    // The firmware's blocks (allocated while it runs or is built: the gate is then not -1).
    if (g.tid != -1) (*blocks())[reinterpret_cast<uint64_t>(p)] = Block{n, reinterpret_cast<uint64_t>(site) - 1};
  }
  return p;
}

void released(void* p) {
  if (!p) return;
  if (host_gate().det && !g_busy) blocks()->erase(reinterpret_cast<uint64_t>(p));
  std::free(p);
}

}  // namespace

// ---- Allocation -------------------------------------------------------------------------------
void* operator new(size_t n) { return allocated(std::malloc(n ? n : 1), n, __builtin_return_address(0)); }
void* operator new[](size_t n) { return allocated(std::malloc(n ? n : 1), n, __builtin_return_address(0)); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  void* p = std::malloc(n ? n : 1);
  return p ? allocated(p, n, __builtin_return_address(0)) : nullptr;
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  void* p = std::malloc(n ? n : 1);
  return p ? allocated(p, n, __builtin_return_address(0)) : nullptr;
}
void* operator new(size_t n, std::align_val_t al) {
  const size_t a = static_cast<size_t>(al);
  return allocated(std::aligned_alloc(a, (n + a - 1) / a * a), n, __builtin_return_address(0));
}
void* operator new[](size_t n, std::align_val_t al) {
  const size_t a = static_cast<size_t>(al);
  return allocated(std::aligned_alloc(a, (n + a - 1) / a * a), n, __builtin_return_address(0));
}
void operator delete(void* p) noexcept { released(p); }
void operator delete[](void* p) noexcept { released(p); }
void operator delete(void* p, size_t) noexcept { released(p); }
void operator delete[](void* p, size_t) noexcept { released(p); }
void operator delete(void* p, std::align_val_t) noexcept { released(p); }
void operator delete[](void* p, std::align_val_t) noexcept { released(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { released(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { released(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { released(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { released(p); }

// ---- Plain accesses ---------------------------------------------------------------------------
extern "C" {
void __tsan_init() {}
void __tsan_func_entry(void*) {}
void __tsan_func_exit() {}
// A virtual-table pointer written in a constructor or destructor: the object's own set-up.
void __tsan_vptr_update(void**, void*) {}
void __tsan_vptr_read(void**) {}

#define DFC_TSAN_RW(N)                                                                                \
  void __tsan_read##N(void* a) { note(a, N, false, __builtin_return_address(0)); }                   \
  void __tsan_write##N(void* a) { note(a, N, true, __builtin_return_address(0)); }                   \
  void __tsan_unaligned_read##N(void* a) { note(a, N, false, __builtin_return_address(0)); }         \
  void __tsan_unaligned_write##N(void* a) { note(a, N, true, __builtin_return_address(0)); }         \
  void __tsan_volatile_read##N(void* a) { note(a, N, false, __builtin_return_address(0)); }          \
  void __tsan_volatile_write##N(void* a) { note(a, N, true, __builtin_return_address(0)); }          \
  void __tsan_unaligned_volatile_read##N(void* a) { note(a, N, false, __builtin_return_address(0)); } \
  void __tsan_unaligned_volatile_write##N(void* a) { note(a, N, true, __builtin_return_address(0)); }
DFC_TSAN_RW(1)
DFC_TSAN_RW(2)
DFC_TSAN_RW(4)
DFC_TSAN_RW(8)
DFC_TSAN_RW(16)
#undef DFC_TSAN_RW
void __tsan_read_range(void* a, unsigned long n) { note(a, n, false, __builtin_return_address(0)); }
void __tsan_write_range(void* a, unsigned long n) { note(a, n, true, __builtin_return_address(0)); }

// ---- Atomics: performed for real (sequentially consistent, a superset of what was asked), and
// reported as atomic accesses (acquire and release on the word).
#define DFC_TSAN_ATOMIC(N, T)                                                                          \
  T __tsan_atomic##N##_load(const volatile T* a, int) {                                               \
    atomic_note(a);                                                                                    \
    return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                                       \
  }                                                                                                    \
  void __tsan_atomic##N##_store(volatile T* a, T v, int) {                                            \
    atomic_note(a);                                                                                    \
    __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                          \
  }                                                                                                    \
  T __tsan_atomic##N##_exchange(volatile T* a, T v, int) {                                            \
    atomic_note(a);                                                                                    \
    return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);                                                \
  }                                                                                                    \
  T __tsan_atomic##N##_fetch_add(volatile T* a, T v, int) {                                           \
    atomic_note(a);                                                                                    \
    return __atomic_fetch_add(a, v, __ATOMIC_SEQ_CST);                                                 \
  }                                                                                                    \
  T __tsan_atomic##N##_fetch_sub(volatile T* a, T v, int) {                                           \
    atomic_note(a);                                                                                    \
    return __atomic_fetch_sub(a, v, __ATOMIC_SEQ_CST);                                                 \
  }                                                                                                    \
  T __tsan_atomic##N##_fetch_and(volatile T* a, T v, int) {                                           \
    atomic_note(a);                                                                                    \
    return __atomic_fetch_and(a, v, __ATOMIC_SEQ_CST);                                                 \
  }                                                                                                    \
  T __tsan_atomic##N##_fetch_or(volatile T* a, T v, int) {                                            \
    atomic_note(a);                                                                                    \
    return __atomic_fetch_or(a, v, __ATOMIC_SEQ_CST);                                                  \
  }                                                                                                    \
  T __tsan_atomic##N##_fetch_xor(volatile T* a, T v, int) {                                           \
    atomic_note(a);                                                                                    \
    return __atomic_fetch_xor(a, v, __ATOMIC_SEQ_CST);                                                 \
  }                                                                                                    \
  T __tsan_atomic##N##_fetch_nand(volatile T* a, T v, int) {                                          \
    atomic_note(a);                                                                                    \
    return __atomic_fetch_nand(a, v, __ATOMIC_SEQ_CST);                                                \
  }                                                                                                    \
  int __tsan_atomic##N##_compare_exchange_strong(volatile T* a, T* c, T v, int, int) {                \
    atomic_note(a);                                                                                    \
    return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);            \
  }                                                                                                    \
  int __tsan_atomic##N##_compare_exchange_weak(volatile T* a, T* c, T v, int, int) {                  \
    atomic_note(a);                                                                                    \
    return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);            \
  }                                                                                                    \
  T __tsan_atomic##N##_compare_exchange_val(volatile T* a, T c, T v, int, int) {                      \
    atomic_note(a);                                                                                    \
    __atomic_compare_exchange_n(a, &c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                  \
    return c;                                                                                          \
  }
DFC_TSAN_ATOMIC(8, uint8_t)
DFC_TSAN_ATOMIC(16, uint16_t)
DFC_TSAN_ATOMIC(32, uint32_t)
DFC_TSAN_ATOMIC(64, uint64_t)
#undef DFC_TSAN_ATOMIC
void __tsan_atomic_thread_fence(int) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
void __tsan_atomic_signal_fence(int) {}
}
