// The latest 64-bit time any hardware thread has seen, shared by all of them without a lock and
// without 64-bit atomics. The card's cores are MIPS32 (docs/iss.md): they have 32-bit LL/SC
// only, so a std::atomic<uint64_t> would be a library call under a hardware semaphore on every
// read of the firmware's clock (several per packet). Instead the value is two 32-bit words
// published under a 32-bit sequence word (a sequence lock whose writers claim it with a
// compare-and-swap instead of a lock):
//  * a reader reads the sequence (even: no writer), both words, and the sequence again; the
//    pair is whole when the sequence did not move;
//  * a writer claims the sequence (even -> odd, compare-and-swap), stores both words, and
//    releases it (odd -> even). A writer only ever stores a larger value, so the published
//    time only grows.
// Every store to the three words is an atomic read-modify-write (LL/SC on the image), so the
// race checker sees each of them as an atomic access on both targets; the re-read of the
// sequence is one too (fetch_add 0 with release ordering), which keeps the reads of the words
// before it without a fence (a fence is not supported by the race build's instrumentation).
#pragma once
#include <atomic>
#include <cstdint>

namespace dfc::util {

class LatestTime {
 public:
  // max(the latest time published, t), which becomes the latest time published.
  uint64_t advance(uint64_t t) {
    for (;;) {
      uint32_t s = seq_.load(std::memory_order_acquire);
      if (s & 1u) continue;  // a writer is between its two stores (no HAL call there)
      const uint64_t cur = (uint64_t{hi_.load(std::memory_order_relaxed)} << 32) | lo_.load(std::memory_order_relaxed);
      if (seq_.fetch_add(0, std::memory_order_acq_rel) != s) continue;  // torn: a writer ran
      if (t <= cur) return cur;
      if (!seq_.compare_exchange_strong(s, s + 1, std::memory_order_acq_rel, std::memory_order_relaxed)) continue;
      hi_.exchange(static_cast<uint32_t>(t >> 32), std::memory_order_relaxed);
      lo_.exchange(static_cast<uint32_t>(t), std::memory_order_relaxed);
      seq_.fetch_add(1, std::memory_order_release);
      return t;
    }
  }
  // The latest time published (0 before the first advance).
  uint64_t load() const {
    for (;;) {
      const uint32_t s = seq_.load(std::memory_order_acquire);
      if (s & 1u) continue;
      const uint64_t cur = (uint64_t{hi_.load(std::memory_order_relaxed)} << 32) | lo_.load(std::memory_order_relaxed);
      if (seq_.fetch_add(0, std::memory_order_acq_rel) == s) return cur;
    }
  }

 private:
  // fetch_add(0) on a const object: the sequence word is the reader's synchronisation, not
  // the value it protects.
  mutable std::atomic<uint32_t> seq_{0};
  std::atomic<uint32_t> hi_{0}, lo_{0};
};

}  // namespace dfc::util
