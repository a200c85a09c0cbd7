// The tcpreplay-style options of `dfcsim run` and `dfcsim serve` (--pcap-filter, --pps, --mbps,
// --multiplier, --loop): one definition for both subcommands.
#pragma once
#include <CLI/CLI.hpp>

#include "stimulus/pcap_io.hpp"

namespace dfc::tools {

inline void add_replay_options(CLI::App* sub, dfc::tb::PcapReplay& r, CLI::Option* pcap_in) {
  sub->add_option("--pcap-filter", r.filter, "replay only the packets this BPF expression selects (tcpdump syntax)")
      ->needs(pcap_in);
  auto* pps = sub->add_option("--pps", r.pps, "replay at N packets per second, evenly spaced")
                  ->needs(pcap_in)
                  ->check(CLI::PositiveNumber);
  auto* mbps = sub->add_option("--mbps", r.mbps, "replay back to back at N megabits per second (captured length)")
                   ->needs(pcap_in)
                   ->check(CLI::PositiveNumber);
  auto* mult = sub->add_option("--multiplier", r.multiplier,
                               "replay the capture's own timing X times faster (0.5 = half speed)")
                   ->needs(pcap_in)
                   ->check(CLI::PositiveNumber);
  sub->add_option("--loop", r.loop, "replay the capture N times (each pass one mean gap after the last)")
      ->needs(pcap_in)
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
  pps->excludes(mbps);
  mult->excludes(pps)->excludes(mbps);
}

}  // namespace dfc::tools
