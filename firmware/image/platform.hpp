// The image's access to its hardware thread's platform registers (card_map.hpp PLATFORM_BASE,
// PLAT_*) and the console: volatile word accesses, nothing cached.
#pragma once
#include <cstdint>

#include "dfc/hal/card_map.hpp"

namespace dfc::image {

inline volatile uint32_t* mmio(uint32_t addr) { return reinterpret_cast<volatile uint32_t*>(static_cast<uintptr_t>(addr)); }
inline uint32_t plat_read(uint32_t reg) { return *mmio(cardmap::PLATFORM_BASE + reg); }
inline void plat_write(uint32_t reg, uint32_t v) { *mmio(cardmap::PLATFORM_BASE + reg) = v; }

// Text to PLAT_CONSOLE, a byte per write.
void console(const char* s);
void console_u32(uint32_t v);

// Hardware semaphores as try-locks (docs/iss.md): a read of the lock's register returns 1 when
// this context now holds the lock (it was free, or already its own), 0 when another context
// holds it; a write releases. A device callback of the simulator can never block (every
// context runs on one engine), so the image retries; the host ends the slice of a context
// that read 0, so the holder runs before the next try.
inline void sem_acquire(unsigned lock) {
  while (*mmio(cardmap::HW_SEM_BASE + 4 * lock) != 1) {
  }
}
inline void sem_release(unsigned lock) { *mmio(cardmap::HW_SEM_BASE + 4 * lock) = 0; }

// The heap over the DRAM window between the image's end and the stacks (runtime.cpp).
void heap_init();

}  // namespace dfc::image
