// What a freestanding C++ image needs besides the firmware: the C start-up (context 0 clears
// .bss, runs the static constructors, sets up the heap), the allocator, the string and memory
// functions the compiler and the library call, operator new/delete, and the library's error
// hooks, each ending the image with a message (console + PLAT_HALT) rather than silently.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "dfc/hal/iss_abi.hpp"
#include "dfc/util/raise.hpp"
#include "platform.hpp"

extern "C" {
extern char __bss_start[], __bss_end[], _end[];
using InitFn = void (*)();
extern InitFn __init_array_start[], __init_array_end[];
}

namespace dfc::image {

void console(const char* s) {
  while (*s) plat_write(cardmap::PLAT_CONSOLE, static_cast<uint8_t>(*s++));
}

void console_u32(uint32_t v) {
  char b[11];
  int i = 10;
  b[i] = '\0';
  do {
    b[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  console(b + i);
}

[[noreturn]] void halt(uint32_t code) {
  for (;;) plat_write(cardmap::PLAT_HALT, code);
}

}  // namespace dfc::image

namespace dfc {

[[noreturn]] void fatal_error(const char* message) {
  image::console("dfc image: fatal: ");
  image::console(message);
  image::console("\n");
  image::halt(iss::kHaltFatal);
}

}  // namespace dfc

// ---- The C and C++ runtime entry points the compiler and libstdc++ refer to.
extern "C" {

[[noreturn]] void abort() { dfc::fatal_error("abort()"); }

// Static destructors never run (the image ends by halting), so nothing is registered.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle = nullptr;
[[noreturn]] void __cxa_pure_virtual() { dfc::fatal_error("pure virtual function called"); }

// The boot of context 0; the other contexts wait for it (image_main.cpp).
void image_boot_and_run(unsigned ctx);

// Entered from crt0.S on the context's own stack.
[[noreturn]] void image_start(unsigned ctx) {
  if (ctx == 0) {
    std::memset(__bss_start, 0, static_cast<size_t>(__bss_end - __bss_start));
    dfc::image::heap_init();
    for (InitFn* f = __init_array_start; f != __init_array_end; ++f) (*f)();
  }
  image_boot_and_run(ctx);
  dfc::image::halt(dfc::iss::kHaltDone);
}

}  // extern "C"

// ---- libstdc++'s error hooks (the image is built without exceptions: each ends the image).
namespace std {
[[noreturn]] void __throw_bad_alloc() { dfc::fatal_error("std::bad_alloc"); }
[[noreturn]] void __throw_bad_array_new_length() { dfc::fatal_error("std::bad_array_new_length"); }
[[noreturn]] void __throw_length_error(const char* s) { dfc::fatal_error(s); }
[[noreturn]] void __throw_logic_error(const char* s) { dfc::fatal_error(s); }
[[noreturn]] void __throw_out_of_range(const char* s) { dfc::fatal_error(s); }
[[noreturn]] void __throw_out_of_range_fmt(const char* s, ...) { dfc::fatal_error(s); }
[[noreturn]] void __throw_invalid_argument(const char* s) { dfc::fatal_error(s); }
[[noreturn]] void __throw_bad_function_call() { dfc::fatal_error("std::bad_function_call"); }
}  // namespace std

// ---- operator new/delete over the heap (heap.cpp).
void* operator new(size_t n) {
  if (void* p = std::malloc(n)) return p;
  dfc::fatal_error("out of memory (operator new)");
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
