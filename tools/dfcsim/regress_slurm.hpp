// The (scenario, seed) matrix of `dfcsim regress` and its Slurm back end: one job array,
// submitted with sbatch, whose tasks each run one `dfcsim run` command.
#pragma once
#include <string>
#include <vector>

namespace dfc::tools {

struct RegressTask {
  std::string name;    // <scenario stem>.seed<N>
  std::string cmd;     // the one-line command that (re)runs it
  std::string out;     // its output directory (absolute)
  std::string output;  // its stdout + stderr
  int rc = 0;
  double seconds = 0;
};

// Writes OUT/slurm/{tasks,array.sh}, submits one job array (`sbatch --array=0-N-1`, on
// `partition` when not empty), waits until every task has written its exit status (or the job
// has left the queue, or timeout_s passed: then it is cancelled), and fills each task's rc,
// seconds and output. A task with no exit status is a failure (rc -1) saying why.
// Throws tb::RunFailure when sbatch is missing or refuses the job.
void run_slurm(std::vector<RegressTask>& tasks, const std::string& out_dir, const std::string& partition,
               double timeout_s);

}  // namespace dfc::tools
