// What every simulation of the card takes, whatever drives it: `dfcsim run` (a scenario on
// simulated time) and `dfcsim serve` (real time, UDP sockets) both embed one SimOptions, and
// the host (host/host.hpp) builds the card from it. The command-line options that fill it are
// added once, by tools/dfcsim/sim_options_cli.hpp.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/wave.hpp"

namespace dfc::tb {

struct SimOptions {
  std::string config_text;                // the DFC configuration as given (the scoreboard reads it itself)
  std::string config_name = "<config>";   // for error messages (the file name)
  std::string profile = "ms400";          // built-in profile name or a JSON profile file
  std::vector<std::string> profile_sets;  // KEY=VALUE overrides, applied in order (--set)
  std::optional<uint64_t> schedule_seed;  // perturbs the cores' interleaving (--schedule-seed)
  std::string classifier = "rtl";         // rtl, model or lockstep
  // --firmware: the firmware image (build/bin/dfc_firmware.elf) the card runs on its
  // instruction-set simulators; empty: the host-compiled firmware (docs/iss.md).
  std::string firmware;
  // --gdb PORT: serve GDB's remote protocol for the image on 127.0.0.1:PORT; the card waits at
  // boot for the debugger (docs/iss.md "Debugging"). -1: no debugger.
  int gdb_port = -1;
  // --race-check / "race_check": the happens-before race checker over the firmware's shared memory
  // (docs/race-check.md); host mode needs the dfcsim-race build (dfcsim re-runs itself as it).
  bool race_check = false;
  // --mode / "mode": which card model runs: "timing" (model/card, SystemC/TLM) or "fast"
  // (model/fast, docs/fast-mode.md). report.json says which under "model".
  std::string model = "timing";
  std::string out_dir = "out";
  WaveOptions wave;  // --wave vcd|fst [--wave-window]: card.<fmt> and classifier.<fmt> in out_dir
  bool quiet = false;
};

// What the fast card model cannot do (it has no SystemC card, no instruction-set simulator and
// no race checker): "" when `o` may run in fast mode, else the message naming the option that
// needs --mode timing.
inline std::string fast_mode_conflict(const SimOptions& o) {
  if (o.model != "fast") return "";
  std::string what;
  if (!o.firmware.empty()) what = "--firmware (the firmware image on the instruction-set simulators)";
  else if (o.race_check) what = "--race-check (the race checker)";
  else if (o.wave.on()) what = "--wave (card waveforms on SystemC time)";
  else if (o.gdb_port >= 0) what = "--gdb (the image's debugger)";
  if (what.empty()) return "";
  return what + " needs the timing card: use --mode timing (the default), or drop that option to run --mode fast";
}

}  // namespace dfc::tb
