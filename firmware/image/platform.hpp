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

// Hardware semaphores, the card model's protocol (model/card/hw_thread.cpp): a read of the
// lock's register returns once this thread holds it (the value is not used), a write releases.
inline void sem_acquire(unsigned lock) { (void)*mmio(cardmap::HW_SEM_BASE + 4 * lock); }
inline void sem_release(unsigned lock) { *mmio(cardmap::HW_SEM_BASE + 4 * lock) = 0; }

// The heap over the DRAM window between the image's end and the stacks (runtime.cpp).
void heap_init();

}  // namespace dfc::image
