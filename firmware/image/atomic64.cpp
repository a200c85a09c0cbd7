// The 64-bit atomic operations GCC calls on MIPS32r2 (32-bit LL/SC only) for std::atomic of
// 8-byte types, as libatomic provides them on such targets: each under one lock, here the card
// semaphore iss::kAtomicLock (dfc/util/locked_atomic64.hpp has the operations; the host tests
// check them there). 32-bit atomics stay inline LL/SC. The image links no libatomic, so
// without these a 64-bit atomic in the firmware would leave an undefined symbol (the link and
// check_elf.cmake refuse that). The `sync`s order the protected accesses against the
// semaphore's uncached register accesses on silicon (the simulator executes in order).
#include <cstdint>

#include "dfc/hal/iss_abi.hpp"
#include "dfc/util/locked_atomic64.hpp"
#include "platform.hpp"

namespace dfc::image {
namespace {
struct AtomicLock {
  static void acquire() {
    sem_acquire(iss::kAtomicLock);
    __sync_synchronize();
  }
  static void release() {
    __sync_synchronize();
    sem_release(iss::kAtomicLock);
  }
};
using A = util::LockedAtomic64<AtomicLock>;
}  // namespace
}  // namespace dfc::image

// The libatomic ABI: the memory-order arguments are met by the lock whatever they ask.
extern "C" {
using dfc::image::A;
uint64_t __atomic_load_8(const volatile void* p, int) { return A::load(p); }
void __atomic_store_8(volatile void* p, uint64_t v, int) { A::store(p, v); }
uint64_t __atomic_exchange_8(volatile void* p, uint64_t v, int) { return A::exchange(p, v); }
bool __atomic_compare_exchange_8(volatile void* p, void* expected, uint64_t desired, bool, int, int) {
  return A::compare_exchange(p, expected, desired);
}
uint64_t __atomic_fetch_add_8(volatile void* p, uint64_t v, int) { return A::fetch_op(p, v, A::add); }
uint64_t __atomic_fetch_sub_8(volatile void* p, uint64_t v, int) { return A::fetch_op(p, v, A::sub); }
uint64_t __atomic_fetch_and_8(volatile void* p, uint64_t v, int) { return A::fetch_op(p, v, A::bit_and); }
uint64_t __atomic_fetch_or_8(volatile void* p, uint64_t v, int) { return A::fetch_op(p, v, A::bit_or); }
uint64_t __atomic_fetch_xor_8(volatile void* p, uint64_t v, int) { return A::fetch_op(p, v, A::bit_xor); }
uint64_t __atomic_add_fetch_8(volatile void* p, uint64_t v, int) { return A::op_fetch(p, v, A::add); }
uint64_t __atomic_sub_fetch_8(volatile void* p, uint64_t v, int) { return A::op_fetch(p, v, A::sub); }
uint64_t __atomic_and_fetch_8(volatile void* p, uint64_t v, int) { return A::op_fetch(p, v, A::bit_and); }
uint64_t __atomic_or_fetch_8(volatile void* p, uint64_t v, int) { return A::op_fetch(p, v, A::bit_or); }
uint64_t __atomic_xor_fetch_8(volatile void* p, uint64_t v, int) { return A::op_fetch(p, v, A::bit_xor); }
// std::atomic<T>::is_lock_free(): up to a word (and aligned) inline LL/SC; wider ones take the lock.
bool __atomic_is_lock_free(unsigned size, const volatile void* p) {
  return size <= 4 && (reinterpret_cast<uintptr_t>(p) & (size - 1)) == 0;
}
}  // extern "C"
