#include "run_cmd.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "cli/exit_codes.hpp"
#include "common/file.hpp"
#include "host/harness.hpp"
#include "race_exec.hpp"
#include "replay_options.hpp"
#include "report_exception.hpp"
#include "sim_options_cli.hpp"

namespace {

using namespace dfc::tools;

// What `run` takes beyond the shared simulation options.
struct RunCli {
  std::string scenario, dtcp_path, pcap_in, pcap_timing, traffic, why, removed_trace;
  uint64_t packets = 0, seed = 0;
  dfc::tb::PcapReplay replay;
  CLI::App* cmd = nullptr;
  std::shared_ptr<SimOptionsCli> sim;
};

// The run's traffic options over the scenario's: a pcap or a generator spec replaces the
// scenario's traffic.
void apply_traffic(const RunCli& c, dfc::tb::RunOptions& o) {
  if (!c.pcap_in.empty()) o.pcap_in = c.pcap_in, o.traffic_spec.clear(), o.traffic.clear();
  if (!c.traffic.empty()) o.traffic_spec = c.traffic, o.pcap_in.clear(), o.traffic.clear();
  if (!c.pcap_timing.empty()) o.pcap_timing = c.pcap_timing;
  if (!c.pcap_in.empty()) o.replay = c.replay;
  if ((c.replay.pps > 0 || c.replay.mbps > 0 || c.replay.multiplier != 1) && o.pcap_timing == "line-rate")
    throw std::runtime_error("--pcap-timing line-rate and --pps/--mbps/--multiplier are exclusive");
  o.why = c.why;
  if (c.packets) o.packets = c.packets;
  if (c.cmd->count("--seed")) o.seed = c.seed;
}

// The scenario (a file, --config, or the built-in default), then the command line over it.
dfc::tb::RunOptions run_options(const RunCli& c) {
  dfc::tb::RunOptions o;
  if (!c.scenario.empty()) {
    if (!c.sim->config_path().empty()) throw std::runtime_error("give a SCENARIO file or --config, not both");
    o = dfc::tb::load_scenario(c.scenario);
  } else if (c.sim->config_path().empty()) {
    if (!c.dtcp_path.empty() || !c.pcap_in.empty() || !c.traffic.empty())
      throw std::runtime_error(
          "--dtcp, --pcap-in and --traffic need --config FILE (the default scenario brings its own): add one, "
          "e.g. --config docs/examples/dfc.conf");
    o = dfc::tb::default_scenario();
  } else {
    c.sim->read_config(o.sim);
    o.name = "cli";
  }
  if (!c.dtcp_path.empty()) {
    o.dtcp_lines.clear();
    o.dtcp_requests = dfc::tb::split_dtcp_script(dfc::common::read_file(c.dtcp_path, "DTCP"), &o.dtcp_lines);
    o.dtcp_name = c.dtcp_path;
  }
  apply_traffic(c, o);
  c.sim->apply(o.sim);
  return o;
}

int run_command(const RunCli& c) {
  try {
    const dfc::tb::RunOptions o = run_options(c);
    // Before the race checker's re-run: the fast card cannot take what only the timing card has.
    if (const std::string why = dfc::tb::fast_mode_conflict(o.sim); !why.empty()) throw std::invalid_argument(why);
    hand_race_check_over(o.sim);
    const auto res = dfc::tb::run_simulation(o);
    if (report_lockstep_divergence("dfcsim")) return kExitRunFailure;  // RTL != model: run-time failure
    if (!o.sim.quiet) std::cout << res.summary;
    if (!res.passed()) {
      std::cerr << "dfcsim: scenario '" << o.name << "' FAILED its expectations:\n";
      for (const auto& f : res.failures) std::cerr << "  - " << f << "\n";
      return kExitExpectations;
    }
    return kExitOk;
  } catch (...) {
    if (report_lockstep_divergence("dfcsim")) return kExitRunFailure;
    return report_exception("dfcsim");
  }
}

void add_input_options(CLI::App* run, RunCli& c) {
  run->add_option("--dtcp", c.dtcp_path, "DTCP requests in wire format, each ended by an empty line")
      ->check(CLI::ExistingFile);
  auto* o_pcap =
      run->add_option("--pcap-in", c.pcap_in, "monitored traffic to replay (Ethernet, raw-IP, Linux SLL or SLL2 pcap)")
          ->check(CLI::ExistingFile);
  add_replay_options(run, c.replay, o_pcap);
  run->add_option("--why", c.why,
                  "explain each monitored packet this BPF expression selects in DIR/why.jsonl (flow table, "
                  "classifier, criteria, copies)");
  run->add_option("--pcap-timing", c.pcap_timing, "replay with the capture's timing or at line rate")
      ->check(CLI::IsMember({"original", "line-rate"}));
  auto* o_traffic = run->add_option("--traffic", c.traffic,
                                    "generated traffic, e.g. rate=10g,load=0.5,size=imix,packets=1e5,flows=1000,"
                                    "match=0.3,match-dst=10.1.1.0/24,match-dport=53 (docs/user-guide.md)");
  o_pcap->excludes(o_traffic);
  run->add_option("--packets", c.packets, "number of packets to generate / replay at most")
      ->transform(whole_number("a packet count", 1, uint64_t{1} << 40, "--packets 100000"));
  run->add_option("--seed", c.seed, "traffic seed");
}

}  // namespace

void add_run_subcommand(CLI::App& app) {
  auto c = std::make_shared<RunCli>();
  c->cmd = app.add_subcommand("run", "simulate the card on a scenario (built-in default without SCENARIO/--config)");
  c->cmd->add_option("scenario", c->scenario, "scenario file (JSON, see docs/user-guide.md)")->check(CLI::ExistingFile);
  c->sim = add_sim_options(c->cmd, "report.json, report.html, cdest-<id>.pcap, dtcp.log, dtcp.pcap", "no summary");
  add_input_options(c->cmd, *c);
  // One name per meaning: the waveform is --wave; a --trace left in a script gets told so (hidden).
  c->cmd->add_option("--trace", c->removed_trace)->group("")->check([](const std::string&) {
    return std::string("run --trace is now --wave vcd|fst (`classbench --trace` is a header trace)");
  });
  c->cmd->callback([c]() {
    const int rc = run_command(*c);
    dfc::tools::card_command_exit_code() = rc;
  });
}
