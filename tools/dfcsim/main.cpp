// dfcsim: the command line of the simulator.
//   dfcsim run [SCENARIO] [--config FILE --dtcp FILE --pcap-in FILE | --traffic SPEC] ...
//   dfcsim regress [--label L] [--seeds N] [--junit FILE]
//   dfcsim classbench --rules FILE [--trace FILE] [--classifier rtl|model|lockstep] [--wave vcd|fst]
// Without SCENARIO or --config, `run` uses the built-in default scenario.
#include <systemc>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "classifier_lockstep.hpp"
#include "dfc/config/config.hpp"
#include "common/errors.hpp"
#include "host/harness.hpp"
#include "host/wave.hpp"
#include "dfc_version.hpp"
#include "profile.hpp"
#include "report_exception.hpp"
#include "regress_cmd.hpp"
#include "replay_options.hpp"
#include "rfc2544_cmd.hpp"
#include "classbench_cmd.hpp"
#include "serve_cmd.hpp"

namespace {

std::string read_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open " + what + " file");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// CLI11 validator of --wave-window: the parser's message, or "" when the window is good.
std::string check_wave_window(const std::string& s) {
  dfc::tb::WaveOptions w;
  try {
    dfc::tb::parse_wave_window(s, w);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// The SystemC banner is noise on a tool's output. libsystemc prints it before sc_main runs,
// so the variable is set during static initialisation.
[[maybe_unused]] const int kQuietSystemC = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);

int sc_main(int argc, char* argv[]) {
  CLI::App app{"dfcsim: hardware-in-the-loop simulator of a dynamic-flow-capture service card"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dfcsim " DFC_VERSION_STRING);
  app.footer(dfc::tools::kExitCodeHelp);

  auto* run = app.add_subcommand("run", "simulate the card on a scenario (built-in default without SCENARIO/--config)");
  std::string scenario, config_path, dtcp_path, pcap_in, pcap_timing, traffic, out_dir = "out", profile, classifier,
      wave_window;
  uint64_t packets = 0, seed = 0, schedule_seed = 0;
  std::vector<std::string> sets;
  bool quiet = false;
  run->add_option("scenario", scenario, "scenario file (JSON, see docs/user-guide.md)")->check(CLI::ExistingFile);
  run->add_option("--config", config_path, "DFC configuration (Junos syntax)")->check(CLI::ExistingFile);
  run->add_option("--dtcp", dtcp_path, "DTCP requests in wire format, each ended by an empty line")
      ->check(CLI::ExistingFile);
  auto* o_pcap =
      run->add_option("--pcap-in", pcap_in, "monitored traffic to replay (Ethernet, raw-IP, Linux SLL or SLL2 pcap)")
          ->check(CLI::ExistingFile);
  dfc::tb::PcapReplay replay;
  dfc::tools::add_replay_options(run, replay, o_pcap);
  std::string why;
  run->add_option("--why", why,
                  "explain each monitored packet this BPF expression selects in DIR/why.jsonl (flow table, "
                  "classifier, criteria, copies)");
  run->add_option("--pcap-timing", pcap_timing, "replay with the capture's timing or at line rate")
      ->check(CLI::IsMember({"original", "line-rate"}));
  auto* o_traffic = run->add_option("--traffic", traffic,
                                    "generated traffic, e.g. rate=10g,load=0.5,size=imix,packets=1e5,flows=1000,"
                                    "match=0.3,match-dst=10.1.1.0/24,match-dport=53 (docs/user-guide.md)");
  o_pcap->excludes(o_traffic);
  run->add_option("--packets", packets, "number of packets to generate / replay at most")->check(CLI::Range(1ull, 1ull << 40));
  run->add_option("--seed", seed, "traffic seed");
  run->add_option("--profile", profile, "card profile: ms3, ms400 or a JSON profile file (model/profiles/)");
  run->add_option("--set", sets, "override a profile parameter, KEY=VALUE (repeatable; keys: docs/model.md)")
      ->allow_extra_args(false);
  run->add_option("--schedule-seed", schedule_seed, "perturb the cores' quanta and sync points (0 = none)");
  run->add_option("--classifier", classifier, "classifier implementation (lockstep: RTL and model compared)")
      ->check(CLI::IsMember({"rtl", "model", "lockstep"}));
  dfc::tb::WaveOptions wave;
  auto* o_wave = run->add_option("--wave", wave.format,
                                 "waveforms on SystemC time: DIR/card.vcd|fst (queues, cores, classifier, "
                                 "interconnect) and DIR/classifier.vcd|fst (the RTL; --classifier rtl or lockstep)")
                     ->check(CLI::IsMember({"vcd", "fst"}));
  run->add_option("--wave-window", wave_window, "dump only FROM_US:TO_US of simulated time (e.g. 100:250.5)")
      ->check(check_wave_window)
      ->needs(o_wave);
  // One name per meaning: the waveform is --wave; a --trace left in a script gets told so (hidden).
  std::string removed_trace;
  run->add_option("--trace", removed_trace)->group("")->check([](const std::string&) {
    return std::string("run --trace is now --wave vcd|fst (`classbench --trace` is a header trace)");
  });
  run->add_option("--out", out_dir, "output directory (report.json, report.html, cdest-<id>.pcap, dtcp.log, dtcp.pcap)");
  run->add_flag("-q,--quiet", quiet, "no summary");

  add_regress_subcommand(app, argv[0]);
  add_rfc2544_subcommand(app, argv[0]);
  add_classbench_subcommand(app);
  add_serve_subcommand(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return dfc::tools::exit_for_parse_error(app, e);
  }

  if (run->parsed()) {
    try {
      dfc::tb::RunOptions o;
      if (!scenario.empty()) {
        if (!config_path.empty()) throw std::runtime_error("give a SCENARIO file or --config, not both");
        o = dfc::tb::load_scenario(scenario);
      } else if (config_path.empty()) {
        if (!dtcp_path.empty() || !pcap_in.empty() || !traffic.empty())
          throw std::runtime_error("--dtcp, --pcap-in and --traffic need --config (the default scenario brings its own)");
        o = dfc::tb::default_scenario();
      } else {
        o.config_text = read_file(config_path, "configuration");
        o.config_name = config_path;
        o.name = "cli";
      }
      if (!dtcp_path.empty()) {
        o.dtcp_requests = dfc::tb::split_dtcp_script(read_file(dtcp_path, "DTCP"));
        o.dtcp_name = dtcp_path;
      }
      if (!pcap_in.empty()) o.pcap_in = pcap_in, o.traffic_spec.clear(), o.traffic.clear();
      if (!traffic.empty()) o.traffic_spec = traffic, o.pcap_in.clear(), o.traffic.clear();
      if (!pcap_timing.empty()) o.pcap_timing = pcap_timing;
      if (!pcap_in.empty()) o.replay = replay;
      if ((replay.pps > 0 || replay.mbps > 0 || replay.multiplier != 1) && o.pcap_timing == "line-rate")
        throw std::runtime_error("--pcap-timing line-rate and --pps/--mbps/--multiplier are exclusive");
      o.why = why;
      if (packets) o.packets = packets;
      if (run->count("--seed")) o.seed = seed;
      if (!profile.empty()) o.profile = profile;
      for (const auto& kv : sets) o.profile_sets.push_back(kv);
      if (run->count("--schedule-seed")) o.schedule_seed = schedule_seed;
      if (!classifier.empty()) o.classifier = classifier;
      if (!wave_window.empty()) dfc::tb::parse_wave_window(wave_window, wave);
      o.wave = wave;
      o.out_dir = out_dir;
      o.quiet = quiet;
      const auto res = dfc::tb::run_simulation(o);
      if (auto d = dfc::model::ClassifierLockstep::first_divergence()) {  // RTL != model: run-time failure
        std::cerr << "dfcsim: " << *d;
        return dfc::tools::kExitRunFailure;
      }
      if (!quiet) std::cout << res.summary;
      if (!res.passed()) {
        std::cerr << "dfcsim: scenario '" << o.name << "' FAILED its expectations:\n";
        for (const auto& f : res.failures) std::cerr << "  - " << f << "\n";
        return 3;
      }
      return 0;
    } catch (const dfc::model::ProfileError& e) {
      std::cerr << "dfcsim: profile error: " << e.what() << "\n";
      return dfc::tools::kExitBadInput;
    } catch (...) {
      if (auto d = dfc::model::ClassifierLockstep::first_divergence()) {  // RTL != model: run-time failure
        std::cerr << "dfcsim: " << *d;
        return dfc::tools::kExitRunFailure;
      }
      return dfc::tools::report_exception("dfcsim");
    }
  }
  return 0;
}
