#include "race_exec.hpp"
#include "serve_cmd.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/exit_codes.hpp"
#include "host/serve.hpp"
#include "replay_options.hpp"
#include "report_exception.hpp"
#include "sim_options_cli.hpp"

void add_serve_subcommand(CLI::App& app) {
  auto opt = std::make_shared<dfc::tb::ServeOptions>();
  auto* sub = app.add_subcommand(
      "serve", "run the card in real time: DTCP on UDP sockets (each control source's service-port), "
               "notifications to the notification-targets, copies to cdest-<id>.pcap; ends on SIGINT/SIGTERM");
  auto sim = dfc::tools::add_sim_options(sub, "report.json, report.html, cdest-<id>.pcap, dtcp.log", "only the ready line");
  sim->config()->required();
  sub->add_option("--listen", opt->listen, "local address of the service-port sockets")->capture_default_str();
  sub->add_option("--notify-to", opt->notify_to,
                  "send notifications to this address instead of the configured target address (port kept)");
  sub->add_option("--copies-to", opt->copies_to,
                  "also send each copy live as UDP to ADDR[:PORT] in Juniper packet-mirror (jmirror) format "
                  "(port default 30030)");
  sub->add_option("--traffic", opt->traffic_spec,
                  "generated monitored traffic: the `run --traffic` spec plus pps=N, e.g. "
                  "pps=100,packets=100000,flows=10,match=1,match-dst=10.1.1.1,match-proto=17,match-dport=53");
  auto* pcap_in = sub->add_option("--pcap-in", opt->pcap_in,
                                  "monitored traffic replayed with its original timing (Ethernet, raw-IP, SLL, SLL2; - or a FIFO: a pipe)")
                      ->check([](const std::string& f) {  // "-": standard input (a pipe), as tcpdump -r -
        return f == "-" ? std::string() : CLI::ExistingFile(f);
      });
  dfc::tools::add_replay_options(sub, opt->replay, pcap_in);
  sub->add_option("--traffic-start", opt->traffic_start_s, "seconds after start before the traffic begins")
      ->check(CLI::Range(0.0, 1e6))->capture_default_str();
  sub->add_option("--duration", opt->duration_s, "stop after S seconds (0: run until SIGINT/SIGTERM)")
      ->check(CLI::Range(0.0, 1e7))->capture_default_str();
  sub->add_option("--max-lag", opt->max_lag_ms,
                  "lag bound in ms: traffic the host could only offer later than this after its due time is not "
                  "offered to the card but counted as host-late (report.json realtime.host_late_packets)")
      ->check(CLI::Range(0.1, 60000.0))->capture_default_str();
  sub->add_option("--control-address", opt->card_control_address,
                  "unit-0 address the firmware sees as the request destination (default: --listen)");
  sub->callback([opt, sim]() {
    int rc = dfc::tools::kExitOk;
    try {
      sim->read_config(opt->sim);
      sim->apply(opt->sim);
      dfc::tools::hand_race_check_over(opt->sim);
      const nlohmann::json r = dfc::tb::serve(*opt);
      if (dfc::tools::report_lockstep_divergence("dfcsim serve")) {
        rc = dfc::tools::kExitRunFailure;
      } else if (r.contains("incomplete")) {  // the piped capture ended mid-record
        std::cerr << "dfcsim serve: error: " << r["incomplete"]["error"].get<std::string>() << "\n";
        rc = dfc::tools::kExitBadInput;
      }
    } catch (...) {
      rc = dfc::tools::report_lockstep_divergence("dfcsim serve") ? dfc::tools::kExitRunFailure
                                                                   : dfc::tools::report_exception("dfcsim serve");
    }
    dfc::tools::card_command_exit_code() = rc;
  });
}
