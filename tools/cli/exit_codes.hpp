// The exit-code table of every dfcsim and dtcpctl command (docs/user-guide.md, "Exit codes"):
//   0 ok; 1 failure at run time; 2 usage or bad input; 3 expectations or verification failed.
// CLI11's own codes (105 for a bad option value, 106 for a missing one, ...) are mapped to 2.
#pragma once
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <string>


namespace dfc::tools {

enum ExitCode : int {
  kExitOk = 0,
  kExitRunFailure = 1,
  kExitBadInput = 2,
  kExitExpectations = 3,
};

inline constexpr const char* kExitCodeHelp =
    "Exit codes: 0 ok; 1 failure at run time (a file or socket that cannot be created, a tool that\n"
    "fails); 2 usage or bad input (options, configuration, scenario, DTCP script, pcap); 3 the run\n"
    "finished but its expectations or verification failed.";

// The exit code of a subcommand that ran the card (run, serve), set by its callback; sc_main
// returns it. Those callbacks do not throw CLI::RuntimeError as the others do: after a SystemC
// simulation, the thread's stack is no longer the one AddressSanitizer last saw (SystemC's
// coroutines switch stacks), and ASan's handling of a later throw reports a false
// stack-use-after-scope (https://github.com/google/sanitizers/issues/189), which would fail
// the sanitizer suite.
inline int& card_command_exit_code() {
  static int rc = kExitOk;
  return rc;
}

// CLI11 parse errors and the RuntimeError(code) our subcommand callbacks throw.
inline int exit_for_parse_error(CLI::App& app, const CLI::ParseError& e) {
  if (dynamic_cast<const CLI::RuntimeError*>(&e)) return e.get_exit_code();  // already ours
  const int rc = app.exit(e);  // prints help / version / the usage error
  return rc == 0 ? kExitOk : kExitBadInput;
}

}  // namespace dfc::tools
