#include "common/process.hpp"

#include <sys/wait.h>

#include <cstdio>

namespace dfc::common {

int CommandResult::exit_code() const {
  if (!started) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int CommandResult::shell_exit_code() const {
  if (!started) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

CommandResult run_command(const std::string& cmd, Stderr err) {
  CommandResult r;
  const char* redirect = err == Stderr::Merge ? " 2>&1" : err == Stderr::Discard ? " 2>/dev/null" : "";
  FILE* p = popen((cmd + redirect).c_str(), "r");
  if (!p) return r;
  r.started = true;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  r.status = pclose(p);
  return r;
}

}  // namespace dfc::common
