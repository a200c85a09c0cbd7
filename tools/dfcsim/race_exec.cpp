#include "race_exec.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "race/host_gate.hpp"

namespace dfc::tools {

namespace {
int g_argc = 0;
char** g_argv = nullptr;
}  // namespace

void remember_arguments(int argc, char** argv) { g_argc = argc, g_argv = argv; }

void hand_race_check_over(const tb::SimOptions& o) {
  // A lock removed for a mutation run exists only in the race checker's build (and in a fault
  // image): without --race-check the host firmware would run with every lock, and the run would
  // pass for one that removed it.
  const char* skip = std::getenv("DFC_FAULT_SKIP_LOCK");
  if (skip && *skip && !o.race_check && o.firmware.empty() && !race::host_instrumented())
    std::fprintf(stderr,
                 "dfcsim: warning: DFC_FAULT_SKIP_LOCK=%s removes nothing here: only the race checker's "
                 "build (--race-check) or a fault image (--firmware) has the hook (docs/race-check.md)\n",
                 skip);
  if (!o.race_check || !o.firmware.empty() || race::host_instrumented()) return;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::filesystem::path race = self.parent_path() / "dfcsim-race";
  if (ec || !std::filesystem::exists(race))
    throw std::runtime_error("--race-check: the race checker's build of dfcsim (" + race.string() +
                             ") is missing; build it with `cmake --build build --target dfcsim-race`");
  std::vector<char*> args(g_argv, g_argv + g_argc);
  args.push_back(nullptr);
  ::execv(race.c_str(), args.data());
  throw std::runtime_error("--race-check: cannot run " + race.string());
}

}  // namespace dfc::tools
