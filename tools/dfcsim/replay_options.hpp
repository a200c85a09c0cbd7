// The tcpreplay-style options of `dfcsim run` and `dfcsim serve` (--pcap-filter, --pps, --mbps,
// --multiplier, --loop): one definition for both subcommands, and the validators of the numeric
// options (`--packets` too) that say what a bad value should have been.
#pragma once
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdint>
#include <string>

#include "stimulus/pcap_io.hpp"

namespace dfc::tools {

// CLI11's Range/PositiveNumber print the whole double range on a bad value (a 300-digit
// number); these say what the option means and give an example. CLI11 prefixes "--opt: ".
// `what`: "a rate"; `give`: "a positive number of packets per second"; `example`: "--pps 100000".
inline CLI::Validator positive_real(const std::string& what, const std::string& give, const std::string& example,
                                    double max = 1e300) {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        double v = 0;
        if (CLI::detail::lexical_cast(s, v) && std::isfinite(v) && v > 0 && v <= max) return "";
        return s + " is not " + what + "; give " + give + " (e.g. " + example + ")";
      },
      "POSITIVE");
}

// A whole number in [lo, hi]; "1e5" is accepted as 100000 (as in --traffic packets=1e5), so add
// it with ->transform (a ->check validator cannot rewrite the value).
inline CLI::Validator whole_number(const std::string& what, uint64_t lo, uint64_t hi, const std::string& example) {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        uint64_t n = 0;
        double d = 0;
        bool ok = s.find('-') == std::string::npos && CLI::detail::lexical_cast(s, n);
        if (!ok && CLI::detail::lexical_cast(s, d) && d >= 0 && d <= double(hi) && d == std::floor(d)) {
          n = static_cast<uint64_t>(d);
          s = std::to_string(n);
          ok = true;
        }
        if (ok && n >= lo && n <= hi) return "";
        return s + " is not " + what + "; give a whole number from " + std::to_string(lo) + " to " +
               std::to_string(hi) + " (e.g. " + example + ")";
      },
      "");  // the option's own type name (UINT) is shown in --help
}

inline void add_replay_options(CLI::App* sub, dfc::tb::PcapReplay& r, CLI::Option* pcap_in) {
  sub->add_option("--pcap-filter", r.filter, "replay only the packets this BPF expression selects (tcpdump syntax)")
      ->needs(pcap_in);
  auto* pps = sub->add_option("--pps", r.pps, "replay at N packets per second, evenly spaced")
                  ->needs(pcap_in)
                  ->check(positive_real("a rate", "a positive number of packets per second", "--pps 100000"));
  auto* mbps = sub->add_option("--mbps", r.mbps, "replay back to back at N megabits per second (captured length)")
                   ->needs(pcap_in)
                   ->check(positive_real("a rate", "a positive number of megabits per second", "--mbps 1000"));
  auto* mult = sub->add_option("--multiplier", r.multiplier,
                               "replay the capture's own timing X times faster (0.5 = half speed)")
                   ->needs(pcap_in)
                   ->check(positive_real("a speed factor", "a positive factor up to 1e9",
                                         "--multiplier 2 for twice as fast, 0.5 for half speed", 1e9));
  sub->add_option("--loop", r.loop, "replay the capture N times (each pass one mean gap after the last)")
      ->needs(pcap_in)
      ->transform(whole_number("a number of passes", 1, uint64_t{1} << 32, "--loop 3"));
  pps->excludes(mbps);
  mult->excludes(pps)->excludes(mbps);
}

}  // namespace dfc::tools
