#include "regress_cmd.hpp"

#include "coverage_merge.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Entry {
  std::string scenario;
  std::vector<std::string> labels;
  std::vector<uint64_t> seeds;
  int line = 0;
};

struct Outcome {
  std::string name, cmd, output;
  int rc = 0;
  double seconds = 0;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::istringstream is(s);
  std::string t;
  while (std::getline(is, t, sep))
    if (!t.empty()) out.push_back(t);
  return out;
}

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
    e.scenario = (fs::path(path).parent_path() / scen).string();
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

std::string quote(const std::string& s) { return "'" + s + "'"; }

Outcome run_one(const std::string& cmd) {
  Outcome o;
  o.cmd = cmd;
  const auto t0 = std::chrono::steady_clock::now();
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) {
    o.rc = -1;
    o.output = "cannot start: " + cmd;
    return o;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.output.append(buf, n);
  const int st = pclose(p);
  o.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return o;
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') o += ' ';
        else o += c;
    }
  }
  return o;
}

}  // namespace

void add_regress_subcommand(CLI::App& app, const char* argv0) {
  auto* cmd = app.add_subcommand("regress", "run the regression list; non-zero exit on any failure");
  struct Opts {
    std::string label = "default", list, junit, out = "out/regress", self;
    unsigned seeds = 0;
    bool keep_going = true;
  };
  auto o = std::make_shared<Opts>();
  o->self = argv0;
  cmd->add_option("--label", o->label, "run the entries carrying this label (default: default)");
  cmd->add_option("--seeds", o->seeds, "run seeds 1..N for every entry instead of the listed seeds")
      ->check(CLI::Range(1u, 100000u));
  cmd->add_option("--junit", o->junit, "write JUnit XML here");
  cmd->add_option("--list", o->list, "regression list (default: testbench/regress.list of the source tree)");
  cmd->add_option("--out", o->out, "directory for the runs' outputs");
  cmd->callback([o]() {
    std::string list = o->list;
    if (list.empty()) list = std::string(DFC_SOURCE_DIR) + "/testbench/regress.list";
    std::vector<Entry> entries;
    try {
      entries = load_list(list);
    } catch (const std::exception& e) {
      std::cerr << "dfcsim regress: " << e.what() << "\n";
      throw CLI::RuntimeError(2);
    }
    std::string self = o->self;
    std::error_code ec;
    if (auto p = fs::read_symlink("/proc/self/exe", ec); !ec) self = p.string();
    std::vector<Outcome> results;
    for (const auto& e : entries) {
      if (std::find(e.labels.begin(), e.labels.end(), o->label) == e.labels.end()) continue;
      std::vector<uint64_t> seeds = e.seeds;
      if (o->seeds) {
        seeds.clear();
        for (unsigned s = 1; s <= o->seeds; ++s) seeds.push_back(s);
      }
      for (uint64_t s : seeds) {
        const std::string name = fs::path(e.scenario).stem().string() + ".seed" + std::to_string(s);
        const std::string out = (fs::path(o->out) / name).string();
        Outcome r = run_one(quote(self) + " run " + quote(e.scenario) + " --seed " + std::to_string(s) +
                            " --out " + quote(out) + " -q");
        r.name = name;
        std::cout << (r.rc == 0 ? "PASS " : "FAIL ") << std::left << std::setw(40) << name << std::fixed
                  << std::setprecision(2) << r.seconds << " s\n"
                  << std::flush;
        results.push_back(std::move(r));
      }
    }
    size_t failed = 0;
    for (const auto& r : results) failed += r.rc != 0;
    {  // Functional coverage merged over every run and seed, with its holes (coverage_merge.*).
      std::vector<std::string> dirs;
      for (const auto& r : results) dirs.push_back((fs::path(o->out) / r.name).string());
      const auto cov = dfc::tools::merge_run_reports(dirs);
      dfc::tools::print_coverage_summary(cov, std::cout);
      std::ofstream(fs::path(o->out) / "coverage-merged.json") << dfc::tools::coverage_json(cov).dump(1) << "\n";
    }
    if (!o->junit.empty()) {
      std::ofstream x(o->junit);
      if (!x) {
        std::cerr << "dfcsim regress: " << o->junit << ": cannot write JUnit file\n";
        throw CLI::RuntimeError(2);
      }
      double total = 0;
      for (const auto& r : results) total += r.seconds;
      x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"dfcsim.regress."
        << xml_escape(o->label) << "\" tests=\"" << results.size() << "\" failures=\"" << failed << "\" time=\""
        << total << "\">\n";
      for (const auto& r : results) {
        x << "  <testcase classname=\"dfcsim.regress\" name=\"" << xml_escape(r.name) << "\" time=\"" << r.seconds
          << "\">\n";
        if (r.rc != 0)
          x << "    <failure message=\"exit code " << r.rc << "\">" << xml_escape("rerun: " + r.cmd + "\n" + r.output)
            << "</failure>\n";
        x << "  </testcase>\n";
      }
      x << "</testsuite>\n</testsuites>\n";
    }
    std::cout << results.size() - failed << "/" << results.size() << " passed (label " << o->label << ")\n";
    if (results.empty()) {
      std::cerr << "dfcsim regress: no entry of " << list << " carries the label '" << o->label << "'\n";
      throw CLI::RuntimeError(2);
    }
    if (failed) {
      std::cout << "\nFailures (rerun each with the command shown):\n";
      for (const auto& r : results)
        if (r.rc != 0) {
          std::cout << "  " << r.name << " (exit " << r.rc << ")\n    " << r.cmd << "\n";
          std::istringstream is(r.output);
          std::string l;
          int shown = 0;
          while (std::getline(is, l) && shown++ < 8) std::cout << "      | " << l << "\n";
        }
      throw CLI::RuntimeError(1);
    }
  });
}
