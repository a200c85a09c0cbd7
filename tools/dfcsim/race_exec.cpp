#include "race_exec.hpp"

#include <unistd.h>

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
