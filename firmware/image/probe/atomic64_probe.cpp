// Link probe (not part of the image): every std::atomic<uint64_t> operation the firmware could
// use, compiled as the image is. Linked with the image's atomic64 object alone
// (firmware/image/CMakeLists.txt); the test firmware.image_atomic64_symbols then requires no
// undefined symbol, so a libatomic entry point GCC calls and atomic64.cpp lacks (or misnames)
// fails the build's tests instead of a later firmware change's link.
#include <atomic>
#include <cstdint>

std::atomic<uint64_t> g_word;
uint64_t g_sink;

extern "C" void probe_entry() {
  g_word.store(1, std::memory_order_release);
  uint64_t e = g_word.load(std::memory_order_acquire);
  g_word.compare_exchange_strong(e, e + 1);
  g_word.compare_exchange_weak(e, e + 1, std::memory_order_acq_rel, std::memory_order_relaxed);
  g_sink = g_word.exchange(e) + g_word.fetch_add(3) + g_word.fetch_sub(1) + g_word.fetch_and(7) +
           g_word.fetch_or(8) + g_word.fetch_xor(2) + (++g_word) + (g_word -= 4) + (g_word &= 3) + (g_word |= 4) +
           (g_word ^= 1) + g_word.is_lock_free();
}
