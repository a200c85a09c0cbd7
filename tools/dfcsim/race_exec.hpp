// `--race-check` on the host-compiled firmware (docs/race-check.md): the firmware must be the
// instrumented one of the dfcsim-race build, which is dfcsim with that firmware linked in. The
// plain dfcsim hands such a run to it, with the same arguments, rather than asking the user to
// know which executable to start.
#pragma once
#include "host/sim_options.hpp"

namespace dfc::tools {

void remember_arguments(int argc, char** argv);
// When `o` asks for the race checker on the host-compiled firmware and this is the plain build:
// replaces this process by dfcsim-race from this executable's directory (does not return).
// Throws std::runtime_error when dfcsim-race is not there.
void hand_race_check_over(const tb::SimOptions& o);

}  // namespace dfc::tools
