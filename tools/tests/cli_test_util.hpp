// Small helpers of the command-line tests: run a shell command, read a file (the testbench's
// common helpers, dfc_common, under the names the tests use).
#pragma once
#include <string>

#include "common/file.hpp"
#include "common/process.hpp"

namespace dfc::test {

struct Cmd {
  int rc = -1;      // exit code; -1 when it did not start or did not exit normally
  std::string out;  // stdout and stderr together
};

inline Cmd sh(const std::string& cmd) {
  common::CommandResult r = common::run_command(cmd);
  return {r.exit_code(), std::move(r.output)};
}

inline std::string slurp(const std::string& path) { return common::read_file_or_empty(path); }

}  // namespace dfc::test
