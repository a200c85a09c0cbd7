// 64-bit atomic operations for a machine without 64-bit atomic instructions, the way libatomic
// does them there: every operation on any 64-bit atomic word runs under one lock. The card's
// cores are MIPS32r2 (32-bit LL/SC only), so GCC turns std::atomic<uint64_t> operations into
// calls of __atomic_load_8, __atomic_fetch_add_8, ... which the freestanding image provides
// (firmware/image/atomic64.cpp) with this template over a dedicated hardware semaphore
// (iss::kAtomicLock). The lock makes every operation a whole: the memory order asked for is
// always met (the lock's acquire and release are at least as strong). Host tests instantiate
// it over a host lock (firmware/tests/test_locked_atomic64.cpp).
//
// The firmware keeps its per-packet shared words 32 bits wide (docs/firmware-concurrency.md
// §5), so that no packet takes this lock; these operations are for rarer 64-bit words.
#pragma once
#include <cstdint>

namespace dfc::util {

// Lock: a type with static acquire() and release().
template <class Lock>
struct LockedAtomic64 {
  struct Guard {
    Guard() { Lock::acquire(); }
    ~Guard() { Lock::release(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
  };
  static volatile uint64_t& word(volatile void* p) { return *static_cast<volatile uint64_t*>(p); }

  static uint64_t load(const volatile void* p) {
    Guard g;
    return *static_cast<const volatile uint64_t*>(p);
  }
  static void store(volatile void* p, uint64_t v) {
    Guard g;
    word(p) = v;
  }
  static uint64_t exchange(volatile void* p, uint64_t v) {
    Guard g;
    const uint64_t old = word(p);
    word(p) = v;
    return old;
  }
  // As __atomic_compare_exchange_8: on failure *expected becomes the value found.
  static bool compare_exchange(volatile void* p, void* expected, uint64_t desired) {
    Guard g;
    auto* e = static_cast<uint64_t*>(expected);
    const uint64_t cur = word(p);
    if (cur != *e) {
      *e = cur;
      return false;
    }
    word(p) = desired;
    return true;
  }
  // The value before (fetch_op) or after (op_fetch) old OP v is stored.
  template <class Op>
  static uint64_t fetch_op(volatile void* p, uint64_t v, Op op) {
    Guard g;
    const uint64_t old = word(p);
    word(p) = op(old, v);
    return old;
  }
  template <class Op>
  static uint64_t op_fetch(volatile void* p, uint64_t v, Op op) {
    Guard g;
    const uint64_t now = op(word(p), v);
    word(p) = now;
    return now;
  }
  static uint64_t add(uint64_t a, uint64_t b) { return a + b; }
  static uint64_t sub(uint64_t a, uint64_t b) { return a - b; }
  static uint64_t bit_and(uint64_t a, uint64_t b) { return a & b; }
  static uint64_t bit_or(uint64_t a, uint64_t b) { return a | b; }
  static uint64_t bit_xor(uint64_t a, uint64_t b) { return a ^ b; }
};

}  // namespace dfc::util
