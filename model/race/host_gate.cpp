#include "race/host_gate.hpp"

namespace dfc::race {

namespace {
bool g_instrumented = false;
Allocation (*g_lookup)(uint64_t) = nullptr;
}  // namespace

thread_local HostGate g_host_gate;

bool host_instrumented() { return g_instrumented; }
void set_host_instrumented() { g_instrumented = true; }

Allocation allocation_of(uint64_t addr) { return g_lookup ? g_lookup(addr) : Allocation{}; }
void set_allocation_lookup(Allocation (*f)(uint64_t)) { g_lookup = f; }

}  // namespace dfc::race
