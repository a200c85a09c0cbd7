#include "regress_slurm.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "common/errors.hpp"
#include "common/file.hpp"
#include "common/process.hpp"
#include "common/text.hpp"

namespace fs = std::filesystem;

namespace dfc::tools {

namespace {

using common::read_file_or_empty;
using common::shell_quote;

// Runs a shell command; returns its exit status and stdout+stderr.
int capture(const std::string& cmd, std::string& out) {
  common::CommandResult r = common::run_command(cmd);
  out = std::move(r.output);
  return r.exit_code();
}

size_t finished(const fs::path& dir, size_t n) {
  size_t k = 0;
  std::error_code ec;
  for (size_t i = 0; i < n; ++i) k += fs::exists(dir / ("task-" + std::to_string(i) + ".rc"), ec);
  return k;
}

}  // namespace

void run_slurm(std::vector<RegressTask>& tasks, const std::string& out_dir, const std::string& partition,
               double timeout_s) {
  const fs::path dir = fs::path(out_dir) / "slurm";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream t(dir / "tasks");
    for (const auto& k : tasks) t << k.cmd << "\n";
    // Each array task runs line SLURM_ARRAY_TASK_ID+1 and writes "rc start end" atomically
    // (rename), so the submitter never reads a half-written status.
    std::ofstream s(dir / "array.sh");
    s << "#!/bin/sh\n# dfcsim regress --slurm: one (scenario, seed) per array task\n"
      << "d=" << shell_quote(dir.string()) << "\n"
      << "i=$SLURM_ARRAY_TASK_ID\n"
      << "cmd=$(sed -n \"$((i + 1))p\" \"$d/tasks\")\n"
      << "start=$(date +%s.%N)\n"
      << "sh -c \"$cmd\" > \"$d/task-$i.log\" 2>&1\n"
      << "rc=$?\n"
      << "echo \"$rc $start $(date +%s.%N) $(hostname)\" > \"$d/task-$i.rc.tmp\" && mv \"$d/task-$i.rc.tmp\" \"$d/task-$i.rc\"\n";
    if (!t || !s) throw tb::RunFailure(dir.string() + ": cannot write the job array files");
  }
  std::string cmd = "sbatch --parsable --job-name=dfcsim-regress --array=0-" + std::to_string(tasks.size() - 1) +
                    " --chdir=" + shell_quote(out_dir) + " --output=" + shell_quote((dir / "slurm-%A_%a.out").string());
  if (!partition.empty()) cmd += " --partition=" + shell_quote(partition);
  cmd += " " + shell_quote((dir / "array.sh").string());
  std::string out;
  const int rc = capture(cmd, out);
  std::string job = out.substr(0, out.find_first_of(";\n"));
  if (rc != 0 || job.empty() || job.find_first_not_of("0123456789") != std::string::npos)
    throw tb::RunFailure("sbatch failed (exit " + std::to_string(rc) + "): " + out + "  command: " + cmd);
  std::cout << "dfcsim regress: Slurm job " << job << ", " << tasks.size() << " array task(s)"
            << (partition.empty() ? "" : " on partition " + partition) << "\n"
            << std::flush;

  // Wait for every status file. When the job has left the queue, give the shared file system a
  // moment, then stop: the missing tasks failed without a status (cancelled, node failure).
  const auto t0 = std::chrono::steady_clock::now();
  int gone_polls = 0;
  std::string why_missing = "the task left the Slurm queue without writing its exit status";
  while (finished(dir, tasks.size()) < tasks.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s) {
      capture("scancel " + job, out);
      why_missing = "not finished after --slurm-timeout " + std::to_string(timeout_s) + " s (job cancelled)";
      break;
    }
    std::string q;
    if (capture("squeue -h -j " + job + " -o %i", q) == 0 && q.find_first_not_of(" \n") == std::string::npos) {
      if (++gone_polls >= 6) break;
    } else {
      gone_polls = 0;
    }
  }
  for (size_t i = 0; i < tasks.size(); ++i) {
    RegressTask& k = tasks[i];
    const std::string id = std::to_string(i);
    std::istringstream st(read_file_or_empty(dir / ("task-" + id + ".rc")));
    double start = 0, end = 0;
    if (st >> k.rc >> start >> end) {
      k.seconds = end - start;
      k.output = read_file_or_empty(dir / ("task-" + id + ".log"));
    } else {
      k.rc = -1;
      k.output = "Slurm job " + job + " task " + id + ": " + why_missing + "\n" +
                 read_file_or_empty(dir / ("slurm-" + job + "_" + id + ".out"));
    }
    std::cout << (k.rc == 0 ? "PASS " : "FAIL ") << std::left << std::setw(40) << k.name << std::fixed
              << std::setprecision(2) << k.seconds << " s  (slurm " << job << "_" << id << ")\n";
  }
}

}  // namespace dfc::tools
