// The fault-injection hook (dfc/hal/hal.hpp, docs/race-check.md "Removing a critical section"):
// which critical section, if any, this run leaves out. Compiled to nothing unless
// DFC_FAULT_INJECTION is defined: the product firmware has no selection and no hook.
#ifdef DFC_FAULT_INJECTION
#include "dfc/hal/hal.hpp"

#if __STDC_HOSTED__
#include <cstdio>
#include <cstdlib>
#include <cstring>
#endif

// The selected site, NUL-terminated; empty: none. In the image the card writes it at load from
// DFC_FAULT_SKIP_LOCK (model/card/iss_card.cpp) after the image's own initial value, which a test
// image may fix at link time (DFC_FAULT_SKIP_LOCK_DEFAULT: dfc_firmware_no_packet_lock.elf).
// Written before any hardware thread runs; only read afterwards.
#ifndef DFC_FAULT_SKIP_LOCK_DEFAULT
#define DFC_FAULT_SKIP_LOCK_DEFAULT ""
#endif
// In the image it must be in .data (loaded from the ELF, where the card writes it), not .bss,
// which the image clears at boot (runtime.cpp), after the card wrote it.
#if __STDC_HOSTED__
#define DFC_FAULT_SECTION
#else
#define DFC_FAULT_SECTION __attribute__((section(".data")))
#endif
extern "C" {
// A C name: the card finds it in the ELF's symbol table.
DFC_FAULT_SECTION char dfc_fault_skip_lock[dfc::fault::kSiteBytes] = DFC_FAULT_SKIP_LOCK_DEFAULT;
}

namespace dfc::fault {
namespace {

bool same(const char* a, const char* b) {
  for (; *a != '\0' && *a == *b; ++a, ++b) {
  }
  return *a == *b;
}

#if __STDC_HOSTED__
// The image.* sites are the image runtime's: the host firmware has no such lock.
bool known(const char* site) {
  if (std::strncmp(site, "image.", 6) == 0) return false;
  for (const char* s : kLockSites)
    if (same(s, site)) return true;
  return false;
}

// The host build (dfcsim-race) reads the environment once, at start-up, before any firmware
// runs. A name that is no site stops the program: a run that removes nothing must not pass
// for one that removed a lock.
bool from_environment() {
  const char* v = std::getenv("DFC_FAULT_SKIP_LOCK");
  if (v == nullptr || *v == '\0') return false;
  if (!known(v) || std::strlen(v) >= kSiteBytes) {
    std::fprintf(stderr, "error: DFC_FAULT_SKIP_LOCK=%s names no critical section of the host firmware; the sites are:", v);
    for (const char* s : kLockSites)
      if (known(s)) std::fprintf(stderr, " %s", s);
    std::fprintf(stderr, " (docs/race-check.md, \"Removing a critical section\")\n");
    std::exit(2);  // bad input (tools/cli/exit_codes.hpp)
  }
  std::memcpy(dfc_fault_skip_lock, v, std::strlen(v) + 1);
  return true;
}
const bool g_from_environment = from_environment();
#endif

}  // namespace

bool lock_skipped(const char* site) { return dfc_fault_skip_lock[0] != '\0' && same(site, dfc_fault_skip_lock); }

}  // namespace dfc::fault
#endif
