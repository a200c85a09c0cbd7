// The host-mode gate of the race checker (docs/race-check.md). In the dfcsim-race build the
// firmware library is compiled with GCC's -fsanitize=thread instrumentation, and every load and
// store it makes calls model/race/tsan_hooks.cpp, which reports it here. Only the firmware's own
// code is checked: the card opens the gate when a hardware thread enters the firmware (a handler,
// a poll, the timer) and closes it around every HAL call (the model's code behind the HAL, and
// whatever another hardware thread runs while this one waits there, is not the firmware's).
// SystemC-free: the card fills in the callbacks.
#pragma once
#include <cstdint>

#include "race/detector.hpp"

namespace dfc::race {

struct HostGate {
  Detector* det = nullptr;
  int tid = -1;               // the hardware thread whose firmware code runs now; -1: none
  bool ignore_reads = false;  // that thread is inside a sequence-lock read attempt (Hal::race_hint)
  // The running thread's local time (simulated ps), for the report.
  uint64_t (*now_ps)(void* ctx) = nullptr;
  void* now_ctx = nullptr;
  // Schedule exploration (--schedule-seed with --race-check): called at an access to memory another
  // thread touched before; may let other hardware threads run (the card closes and reopens the gate).
  void (*shared_access)(void* ctx) = nullptr;
  void* shared_ctx = nullptr;
};

// Per host thread: the simulation (every SystemC thread) runs on one, the scoreboard on another,
// which runs instrumented library code too but is never the firmware.
extern thread_local HostGate g_host_gate;
inline HostGate& host_gate() { return g_host_gate; }

// true in the dfcsim-race build, whose firmware reports its accesses (tsan_hooks.cpp linked).
bool host_instrumented();
void set_host_instrumented();

// A heap block's allocation, for the report's `symbol` of a heap address: the firmware code that
// allocated it (a code address) and its size; {0, 0} when unknown (tsan_hooks.cpp keeps them).
struct Allocation {
  uint64_t base = 0, size = 0, site = 0;
};
Allocation allocation_of(uint64_t addr);
void set_allocation_lookup(Allocation (*f)(uint64_t addr));

}  // namespace dfc::race
