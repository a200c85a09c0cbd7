// RFC 2544 benchmarks of the card, per frame size: §26.1 throughput (binary search for the
// highest offered rate with no monitored packet and no copy lost), §26.2 latency at that rate,
// §26.3 frame-loss rate against offered load, §26.4 back-to-back (longest burst at line rate
// without loss). Each trial is a full card run (the caller's TrialRunner: `dfcsim rfc2544`
// runs `dfcsim run` in a child process, since SystemC elaborates once per process).
// SystemC-free. Every rate and percentage refers to one line: the card's ingress
// (profile key ingress_bps), or a slower rate the base traffic spec asks for.
#pragma once
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfc::tb::rfc2544 {

// Which benchmarks run. Latency is read from the throughput search's passing trial at the
// found rate, so it costs no trial of its own (and needs the throughput search).
struct Tests {
  bool throughput = true, latency = true, loss = false, back_to_back = false;
};
// "throughput,latency,loss,back-to-back" (any subset) or "all"; throws std::invalid_argument.
Tests parse_tests(const std::string& list);

struct Options {
  // Frame sizes (bytes incl. FCS) or "imix"; RFC 2544 §9.1 sizes for Ethernet plus IMIX.
  std::vector<std::string> sizes = {"64", "128", "256", "512", "1024", "1280", "1518", "imix"};
  // Base traffic spec (TrafficSpec::parse syntax) without size, load and packets (swept here).
  std::string traffic_base;
  double ingress_bps = 10e9;  // the card's ingress line (its profile's ingress_bps)
  Tests tests;
  double trial_ms = 20;       // simulated duration of the offered traffic per trial
  // A trial offers at least this many flow lifetimes' worth of packets (flows × warm_factor),
  // so that nearly every flow is in the flow table for most of the trial (see packets_for).
  double warm_factor = 20;
  double resolution = 0.01;   // searches stop when the bracket is narrower than this fraction
  unsigned max_trials = 16;   // per search and frame size
  // Short trials: a rate the card cannot sustain may still lose nothing while its ingress
  // buffer fills. A throughput trial therefore also fails when the card does not keep up:
  // its achieved rate (processed / (last processing end - first arrival)) falls more than
  // `keep_up` below the offered rate.
  double keep_up = 0.01;
  double loss_step = 0.1;     // §26.3: offered load steps, fraction of the line
};

// The line every percentage refers to: the base spec's rate= when given and not above the
// ingress, else the ingress. A requested rate above the ingress is clipped (and reported).
struct Line {
  double requested_bps = 0;  // rate= of the base spec (0: not given)
  double line_bps = 0;
  bool clipped = false;
};
// Throws std::invalid_argument on a bad base spec (naming --traffic) or one that sets a
// swept key (size, load, packets).
Line resolve_line(const std::string& traffic_base, double ingress_bps);

enum class Kind { Throughput, Loss, BackToBack };
const char* kind_name(Kind k);

struct Trial {
  Kind kind = Kind::Throughput;
  std::string size;
  unsigned index = 0;      // trial number within this size and kind
  double load = 0;         // fraction of the line rate offered
  double line_pps = 0;     // frames/s at 100 % of the line rate for this size
  uint64_t packets = 0;
  std::string traffic;     // the full traffic spec for this trial
};

// Runs one trial; returns the run's report.json. Throws on a failed run.
using TrialRunner = std::function<nlohmann::json(const Trial&)>;

struct Verdict {
  bool pass = false;
  uint64_t packets_in = 0, lost_packets = 0, lost_copies = 0, copies_sent = 0;
  double offered_pps = 0, achieved_pps = 0;
  std::string why;  // why it failed ("" when it passed)
};
// Loss counts of a trial; `keep_up_check` adds the keep-up rule (throughput trials).
Verdict judge(const nlohmann::json& report, const Options& opt, bool keep_up_check = true);

// Comma-separated sizes ("64,1518,imix"); throws std::invalid_argument naming a bad one.
std::vector<std::string> parse_sizes(const std::string& list);
// Mean frame bytes (incl. FCS) of a size spec, and the Ethernet line rate in frames/s
// (each frame at least 64 bytes, plus 20 bytes of preamble, SFD and inter-frame gap).
double mean_frame_bytes(const std::string& size);
double line_rate_pps(const std::string& size, double rate_bps);

// Every selected benchmark for every size:
// {"line_rate_bps", "rate_clipped", ..., "results":[{"frame_size", "throughput_pps", ...}]}.
// Progress lines go to `log` when given. Throws std::invalid_argument on bad options.
nlohmann::json run(const Options& opt, const TrialRunner& runner, std::ostream* log = nullptr);

// The results as fixed-width text tables (what the command prints).
std::string text_tables(const nlohmann::json& doc);
// A self-contained HTML page: throughput (pps, % of line) and latency against frame size on a
// log axis, loss against offered load, back-to-back bursts, and the tables.
std::string report_html(const nlohmann::json& doc);

}  // namespace dfc::tb::rfc2544
