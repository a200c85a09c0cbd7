// RFC 2544 §26.1 throughput: for each frame size, the highest offered rate at which the card
// loses no monitored packet and no copy over a trial, found by binary search over trials.
// Each trial is a full card run (the caller's TrialRunner: `dfcsim rfc2544` runs `dfcsim run`
// in a child process, since SystemC elaborates once per process). SystemC-free.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfc::tb::rfc2544 {

struct Options {
  // Frame sizes (bytes incl. FCS) or "imix"; RFC 2544 §9.1 sizes for Ethernet plus IMIX.
  std::vector<std::string> sizes = {"64", "128", "256", "512", "1024", "1280", "1518", "imix"};
  // Base traffic spec (TrafficSpec::parse syntax); its size, load and packets are swept.
  std::string traffic_base;
  double trial_ms = 20;      // simulated duration of the offered traffic per trial
  double resolution = 0.01;  // stop when the pass/fail bracket is narrower than this fraction
  unsigned max_trials = 14;  // per frame size
  // Short trials: a rate the card cannot sustain may still lose nothing while its ingress
  // buffer fills. A trial therefore also fails when the card does not keep up: its achieved
  // rate (processed / (last processing end - first arrival)) falls more than `keep_up` below
  // the offered rate.
  double keep_up = 0.01;
};

struct Trial {
  std::string size;
  double load = 0;         // fraction of the line rate offered
  double line_pps = 0;     // frames/s at 100 % of the line rate for this size
  uint64_t packets = 0;
  std::string traffic;     // the full traffic spec for this trial
};

// Runs one trial; returns the run's report.json. Throws on a failed run.
using TrialRunner = std::function<nlohmann::json(const Trial&)>;

struct Verdict {
  bool pass = false;
  uint64_t lost_packets = 0, lost_copies = 0;
  double offered_pps = 0, achieved_pps = 0;
  std::string why;  // why it failed ("" when it passed)
};
Verdict judge(const nlohmann::json& report, const Options& opt);

// Comma-separated sizes ("64,1518,imix"); throws std::invalid_argument naming a bad one.
std::vector<std::string> parse_sizes(const std::string& list);
// Mean frame bytes (incl. FCS) of a size spec, and the line rate in frames/s.
double mean_frame_bytes(const std::string& size);
double line_rate_pps(const std::string& size, double rate_bps);

// The search for every size: {"results":[{"frame_size":64|"imix", "throughput_pps", ...}]}.
// Progress lines go to `log` when given. Throws std::invalid_argument on a bad base spec.
nlohmann::json run(const Options& opt, const TrialRunner& runner, std::ostream* log = nullptr);

// A self-contained HTML page: the throughput curve (pps and bps against frame size) and a
// table of the results.
std::string report_html(const nlohmann::json& doc);

}  // namespace dfc::tb::rfc2544
