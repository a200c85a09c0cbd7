// What a replay did, tcpreplay-style: the rate asked for (--pps, --mbps, --multiplier, the
// capture's own timing or line rate) against the rate the packets actually arrived at the
// card's ingress, and whether the ingress line held them back. tcpreplay sends as fast as the
// link allows when asked for more and says so only in its closing "Actual:/Rated:" lines;
// dfcsim does the same and names the limit (report.json "replay", one summary line).
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace dfc::tb {

struct ReplayFigures {
  std::string timing = "original";  // "original" | "line-rate" | "pps" | "mbps" | "multiplier"
  double requested_pps = 0, requested_mbps = 0, multiplier = 1;
  uint64_t packets = 0, bytes = 0;          // monitored packets that arrived, their captured bytes
  uint64_t first_arrival_ps = 0, last_arrival_ps = 0;
  double ingress_bps = 0;                   // the card's line
};

// report.json "replay": requested, actual_pps, actual_mbps, span_s, line_bps, limited_by_line.
nlohmann::json replay_json(const ReplayFigures& f);
// "replay: 1000 packets, 64000 bytes in 6.7 us: asked 10 Mpps, actual 148.8 kpps (76.2 Mb/s);
// held back by the ingress line (10 Gb/s): packets arrived back to back".
std::string replay_line(const nlohmann::json& replay);

}  // namespace dfc::tb
