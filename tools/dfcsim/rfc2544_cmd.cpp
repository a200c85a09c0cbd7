#include "rfc2544_cmd.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "common/errors.hpp"
#include "common/file.hpp"
#include "common/process.hpp"
#include "common/text.hpp"
#include "dfc/config/config.hpp"
#include "host/harness.hpp"
#include "profile.hpp"
#include "report/rfc2544.hpp"
#include "report_exception.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
namespace r2544 = dfc::tb::rfc2544;

namespace {

using dfc::common::shell_quote;

struct Opts {
  std::string self, profile, config, dtcp, traffic, sizes, tests = "throughput,latency", out = "out/rfc2544",
                                                             classifier, firmware, mode;
  std::vector<std::string> sets;
  double trial_ms = 20, resolution = 0.01;
  unsigned max_trials = 16;
  bool quiet = false;
};

// The calibration setup of docs/model.md: 1k criteria from one control source, 10 % of
// 1000 flows matching, half of the packets repeating a recent flow. No rate: the line is the
// card's ingress.
constexpr const char* kDefaultTraffic =
    "flows=1000,locality=0.5,match=0.1,match-dst=10.200.0.1,match-proto=17,match-dport=1000,seed=1";

// A default input file: under share/dfcsim/scenarios of an installed dfcsim
// (<prefix>/bin/dfcsim), else in the source tree it was built from.
std::string default_file(const std::string& self, const std::string& rel) {
  const fs::path installed = fs::path(self).parent_path().parent_path() / "share/dfcsim/scenarios" / rel;
  std::error_code ec;
  if (fs::exists(installed, ec)) return installed.string();
  return std::string(DFC_SOURCE_DIR) + "/testbench/scenarios/" + rel;
}

json run_trial(const Opts& o, const r2544::Trial& t) {
  const fs::path dir = fs::path(o.out) / "trials" / (t.size + "-" + r2544::kind_name(t.kind));
  fs::remove_all(dir);
  std::string cmd = shell_quote(o.self) + " run -q --config " + shell_quote(o.config) + " --dtcp " +
                    shell_quote(o.dtcp) + " --traffic " + shell_quote(t.traffic) + " --out " + shell_quote(dir.string());
  if (!o.profile.empty()) cmd += " --profile " + shell_quote(o.profile);
  for (const auto& s : o.sets) cmd += " --set " + shell_quote(s);
  if (!o.classifier.empty()) cmd += " --classifier " + shell_quote(o.classifier);
  if (!o.firmware.empty()) cmd += " --firmware " + shell_quote(o.firmware);
  if (!o.mode.empty()) cmd += " --mode " + o.mode;
  const dfc::common::CommandResult child = dfc::common::run_command(cmd);
  if (!child.started) throw dfc::tb::RunFailure("cannot start a trial: " + cmd);
  const int rc = child.exit_code();
  std::ifstream f(dir / "report.json");
  json r = json::parse(f, nullptr, false);
  // Exit 3 = the run's own expectations failed: still a valid trial (judged here).
  if ((rc != 0 && rc != 3) || !r.is_object())
    throw dfc::tb::RunFailure(std::string(r2544::kind_name(t.kind)) + " trial " + std::to_string(t.index) + " of size " +
                              t.size + " failed (exit " + std::to_string(rc) + "):\n" + child.output +
                              "rerun it with: " + cmd);
  return r;
}

// Everything a trial would only notice later, checked before the first one: one line each,
// exit 2. Returns the card's ingress line (the profile's ingress_bps after --set).
double validate(Opts& o, r2544::Options& ro) {
  o.config = o.config.empty() ? default_file(o.self, "configs/one-source.conf") : o.config;
  o.dtcp = o.dtcp.empty() ? default_file(o.self, "dtcp/1k-criteria.dtcp") : o.dtcp;
  for (const auto& [f, opt] : {std::pair{o.config, "--config"}, std::pair{o.dtcp, "--dtcp"}})
    if (!fs::exists(f))
      throw std::invalid_argument(std::string(opt) + " " + f + ": not found (give " + opt + " FILE)");
  dfc::config::parse_config(dfc::common::read_file(o.config, "configuration"), o.config);
  dfc::tb::split_dtcp_script(dfc::common::read_file(o.dtcp, "DTCP"), nullptr);
  const dfc::model::CardProfile prof =
      dfc::model::load_profile(o.profile.empty() ? dfc::tb::SimOptions().profile : o.profile, o.sets);
  ro.ingress_bps = prof.ingress_bps;
  ro.traffic_base = o.traffic.empty() ? kDefaultTraffic : o.traffic;
  r2544::resolve_line(ro.traffic_base, ro.ingress_bps);
  if (!o.sizes.empty()) ro.sizes = r2544::parse_sizes(o.sizes);
  ro.tests = r2544::parse_tests(o.tests);
  ro.trial_ms = o.trial_ms;
  ro.resolution = o.resolution;
  ro.max_trials = o.max_trials;
  return prof.ingress_bps;
}

int rfc2544_command(Opts& o) {
  try {
    std::error_code ec;
    if (auto p = fs::read_symlink("/proc/self/exe", ec); !ec) o.self = p.string();
    r2544::Options ro;
    validate(o, ro);
    fs::create_directories(o.out);
    json doc = r2544::run(
        ro, [&](const r2544::Trial& t) { return run_trial(o, t); }, o.quiet ? nullptr : &std::cout);
    doc["profile"] = o.profile.empty() ? dfc::tb::SimOptions().profile : o.profile;
    doc["profile_sets"] = o.sets;
    if (!o.firmware.empty()) doc["firmware"] = o.firmware;
    doc["model"] = o.mode.empty() ? "timing" : o.mode;
    doc["config"] = o.config;
    doc["dtcp"] = o.dtcp;
    const fs::path js = fs::path(o.out) / "rfc2544.json", html = fs::path(o.out) / "report.html";
    std::ofstream(js) << doc.dump(2) << "\n";
    std::ofstream(html) << r2544::report_html(doc);
    if (!std::ifstream(js) || !std::ifstream(html)) throw dfc::tb::RunFailure("cannot write " + js.string());
    if (doc.value("rate_clipped", false))
      std::cerr << "dfcsim rfc2544: note: " << doc["rate_note"].get<std::string>() << "\n";
    if (!o.quiet) std::cout << "\n" << r2544::text_tables(doc) << "\nrfc2544: " << js.string() << ", " << html.string() << "\n";
    return dfc::tools::kExitOk;
  } catch (const std::invalid_argument& e) {
    std::cerr << "dfcsim rfc2544: " << e.what() << "\n";
    return dfc::tools::kExitBadInput;
  } catch (...) {
    return dfc::tools::report_exception("dfcsim rfc2544");
  }
}

}  // namespace

