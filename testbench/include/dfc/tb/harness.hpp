// Runs one simulation: the card model hosting the firmware, fed by DTCP control sources and
// a traffic source, with every output a user reads written to an output directory:
//   report.json, cdest-<id>.pcap (copies as emitted), dtcp.log (the control exchange).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dfc/hal/packet.hpp"

namespace dfc::tb {

struct RunOptions {
  std::string config_text;
  std::string config_name = "<config>";  // for error messages (file name)
  // DTCP requests in wire format, delivered in order before traffic starts, each from the
  // control source its Csource-ID names (see dfc::tb::DtcpAgent for Seq/signing).
  std::vector<std::string> dtcp_requests;
  std::string dtcp_name = "<dtcp>";
  // Monitored traffic: either packets with arrival times relative to traffic start, or a pcap.
  std::vector<Packet> traffic;
  std::string pcap_in;
  std::string profile = "ms400";
  std::string classifier = "rtl";
  std::string out_dir = "out";
  uint64_t drain_ps = 1'000'000'000;  // simulated time kept running after the last packet
  std::string card_control_address = "192.0.2.1";  // unit 0 address the sources talk to
  bool quiet = false;
};

struct RunResult {
  nlohmann::json report;
  std::string summary;  // short human summary
};

// Throws std::runtime_error (or config::ConfigError) with a user-facing message on bad input.
RunResult run_simulation(const RunOptions& opt);

// The built-in default scenario (README's first command).
RunOptions default_scenario();

}  // namespace dfc::tb
