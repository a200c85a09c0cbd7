// Running a shell command and collecting what it prints (the tools' child runs, Slurm's
// commands, the command-line tests). SystemC-free.
#pragma once
#include <string>

namespace dfc::common {

struct CommandResult {
  bool started = false;  // false: the shell could not be started (popen failed)
  int status = -1;       // the wait status pclose returned
  std::string output;    // stdout and stderr together, in the order written

  // The exit code; -1 when the command did not start or did not exit normally.
  int exit_code() const;
  // The exit code as a shell reports it: 128 + N for a command killed by signal N; -1 when
  // it did not start.
  int shell_exit_code() const;
};

// Where the command's stderr goes: into output (the default: a tool's message belongs with its
// output), to /dev/null (a parser of stdout that must not see warnings), or to our own stderr.
enum class Stderr { Merge, Discard, Inherit };

// Runs `cmd` through /bin/sh and waits for it.
CommandResult run_command(const std::string& cmd, Stderr err = Stderr::Merge);

}  // namespace dfc::common