void add_rfc2544_subcommand(CLI::App& app, const char* argv0) {
  auto* cmd = app.add_subcommand("rfc2544", "RFC 2544 throughput, latency, frame loss and back-to-back per frame size "
                                            "(each trial a full card run)");
  auto o = std::make_shared<Opts>();
  o->self = argv0;
  cmd->add_option("--profile", o->profile, "card profile (as for run; default ms400); its ingress_bps is the line");
  cmd->add_option("--set", o->sets, "profile override KEY=VALUE, repeatable (as for run)")->allow_extra_args(false);
  cmd->add_option("--config", o->config, "DFC configuration (default: scenarios/configs/one-source.conf)");
  cmd->add_option("--dtcp", o->dtcp, "DTCP requests (default: scenarios/dtcp/1k-criteria.dtcp)");
  cmd->add_option("--traffic", o->traffic,
                  std::string("base traffic spec without size, load, packets (default: ") + kDefaultTraffic +
                      "); a rate= above the card's ingress is clipped to it");
  cmd->add_option("--sizes", o->sizes, "frame sizes, comma-separated (default: 64,128,256,512,1024,1280,1518,imix)");
  cmd->add_option("--tests", o->tests, "throughput, latency, loss, back-to-back (comma-separated) or all "
                                       "(default: throughput,latency)");
  cmd->add_option("--trial-ms", o->trial_ms, "simulated traffic per trial, ms (default 20; at least 20 x flows frames)")
      ->check(CLI::Range(0.01, 60000.0));
  cmd->add_option("--resolution", o->resolution, "search resolution, fraction of the rate (default 0.01)")
      ->check(CLI::Range(0.001, 0.5));
  cmd->add_option("--max-trials", o->max_trials, "trials per search and frame size at most (default 16)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--classifier", o->classifier, "classifier implementation (as for run)")
      ->check(CLI::IsMember({"rtl", "model", "lockstep"}));
  cmd->add_option("--firmware", o->firmware,
                  "every trial runs this firmware image on the card's instruction-set simulators (as for run)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mode", o->mode, "card model of every trial: timing (default) or fast (as for run; docs/fast-mode.md)")
      ->check(CLI::IsMember({"timing", "fast"}));
  cmd->add_option("--out", o->out, "output directory (rfc2544.json, report.html, trials/; default out/rfc2544)");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress lines and tables");
  cmd->callback([o]() {
    const int rc = rfc2544_command(*o);
    if (rc != dfc::tools::kExitOk) throw CLI::RuntimeError(rc);
  });
}
