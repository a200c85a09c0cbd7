#include "regress_cmd.hpp"

#include "coverage_merge.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <locale>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cli/exit_codes.hpp"
#include "common/errors.hpp"
#include "common/process.hpp"
#include "common/text.hpp"
#include "regress_slurm.hpp"
#include "report_exception.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dfc::tools {

namespace {

struct Entry {
  std::string scenario;
  std::vector<std::string> labels;
  std::vector<uint64_t> seeds;
  int line = 0;
};

using common::split;

// The suite-level facts of the JUnit file. Its time is the wall-clock time of the whole
// regression (start + time = end, also with parallel runs); each case keeps its own time.
struct JunitSuite {
  std::string path, label, list, backend;
  std::chrono::system_clock::time_point start;
  double seconds = 0;
};

// regress.list: "<scenario path> <labels,comma,separated> <seeds,comma,separated>" per line,
// '#' comments. Paths are relative to the list file.
std::vector<Entry> load_list(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot read the regression list");
  std::vector<Entry> out;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    std::istringstream is(line);
    std::string scen, labels, seeds;
    if (!(is >> scen)) continue;
    if (!(is >> labels >> seeds))
      throw std::runtime_error(path + ":" + std::to_string(n) + ": expected '<scenario> <labels> <seeds>'");
    Entry e;
    e.scenario = fs::absolute(fs::path(path).parent_path() / scen).lexically_normal().string();
    e.labels = split(labels, ',');
    for (const auto& s : split(seeds, ',')) {
      try {
        e.seeds.push_back(std::stoull(s));
      } catch (const std::exception&) {
        throw std::runtime_error(path + ":" + std::to_string(n) + ": seed '" + s + "' is not a number");
      }
    }
    e.line = n;
    out.push_back(e);
  }
  return out;
}

