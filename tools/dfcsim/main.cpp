// dfcsim: the command line of the simulator, one <name>_cmd.cpp per subcommand.
//   dfcsim run [SCENARIO] [--config FILE --dtcp FILE --pcap-in FILE | --traffic SPEC] ...
//   dfcsim serve --config FILE [--traffic SPEC | --pcap-in FILE] ...
//   dfcsim regress [--label L] [--seeds N] [--junit FILE]
//   dfcsim rfc2544 [--sizes LIST] ...
//   dfcsim calibrate --firmware IMAGE --profile P --out FILE.json
//   dfcsim classbench --rules FILE [--trace FILE] [--classifier rtl|model|lockstep] [--wave vcd|fst]
// Without SCENARIO or --config, `run` uses the built-in default scenario.
#include <systemc>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "race_exec.hpp"
#include "classbench_cmd.hpp"
#include "cli/exit_codes.hpp"
#include "dfc_version.hpp"
#include "regress_cmd.hpp"
#include "calibrate_cmd.hpp"
#include "rfc2544_cmd.hpp"
#include "run_cmd.hpp"
#include "serve_cmd.hpp"

// The SystemC banner is noise on a tool's output. libsystemc prints it before sc_main runs,
// so the variable is set during static initialisation.
[[maybe_unused]] const int kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

int sc_main(int argc, char* argv[]) {
  dfc::tools::remember_arguments(argc, argv);
  CLI::App app{"dfcsim: hardware-in-the-loop simulator of a dynamic-flow-capture service card"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dfcsim " DFC_VERSION_STRING);
  app.footer(dfc::tools::kExitCodeHelp);

  add_run_subcommand(app);
  add_regress_subcommand(app, argv[0]);
  add_rfc2544_subcommand(app, argv[0]);
  add_calibrate_subcommand(app, argv[0]);
  add_classbench_subcommand(app);
  add_serve_subcommand(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return dfc::tools::exit_for_parse_error(app, e);
  }
  return dfc::tools::card_command_exit_code();
}
