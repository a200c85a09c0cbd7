// Runs one simulation: the card model hosting the firmware, fed by DTCP control sources and
// a traffic source, with every output a user reads written to an output directory:
//   report.json, cdest-<id>.pcap (copies as emitted), dtcp.log (the control exchange).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfc/hal/packet.hpp"
#include "stimulus/pcap_io.hpp"
#include "host/sim_options.hpp"

namespace dfc::tb {

struct TimedRequest {
  uint64_t at_ps = 0;  // after the first monitored packet's slot
  std::string request;
  std::string where;  // where it was written, for messages: "<file>:<line>: request N", "<scenario>: timeline[2]"
};

// Random control-plane churn from one control source: `count` requests at `rate_per_s`,
// starting at start_ps: 55% ADD (a host of dest_pool, Timeout-Packets 1..200, half with
// SendAsync), 15% DELETE of a Criteria-ID range, 10% REFRESH of a range, 10% LIST, 10% NOOP.
struct ChurnSpec {
  std::string csource, cdest;
  std::string dest_pool = "10.1.1.0/24";
  double rate_per_s = 1000;
  uint64_t count = 100;
  uint64_t start_ps = 0;
};
std::vector<TimedRequest> generate_churn(const ChurnSpec& c, uint64_t seed);

struct RunOptions {
  SimOptions sim;  // configuration, profile, classifier, outputs (host/sim_options.hpp)
  // DTCP requests in wire format, delivered in order before traffic starts, each from the
  // control source its Csource-ID names (see dfc::tb::DtcpAgent for Seq/signing).
  std::vector<std::string> dtcp_requests;
  std::vector<int> dtcp_lines;  // line of dtcp_name each request starts on (empty: not from a file)
  std::string dtcp_name = "<dtcp>";
  // Requests at given times after traffic starts (a control-source timeline), and random
  // churn (see ChurnSpec); both interleave with the traffic in arrival order.
  std::vector<TimedRequest> timeline;
  // Card restarts (a timeline entry {"at_ms": N, "event": "restart"}), after traffic start:
  // every criterion is lost, every notification target gets Restart (599), Seq state stays.
  std::vector<uint64_t> restarts;
  std::optional<ChurnSpec> churn;
  // Monitored traffic: packets with arrival times relative to traffic start, a generator
  // spec (dfc::tb::TrafficSpec::parse syntax), or a pcap replayed with its original timing
  // ("original") or back to back at the unit-1 line rate ("line-rate").
  std::vector<Packet> traffic;
  std::string traffic_spec;
  std::string pcap_in;
  std::string pcap_timing = "original";
  PcapReplay replay;  // tcpreplay-style controls of pcap_in (filter, pps, mbps, multiplier, loop)
  std::string why;    // BPF expression: explain each selected monitored packet in out_dir/why.jsonl
  std::optional<uint64_t> seed;     // overrides the traffic spec's seed
  std::optional<uint64_t> packets;  // overrides the traffic spec's packet count / caps a pcap
  uint64_t drain_ps = 1'000'000'000;  // simulated time kept running after the last packet
  std::string card_control_address = "192.0.2.1";  // unit 0 address the sources talk to
  // Pass/fail conditions of a scenario (see docs/user-guide.md, "Scenario files"):
  // {"scoreboard": true, "report": {"<dotted.key>": {"min": x, "max": y, "eq": z}}}
  nlohmann::json expect = nlohmann::json::object();
  std::string name = "default";
};

struct RunResult {
  nlohmann::json report;
  std::string summary;                // short human summary
  std::vector<std::string> failures;  // unmet expectations (empty = pass)
  bool passed() const { return failures.empty(); }
};

// Loads a scenario file (JSON; format in docs/user-guide.md). Paths inside it are relative to
// the file. Throws std::runtime_error "<file>:<line>:<column>: ..." for malformed JSON and
// "<file>:<line>: <field>: ..." for a field of the wrong type or value.
RunOptions load_scenario(const std::string& path);

// Splits a DTCP script (requests in wire format, each ended by an empty line); `lines`, when
// given, gets the line each request starts on.
std::vector<std::string> split_dtcp_script(const std::string& text, std::vector<int>* lines = nullptr);

// Checks opt.expect against a finished run's report; returns the unmet conditions.
std::vector<std::string> check_expectations(const nlohmann::json& expect, const nlohmann::json& report);

// Throws std::runtime_error (or config::ConfigError) with a user-facing message on bad input.
RunResult run_simulation(const RunOptions& opt);

// The built-in default scenario (README's first command).
RunOptions default_scenario();

}  // namespace dfc::tb