void run_one(RegressTask& t) {
  const auto t0 = std::chrono::steady_clock::now();
  common::CommandResult r = common::run_command(t.cmd);
  if (!r.started) {
    t.rc = -1;
    t.output = "cannot start: " + t.cmd;
    return;
  }
  t.output = std::move(r.output);
  t.rc = r.shell_exit_code();
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void print_result(const RegressTask& r) {
  std::cout << (r.rc == 0 ? "PASS " : "FAIL ") << std::left << std::setw(40) << r.name << std::fixed
            << std::setprecision(2) << r.seconds << " s\n"
            << std::flush;
}

// Local parallel run: `jobs` workers take the next task of the matrix.
void run_local(std::vector<RegressTask>& tasks, unsigned jobs) {
  std::atomic<size_t> next{0};
  std::mutex out;
  auto worker = [&] {
    for (size_t i; (i = next++) < tasks.size();) {
      run_one(tasks[i]);
      std::lock_guard<std::mutex> l(out);
      print_result(tasks[i]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < std::max(1u, jobs); ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

// XML 1.0 text: escaped, and each byte that is not part of valid UTF-8 (a run's output may hold
// any bytes) replaced by '?', so every consumer can parse the file.
std::string xml_text(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = n != 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok) {
      o.append(s, i, n);
      i += n;
    } else {
      o += '?';
      ++i;
    }
  }
  return common::xml_escape(o);
}

std::string seconds_text(double s) {
  std::ostringstream o;
  o.imbue(std::locale::classic());
  o << std::fixed << std::setprecision(3) << s;
  return o.str();
}

std::string utc_iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string this_host() {
  char h[256] = {};
  if (gethostname(h, sizeof h - 1) != 0) return "localhost";
  return h;
}

void property(std::ostream& x, const char* indent, const std::string& name, const std::string& value) {
  x << indent << "<property name=\"" << xml_text(name) << "\" value=\"" << xml_text(value) << "\"/>\n";
}

// A run that exits 3 failed its expectations (a JUnit failure); any other non-zero exit did not
// get that far (bad input, run-time failure, crash, lost Slurm task: a JUnit error).
void write_testcase(std::ostream& x, const std::string& label, const RegressTask& r) {
  x << "    <testcase classname=\"" << xml_text("regress." + label + "." + fs::path(r.scenario).stem().string())
    << "\" name=\"" << xml_text(r.name) << "\" time=\"" << seconds_text(r.seconds) << "\">\n      <properties>\n";
  property(x, "        ", "seed", std::to_string(r.seed));
  property(x, "        ", "profile", r.profile.empty() ? "unknown" : r.profile);
  property(x, "        ", "scenario", r.scenario);
  if (!r.host.empty()) property(x, "        ", "host", r.host);
  x << "      </properties>\n";
  if (r.rc != 0) {
    const bool failure = r.rc == kExitExpectations;
    const char* tag = failure ? "failure" : "error";
    x << "      <" << tag << " message=\"exit code " << r.rc
      << (failure ? " (expectations failed)" : r.rc < 0 ? " (did not run to the end)" : "") << "\" type=\""
      << (failure ? "expectations" : "run") << "\">" << xml_text("rerun: " + r.cmd + "\n" + r.output) << "</"
      << tag << ">\n";
  }
  x << "    </testcase>\n";
}

void write_junit(const JunitSuite& s, const std::vector<RegressTask>& results) {
  std::ofstream x(s.path);
  if (!x) throw tb::RunFailure(s.path + ": cannot write JUnit file");
  size_t failures = 0, errors = 0;
  for (const auto& r : results) {
    failures += r.rc == kExitExpectations;
    errors += r.rc != 0 && r.rc != kExitExpectations;
  }
  const std::string total = seconds_text(s.seconds);
  const std::string counts = "tests=\"" + std::to_string(results.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"" + std::to_string(errors) + "\"";
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dfcsim regress\" " << counts << " time=\""
    << total << "\">\n  <testsuite name=\"" << xml_text("dfcsim.regress." + s.label) << "\" " << counts
    << " skipped=\"0\" time=\"" << total << "\" timestamp=\"" << utc_iso8601(s.start) << "\" hostname=\""
    << xml_text(this_host()) << "\">\n    <properties>\n";
  property(x, "      ", "label", s.label);
  property(x, "      ", "list", s.list);
  property(x, "      ", "backend", s.backend);
  x << "    </properties>\n";
  for (const auto& r : results) write_testcase(x, s.label, r);
  x << "  </testsuite>\n</testsuites>\n";
  if (!x.flush()) throw tb::RunFailure(s.path + ": cannot write JUnit file");
}

// The card profile each run used, from its report.json (a run that wrote none: from its
// scenario's "profile" when it names one).
void read_profiles(std::vector<RegressTask>& tasks) {
  for (auto& t : tasks) {
    for (const fs::path& f : {fs::path(t.out) / "report.json", fs::path(t.scenario)}) {
      std::ifstream in(f);
      if (!in) continue;
      try {
        const json j = json::parse(in);
        const json* p = j.contains("scenario") && j["scenario"].is_object() ? &j["scenario"] : &j;
        if (p->contains("profile") && (*p)["profile"].is_string()) t.profile = (*p)["profile"].get<std::string>();
      } catch (const json::exception&) {
        // A report cut short or a scenario that is not JSON: try the next source.
      }
      if (!t.profile.empty()) break;
    }
  }
}

}  // namespace

// Merged functional coverage of every run that wrote a report: coverage.json in the output
// directory, with the number of runs merged.
json merge_reports(const std::vector<RegressTask>& tasks) {
  json cov = json::object();
  size_t n = 0;
  for (const auto& t : tasks) {
    std::ifstream f(fs::path(t.out) / "report.json");
    if (!f) continue;
    try {
      const json r = json::parse(f);
      if (r.contains("coverage")) merge_counters(cov, r["coverage"]), ++n;
    } catch (const json::exception&) {
      // A run that died while writing its report is a failure already; nothing to merge.
    }
  }
  return {{"runs_merged", n}, {"coverage", cov}};
}

}  // namespace dfc::tools

namespace {

std::string default_list(const std::string& self) {
  // Installed: <prefix>/bin/dfcsim and <prefix>/share/dfcsim/regress.list; in the build tree
  // the source tree's list.
  const fs::path installed = fs::path(self).parent_path().parent_path() / "share/dfcsim/regress.list";
  std::error_code ec;
  if (fs::exists(installed, ec)) return installed.string();
  return std::string(DFC_SOURCE_DIR) + "/testbench/regress.list";
}

using dfc::tools::RegressTask;
constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

struct RegressOpts {
  std::string label = "default", list, junit, out = "out/regress", self;
  unsigned seeds = 0, jobs = 1;
  unsigned schedule_seeds = 0;  // also schedule seeds 1..N per run (0: the card's own schedule only)
  bool race_check = false;
  std::string mode;  // --mode: every run's card model ("" = each run's own: the scenario's or timing)
  bool slurm = false;
  dfc::tools::SlurmOptions sl;
};

// The (scenario, seed) matrix of the entries carrying the label, each a `dfcsim run` command.
std::vector<RegressTask> plan_tasks(const RegressOpts& o, const std::string& self, const std::string& list) {
  using dfc::common::shell_quote;
  std::vector<RegressTask> tasks;
  for (const auto& e : dfc::tools::load_list(list)) {
    if (std::find(e.labels.begin(), e.labels.end(), o.label) == e.labels.end()) continue;
    std::vector<uint64_t> seeds = e.seeds;
    if (o.seeds) {
      seeds.clear();
      for (unsigned s = 1; s <= o.seeds; ++s) seeds.push_back(s);
    }
    // Each (traffic seed, schedule seed) is one run; a failure's command line replays it exactly
    // (the schedule seed fixes every interleaving, docs/race-check.md).
    for (uint64_t s : seeds)
      for (unsigned k = o.schedule_seeds ? 1 : 0; k <= o.schedule_seeds; ++k) {
        RegressTask t;
        t.name = fs::path(e.scenario).stem().string() + ".seed" + std::to_string(s) +
                 (k ? ".sched" + std::to_string(k) : "");
        t.scenario = e.scenario;
        t.seed = s;
        t.out = fs::absolute(fs::path(o.out) / t.name).string();
        t.cmd = shell_quote(self) + " run " + shell_quote(e.scenario) + " --seed " + std::to_string(s) +
                (k ? " --schedule-seed " + std::to_string(k) : "") + (o.race_check ? " --race-check" : "") +
                (o.mode.empty() ? "" : " --mode " + o.mode) + " --out " + shell_quote(t.out) + " -q";
        tasks.push_back(std::move(t));
      }
  }
  return tasks;
}

// Runs the matrix (locally or as a Slurm job array), writes JUnit and coverage.json.
void run_tasks(const RegressOpts& o, const std::string& list, std::vector<RegressTask>& tasks) {
  fs::create_directories(o.out);
  const auto start = std::chrono::system_clock::now();
  if (o.slurm)
    dfc::tools::run_slurm(tasks, fs::absolute(o.out).string(), o.sl);
  else
    dfc::tools::run_local(tasks, o.jobs);
  dfc::tools::read_profiles(tasks);
  const double wall = std::chrono::duration<double>(std::chrono::system_clock::now() - start).count();
  if (!o.junit.empty())
    dfc::tools::write_junit({o.junit, o.label, fs::absolute(list).string(), o.slurm ? "slurm" : "local", start, wall},
                            tasks);
  const nlohmann::json cov = dfc::tools::merge_reports(tasks);
  // Run directories are named after the scenario files, whose names may hold any bytes.
  std::ofstream(fs::path(o.out) / "coverage.json") << cov.dump(2, ' ', false, kReplace) << "\n";
}

// Functional coverage merged over every run and seed against the plan, with its holes.
void report_coverage(const RegressOpts& o, const std::vector<RegressTask>& tasks) {
  std::vector<std::string> dirs;
  for (const auto& r : tasks) dirs.push_back(r.out);
  const auto cov = dfc::tools::merge_run_reports(dirs);
  dfc::tools::print_coverage_summary(cov, std::cout);
  const std::string text = dfc::tools::coverage_json(cov).dump(1, ' ', false, kReplace);
  std::ofstream(fs::path(o.out) / "coverage-merged.json") << text << "\n";
}

// The pass count and every failure with the command that reruns it; the number of failures.
size_t print_results(const RegressOpts& o, const std::vector<RegressTask>& tasks) {
  size_t failed = 0;
  for (const auto& r : tasks) failed += r.rc != 0;
  std::cout << tasks.size() - failed << "/" << tasks.size() << " passed (label " << o.label
            << "); merged coverage: " << (fs::path(o.out) / "coverage.json").string() << "\n";
  if (!failed) return 0;
  std::cout << "\nFailures (rerun each with the command shown):\n";
  for (const auto& r : tasks)
    if (r.rc != 0) {
      std::cout << "  " << r.name << " (exit " << r.rc << ")\n    " << r.cmd << "\n";
      std::istringstream is(r.output);
      std::string l;
      int shown = 0;
      while (std::getline(is, l) && shown++ < 8) std::cout << "      | " << l << "\n";
    }
  return failed;
}

void regress(const RegressOpts& o) {
  std::string self = o.self;
  std::error_code ec;
  if (auto p = fs::read_symlink("/proc/self/exe", ec); !ec) self = p.string();
  const std::string list = o.list.empty() ? default_list(self) : o.list;
  std::vector<RegressTask> tasks;
  try {
    tasks = plan_tasks(o, self, list);
  } catch (const std::exception& e) {
    std::cerr << "dfcsim regress: " << e.what() << "\n";
    throw CLI::RuntimeError(dfc::tools::kExitBadInput);
  }
  if (tasks.empty()) {
    std::cerr << "dfcsim regress: no entry of " << list << " carries the label '" << o.label << "'\n";
    throw CLI::RuntimeError(dfc::tools::kExitBadInput);
  }
  try {
    run_tasks(o, list, tasks);
  } catch (...) {
    throw CLI::RuntimeError(dfc::tools::report_exception("dfcsim regress"));
  }
  report_coverage(o, tasks);
  if (print_results(o, tasks)) throw CLI::RuntimeError(dfc::tools::kExitExpectations);
}

// The sbatch settings, each only with --slurm and each value checked before anything runs.
void add_slurm_options(CLI::App* cmd, CLI::Option* slurm, dfc::tools::SlurmOptions& sl) {
  using namespace dfc::tools;
  auto check = [](std::string (*f)(const std::string&), const char* what) {
    return CLI::Validator([f](std::string& v) { return f(v); }, what);
  };
  cmd->add_option("--partition", sl.partition, "Slurm partition (with --slurm)")->needs(slurm);
  cmd->add_option("--slurm-timeout", sl.timeout_s, "seconds to wait for the job array (default 3600)")
      ->needs(slurm)
      ->check(CLI::Range(1.0, 1e6));
  cmd->add_option("--time", sl.time, "time limit of each array task, sbatch --time (with --slurm)")
      ->needs(slurm)
      ->check(check(check_slurm_time, "TIME"));
  cmd->add_option("--mem", sl.mem, "memory of each array task, sbatch --mem, e.g. 4G (with --slurm)")
      ->needs(slurm)
      ->check(check(check_slurm_mem, "SIZE"));
  cmd->add_option("--account", sl.account, "Slurm account to charge (with --slurm)")
      ->needs(slurm)
      ->check(check(check_slurm_name, "NAME"));
  cmd->add_option("--qos", sl.qos, "Slurm quality of service (with --slurm)")
      ->needs(slurm)
      ->check(check(check_slurm_name, "NAME"));
  cmd->add_option("--array-limit", sl.array_limit, "at most N array tasks running at once (with --slurm)")
      ->needs(slurm)
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--sbatch-arg", sl.sbatch_args,
                  "one more sbatch option, passed through (repeatable; with --slurm), e.g. --sbatch-arg=--exclusive")
      ->needs(slurm)
      ->allow_extra_args(false)
      ->check(check(check_sbatch_arg, "ARG"));
}

}  // namespace

void add_regress_subcommand(CLI::App& app, const char* argv0) {
  auto* cmd = app.add_subcommand("regress", "run the regression list; exit 3 when any run failed");
  auto o = std::make_shared<RegressOpts>();
  o->self = argv0;
  cmd->add_option("--label", o->label, "run the entries carrying this label (default: default)");
  cmd->add_option("--seeds", o->seeds, "run seeds 1..N for every entry instead of the listed seeds")
      ->check(CLI::Range(1u, 100000u));
  cmd->add_option("--schedule-seeds", o->schedule_seeds,
                  "run every entry under schedule seeds 1..N as well (--schedule-seed: other interleavings of the "
                  "hardware threads); a failure names the seed to rerun")
      ->check(CLI::Range(1u, 100000u));
  cmd->add_flag("--race-check", o->race_check, "run every entry with the race checker (docs/race-check.md)");
  cmd->add_option("--mode", o->mode,
                  "card model of every run: timing or fast (as for run; default: each scenario's own, else timing)")
      ->check(CLI::IsMember({"timing", "fast"}));
  cmd->add_option("--junit", o->junit, "write JUnit XML here");
  cmd->add_option("--list", o->list, "regression list (default: testbench/regress.list, or the installed one)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", o->out, "directory for the runs' outputs and the merged coverage.json");
  auto* jobs = cmd->add_option("-j,--jobs", o->jobs, "runs in parallel on this machine (default 1)")
                   ->check(CLI::Range(1u, 1024u));
  auto* slurm = cmd->add_flag("--slurm", o->slurm,
                              "submit the (scenario, seed) matrix as one Slurm job array (sbatch), wait for it "
                              "and gather the reports");
  add_slurm_options(cmd, slurm, o->sl);
  slurm->excludes(jobs);
  cmd->callback([o]() { regress(*o); });
}
