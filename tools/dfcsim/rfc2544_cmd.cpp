#include "rfc2544_cmd.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "common/process.hpp"
#include "common/text.hpp"
#include "report/rfc2544.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using dfc::common::shell_quote;

struct Opts {
  std::string self, profile, config, dtcp, traffic, sizes, out = "out/rfc2544", classifier;
  std::vector<std::string> sets;
  double trial_ms = 20, resolution = 0.01;
  bool quiet = false;
};

// The calibration setup of docs/model.md: 1k criteria from one control source, 10 % of
// 1000 flows matching, half of the packets repeating a recent flow.
constexpr const char* kDefaultTraffic =
    "rate=10g,flows=1000,locality=0.5,match=0.1,match-dst=10.200.0.1,match-proto=17,match-dport=1000,seed=1";

json run_trial(const Opts& o, const dfc::tb::rfc2544::Trial& t) {
  const fs::path dir = fs::path(o.out) / "trials" / t.size;
  fs::remove_all(dir);
  std::string cmd = shell_quote(o.self) + " run -q --config " + shell_quote(o.config) + " --dtcp " +
                    shell_quote(o.dtcp) + " --traffic " + shell_quote(t.traffic) + " --out " + shell_quote(dir.string());
  if (!o.profile.empty()) cmd += " --profile " + shell_quote(o.profile);
  for (const auto& s : o.sets) cmd += " --set " + shell_quote(s);
  if (!o.classifier.empty()) cmd += " --classifier " + shell_quote(o.classifier);
  const dfc::common::CommandResult child = dfc::common::run_command(cmd);
  if (!child.started) throw std::runtime_error("cannot start: " + cmd);
  const int rc = child.exit_code();
  std::ifstream f(dir / "report.json");
  json r = json::parse(f, nullptr, false);
  // Exit 3 = the run's own expectations failed: still a valid trial (judged here).
  if ((rc != 0 && rc != 3) || !r.is_object())
    throw std::runtime_error("trial failed (exit " + std::to_string(rc) + "): " + cmd + "\n" + child.output);
  return r;
}

}  // namespace

void add_rfc2544_subcommand(CLI::App& app, const char* argv0) {
  auto* cmd = app.add_subcommand("rfc2544", "RFC 2544 throughput per frame size (binary search over full card runs)");
  auto o = std::make_shared<Opts>();
  o->self = argv0;
  cmd->add_option("--profile", o->profile, "card profile (as for run)");
  cmd->add_option("--set", o->sets, "profile override KEY=VALUE, repeatable (as for run)");
  cmd->add_option("--config", o->config, "DFC configuration (default: testbench/scenarios/configs/one-source.conf)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--dtcp", o->dtcp, "DTCP requests (default: testbench/scenarios/dtcp/1k-criteria.dtcp)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--traffic", o->traffic,
                  std::string("base traffic spec whose size, load and packets are swept (default: ") + kDefaultTraffic + ")");
  cmd->add_option("--sizes", o->sizes, "frame sizes, comma-separated (default: 64,128,256,512,1024,1280,1518,imix)");
  cmd->add_option("--trial-ms", o->trial_ms, "simulated duration of each trial's traffic, ms (default 20)")
      ->check(CLI::Range(0.01, 60000.0));
  cmd->add_option("--resolution", o->resolution, "search resolution, fraction of the rate (default 0.01)")
      ->check(CLI::Range(0.0005, 0.5));
  cmd->add_option("--classifier", o->classifier, "classifier implementation (as for run)");
  cmd->add_option("--out", o->out, "output directory (rfc2544.json, report.html, trials/)");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress lines");
  cmd->callback([o]() {
    try {
      std::error_code ec;
      if (auto p = fs::read_symlink("/proc/self/exe", ec); !ec) o->self = p.string();
      const std::string scen = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/";
      if (o->config.empty()) o->config = scen + "configs/one-source.conf";
      if (o->dtcp.empty()) o->dtcp = scen + "dtcp/1k-criteria.dtcp";
      for (const auto& f : {o->config, o->dtcp})
        if (!fs::exists(f)) throw std::invalid_argument(f + ": not found (give --config and --dtcp)");
      dfc::tb::rfc2544::Options ro;
      ro.traffic_base = o->traffic.empty() ? kDefaultTraffic : o->traffic;
      if (!o->sizes.empty()) ro.sizes = dfc::tb::rfc2544::parse_sizes(o->sizes);
      ro.trial_ms = o->trial_ms;
      ro.resolution = o->resolution;
      fs::create_directories(o->out);
      const json doc = dfc::tb::rfc2544::run(
          ro, [&](const dfc::tb::rfc2544::Trial& t) { return run_trial(*o, t); }, o->quiet ? nullptr : &std::cout);
      json full = doc;
      full["profile"] = o->profile.empty() ? "ms400" : o->profile;
      full["profile_sets"] = o->sets;
      full["config"] = o->config;
      full["dtcp"] = o->dtcp;
      std::ofstream(fs::path(o->out) / "rfc2544.json") << full.dump(2) << "\n";
      std::ofstream(fs::path(o->out) / "report.html") << dfc::tb::rfc2544::report_html(full);
      if (!o->quiet) {
        for (const auto& r : full["results"])
          std::cout << "frame " << r["frame_size"].dump() << ": " << r["throughput_pps"].get<double>() << " pps, "
                    << r["throughput_bps"].get<double>() / 1e6 << " Mbit/s"
                    << (r["bottleneck"].get<std::string>().empty() ? "" : ", bottleneck " + r["bottleneck"].get<std::string>())
                    << "\n";
        std::cout << "rfc2544: " << (fs::path(o->out) / "rfc2544.json").string() << ", "
                  << (fs::path(o->out) / "report.html").string() << "\n";
      }
    } catch (const std::invalid_argument& e) {
      std::cerr << "dfcsim rfc2544: " << e.what() << "\n";
      throw CLI::RuntimeError(dfc::tools::kExitBadInput);
    } catch (const std::exception& e) {
      std::cerr << "dfcsim rfc2544: error: " << e.what() << "\n";
      throw CLI::RuntimeError(dfc::tools::kExitBadInput);
    }
  });
}
