// The (scenario, seed) matrix of `dfcsim regress` and its Slurm back end: one job array,
// submitted with sbatch, whose tasks each run one `dfcsim run` command.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dfc::tools {

struct RegressTask {
  std::string name;      // <scenario stem>.seed<N>
  std::string scenario;  // the scenario file (absolute)
  uint64_t seed = 0;
  std::string cmd;      // the one-line command that (re)runs it
  std::string out;      // its output directory (absolute)
  std::string output;   // its stdout + stderr
  std::string host;     // the machine that ran it (a Slurm node; empty: this one)
  std::string profile;  // the card profile the run used (from its report.json), empty if unknown
  int rc = 0;
  double seconds = 0;
};

// What `--slurm` passes to sbatch; empty strings and array_limit 0 are left to the site's
// defaults.
struct SlurmOptions {
  std::string partition, time, mem, account, qos;
  unsigned array_limit = 0;               // at most this many array tasks at once (`%N`)
  std::vector<std::string> sbatch_args;   // passed through, each one shell word
  double timeout_s = 3600;
};

// Checks of the option values: the empty string when the value is acceptable, otherwise what
// is wrong and what sbatch accepts (CLI11 prints it and exits 2).
std::string check_slurm_time(const std::string& v);
std::string check_slurm_mem(const std::string& v);
std::string check_slurm_name(const std::string& v);
std::string check_sbatch_arg(const std::string& v);

// The sbatch command line submitting `n_tasks` array tasks of `script`, every value shell-quoted.
std::string sbatch_command(const SlurmOptions& o, size_t n_tasks, const std::string& out_dir,
                           const std::string& slurm_dir, const std::string& script);

// Writes OUT/slurm/{tasks,array.sh}, submits one job array (sbatch_command), waits until every
// task has written its exit status (or the job has left the queue, or o.timeout_s passed: then
// it is cancelled), and fills each task's rc, seconds, host and output. A task with no exit
// status is a failure (rc -1) saying why.
// Throws tb::RunFailure when sbatch is missing or refuses the job.
void run_slurm(std::vector<RegressTask>& tasks, const std::string& out_dir, const SlurmOptions& o);

}  // namespace dfc::tools
