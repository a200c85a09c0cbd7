#include "regress_slurm.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <regex>
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

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

}  // namespace

std::string check_slurm_time(const std::string& v) {
  // sbatch's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or no limit.
  static const std::regex re(R"(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|INFINITE|UNLIMITED)");
  if (std::regex_match(v, re)) return "";
  return "'" + v + "': expected minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S (e.g. 90, 1:30:00, 2-00)";
}

std::string check_slurm_mem(const std::string& v) {
  static const std::regex re(R"(\d+[KMGTkmgt]?)");
  if (std::regex_match(v, re)) return "";
  return "'" + v + "': expected a size per node in megabytes or with a unit K, M, G or T (e.g. 4000, 8G)";
}

std::string check_slurm_name(const std::string& v) {
  const bool bad = v.empty() || std::any_of(v.begin(), v.end(), [](char c) {
                     return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
                   });
  if (!bad) return "";
  return "'" + v + "': a Slurm account or QOS name is one word without spaces or control characters";
}

std::string check_sbatch_arg(const std::string& v) {
  if (!starts_with(v, "-"))
    return "'" + v + "': expected one sbatch option (e.g. --sbatch-arg=--exclusive); the job script "
           "is dfcsim's own";
  // The options through which regress finds its tasks' results: a second value would break that.
  for (const char* own : {"--array", "--output", "--chdir", "--parsable", "--wrap", "-a", "-o", "-D"}) {
    const std::string o = own;
    const bool is_long = o.size() > 2;
    if (is_long ? (v == o || starts_with(v, o + "=")) : (!starts_with(v, "--") && starts_with(v, o)))
      return "'" + v + "': regress sets " + o + " itself (it finds each task's status through it)";
  }
  return "";
}

std::string sbatch_command(const SlurmOptions& o, size_t n_tasks, const std::string& out_dir,
                           const std::string& slurm_dir, const std::string& script) {
  std::string array = "0-" + std::to_string(n_tasks ? n_tasks - 1 : 0);
  if (o.array_limit) array += "%" + std::to_string(o.array_limit);
  std::string cmd = "sbatch --parsable --job-name=dfcsim-regress --array=" + shell_quote(array) +
                    " --chdir=" + shell_quote(out_dir) +
                    " --output=" + shell_quote((fs::path(slurm_dir) / "slurm-%A_%a.out").string());
  const std::pair<const char*, const std::string*> named[] = {
      {"--partition", &o.partition}, {"--time", &o.time}, {"--mem", &o.mem}, {"--account", &o.account},
      {"--qos", &o.qos}};
  for (const auto& [opt, val] : named)
    if (!val->empty()) cmd += std::string(" ") + opt + "=" + shell_quote(*val);
  for (const auto& a : o.sbatch_args) cmd += " " + shell_quote(a);
  return cmd + " " + shell_quote(script);
}

void run_slurm(std::vector<RegressTask>& tasks, const std::string& out_dir, const SlurmOptions& o) {
  const std::string& partition = o.partition;
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
  const std::string cmd = sbatch_command(o, tasks.size(), out_dir, dir.string(), (dir / "array.sh").string());
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
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > o.timeout_s) {
      capture("scancel " + job, out);
      why_missing = "not finished after --slurm-timeout " + std::to_string(o.timeout_s) + " s (job cancelled)";
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
      st >> k.host;
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
