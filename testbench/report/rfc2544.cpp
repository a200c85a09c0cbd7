#include "report/rfc2544.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "common/text.hpp"
#include "stimulus/traffic.hpp"

namespace dfc::tb::rfc2544 {

using nlohmann::json;

namespace {

double num(const json& j, const char* k, double dflt = 0) {
  auto it = j.find(k);
  return it != j.end() && it->is_number() ? it->get<double>() : dflt;
}

std::string fmt(double v, int prec = 6) {
  std::ostringstream s;
  s << std::setprecision(prec) << v;
  return s.str();
}

// Rounded to `decimals` places (JSON and tables: no 16-digit floats).
double round_to(double v, int decimals) { return std::round(v * std::pow(10.0, decimals)) / std::pow(10.0, decimals); }

std::string fixed(double v, int decimals) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(decimals) << v;
  return s.str();
}

// An axis label: as many decimals as a number of that size needs.
std::string tick(double v) { return fixed(v, std::fabs(v) >= 100 ? 0 : std::fabs(v) >= 10 ? 1 : 2); }

}  // namespace

Tests parse_tests(const std::string& list) {
  if (list == "all") return Tests{true, true, true, true};
  Tests t{false, false, false, false};
  for (const std::string& s : common::split(list, ',')) {
    if (s == "throughput") t.throughput = true;
    else if (s == "latency") t.latency = true;
    else if (s == "loss") t.loss = true;
    else if (s == "back-to-back") t.back_to_back = true;
    else
      throw std::invalid_argument("--tests: '" + s + "' is not a test (throughput, latency, loss, back-to-back or all)");
  }
  if (!(t.throughput || t.latency || t.loss || t.back_to_back))
    throw std::invalid_argument("--tests: no test given (e.g. --tests throughput,latency)");
  return t;
}

std::vector<std::string> parse_sizes(const std::string& list) {
  std::vector<std::string> out;
  for (const std::string& s : common::split(list, ',')) {
    if (s != "imix") {
      size_t used = 0;
      unsigned long v = 0;
      try {
        v = std::stoul(s, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != s.size() || v < 64 || v > 1518)
        throw std::invalid_argument("--sizes: '" + s + "' is not a frame size (64..1518 bytes) or 'imix'");
    }
    out.push_back(s);
  }
  if (out.empty()) throw std::invalid_argument("--sizes: no frame size given (e.g. 64,1518,imix)");
  return out;
}

double mean_frame_bytes(const std::string& size) { return SizeModel(size).mean(); }

double line_rate_pps(const std::string& size, double rate_bps) {
  return rate_bps / ((std::max(64.0, mean_frame_bytes(size)) + 20.0) * 8.0);
}

Line resolve_line(const std::string& base, double ingress_bps) {
  Line l;
  for (const std::string& kv : common::split(base, ',')) {
    const std::string k = kv.substr(0, kv.find('='));
    if (k == "size" || k == "load" || k == "packets")
      throw std::invalid_argument("--traffic: '" + k + "' is chosen by rfc2544 for each trial (frame sizes: --sizes); "
                                  "remove it from the spec");
  }
  if (!base.empty()) {
    try {
      const TrafficSpec t = TrafficSpec::parse(base);
      if (base.find("rate=") != std::string::npos) l.requested_bps = t.rate_bps;
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--traffic: ") + e.what());
    }
  }
  l.clipped = l.requested_bps > ingress_bps;
  l.line_bps = l.requested_bps > 0 && !l.clipped ? l.requested_bps : ingress_bps;
  return l;
}

const char* kind_name(Kind k) {
  return k == Kind::Throughput ? "throughput" : k == Kind::Loss ? "loss" : "back-to-back";
}

namespace {

int last_nonzero(const json& v) {
  int last = -1;
  for (size_t i = 0; v.is_array() && i < v.size(); ++i) last = v[i].is_number() && v[i].get<double>() > 0 ? int(i) : last;
  return last;
}

// Seconds from the last offered packet to the last copy leaving the card, from the run's
// time series (to a bucket); -1 when the report has no such series. A stage behind the
// cores (egress, its queue) that cannot keep up shows here, not in achieved_pps.
double copies_drain_s(const json& r, double* bucket_s) {
  const json ts = r.value("timeseries", json::object());
  const json series = ts.value("series", json::object());
  *bucket_s = num(ts, "bucket_s");
  int offered = -1, copies = -1;
  for (const auto& [k, v] : series.items()) {
    if (k == "offered") offered = last_nonzero(v);
    else if (k.rfind("copies:", 0) == 0) copies = std::max(copies, last_nonzero(v));
  }
  if (offered < 0 || copies < 0 || *bucket_s <= 0) return -1;
  return double(copies - offered) * *bucket_s;
}

}  // namespace

Verdict judge(const json& r, const Options& opt, bool keep_up_check) {
  Verdict v;
  v.offered_pps = num(r, "offered_pps");
  v.achieved_pps = num(r, "achieved_pps");
  v.packets_in = static_cast<uint64_t>(num(r, "packets_in"));
  v.copies_sent = static_cast<uint64_t>(num(r, "copies_sent"));
  // Every counted drop is a loss except what the configuration asks for (max-duplicates)
  // and what the card is specified not to intercept (non-IP, MPLS, malformed frames).
  if (auto d = r.find("drops"); d != r.end() && d->is_object())
    for (const auto& [k, n] : d->items()) {
      if (!n.is_number() || k == "copies_max_duplicates" || k.rfind("not_intercepted_", 0) == 0) continue;
      (k.find("cop") != std::string::npos ? v.lost_copies : v.lost_packets) += n.get<uint64_t>();
    }
  const json sb = r.value("scoreboard", json::object());
  const uint64_t missing = sb.value("missing_copies", uint64_t{0}), explained = sb.value("explained_missing", uint64_t{0});
  if (missing > explained) v.lost_copies += missing - explained;
  std::ostringstream why;
  if (v.lost_packets) why << v.lost_packets << " packet(s) lost; ";
  if (v.lost_copies) why << v.lost_copies << " copy(ies) lost; ";
  if (!sb.value("pass", false)) why << "scoreboard failed; ";
  if (keep_up_check) {
    if (v.achieved_pps < (1.0 - opt.keep_up) * v.offered_pps)
      why << "did not keep up (processed " << fixed(v.achieved_pps, 0) << " of " << fixed(v.offered_pps, 0)
          << " pps); ";
    double bucket = 0;
    const double drain = copies_drain_s(r, &bucket);
    const double span = v.offered_pps > 0 && v.packets_in > 1 ? double(v.packets_in - 1) / v.offered_pps : 0;
    if (drain > opt.keep_up * span + bucket)
      why << "copies fell behind (the last left " << fixed(drain * 1e6, 0) << " us after the last arrival); ";
  }
  v.why = why.str();
  v.pass = v.why.empty();
  return v;
}

namespace {

// What every search of one run shares.
struct Ctx {
  const Options& opt;
  Line line;
  uint64_t warm_packets;
  const TrialRunner& runner;
  std::ostream* log;
};

// At least warm_packets: with F flows drawn at random, after 20 F packets the chance that a
// flow has not yet been seen is below e^-10 even without locality, so the flow table is warm
// for all but the first few per cent of the trial.
uint64_t packets_for(const Ctx& c, double line_pps, double load) {
  return std::max<uint64_t>(c.warm_packets, static_cast<uint64_t>(std::llround(line_pps * load * c.opt.trial_ms / 1e3)));
}

json run_trial(const Ctx& c, Kind kind, const std::string& size, unsigned index, double load, uint64_t packets,
               Verdict* out) {
  Trial t;
  t.kind = kind;
  t.size = size;
  t.index = index;
  t.load = load;
  t.line_pps = line_rate_pps(size, c.line.line_bps);
  t.packets = packets;
  // The later keys win: the base spec's own rate (if any) is replaced by the line.
  t.traffic = (c.opt.traffic_base.empty() ? "" : c.opt.traffic_base + ",") + "rate=" + fmt(c.line.line_bps, 12) +
              ",size=" + size + ",load=" + fmt(load, 9) + ",packets=" + std::to_string(packets);
  const json rep = c.runner(t);
  *out = judge(rep, c.opt, kind == Kind::Throughput);
  if (c.log)
    *c.log << "rfc2544: " << kind_name(kind) << " size " << size << " load " << fixed(100 * load, 2) << " % ("
           << packets << " frames, " << fixed(out->offered_pps, 0) << " pps offered): "
           << (out->pass ? "pass" : "FAIL " + out->why) << "\n";
  return rep;
}

json trial_json(double load, uint64_t packets, const Verdict& v) {
  return {{"load", round_to(load, 6)},
          {"packets", packets},
          {"offered_pps", round_to(v.offered_pps, 0)},
          {"achieved_pps", round_to(v.achieved_pps, 0)},
          {"lost_packets", v.lost_packets},
          {"lost_copies", v.lost_copies},
          {"pass", v.pass},
          {"why", v.why}};
}

// §26.1: binary search on the offered load in (0, 1] of the line. The bracket [lo, hi]
// always holds the highest passing load (lo) and the lowest failing one (hi). Guided probes
// may replace the midpoint: after a trial the cores could not keep up with (at most twice),
// just under the rate they processed; after such a probe passes, steps above it of 2, 4, 8 ...
// times the resolution until one fails. Every probe lies inside the bracket, so the search
// ends within ~log2(1/resolution) + 4 trials.
void search_throughput(const Ctx& c, const std::string& size, json& res) {
  const Options& o = c.opt;
  const double line_pps = line_rate_pps(size, c.line.line_bps);
  json trials = json::array(), best, lowest_fail;
  double lo = 0, hi = 1, load = 1, step = 0;  // step > 0: galloping up from a guided probe
  unsigned hints = 0;
  for (unsigned t = 0; t < o.max_trials; ++t) {
    Verdict v;
    const uint64_t packets = packets_for(c, line_pps, load);
    json rep = run_trial(c, Kind::Throughput, size, t, load, packets, &v);
    trials.push_back(trial_json(load, packets, v));
    (v.pass ? lo : hi) = load;
    double next = (lo + hi) / 2;
    if (v.pass) {
      best = std::move(rep);
      if (lo >= 1.0) break;
      if (step > 0) next = std::min(next, lo * (1 + step)), step *= 2;
    } else {
      step = 0;
      lowest_fail = std::move(rep);
      // A trial the cores could not keep up with processed at about their capacity.
      if (hints < 2 && v.achieved_pps < (1 - o.keep_up) * v.offered_pps) {
        ++hints;
        const double hint = v.achieved_pps / line_pps * (1 - o.resolution / 2);
        if (hint > lo && hint < hi) next = hint, step = 2 * o.resolution;
      }
    }
    if (hi - lo <= o.resolution * hi) break;
    if (lo == 0 && hi < o.resolution) break;  // nothing passes even at a resolution's worth of the line
    load = next;
  }
  const bool found = best.is_object();
  const json& at = found ? best : lowest_fail;
  const double pps = found ? num(best, "offered_pps", lo * line_pps) : 0.0;
  res["throughput_pps"] = round_to(pps, 0);
  res["throughput_bps"] = round_to(pps * mean_frame_bytes(size) * 8.0, 0);  // frame bits (no preamble and IFG)
  res["throughput_pct_of_line"] = round_to(100 * pps / line_pps, 2);
  res["throughput_load"] = round_to(lo, 6);
  res["lowest_failing_load"] = hi < 1 || !found ? json(round_to(hi, 6)) : json(nullptr);
  res["found"] = found;
  // The bottleneck at the found rate; with nothing passing, at the lowest failing rate.
  res["bottleneck"] = at.is_object() ? at.value("bottleneck", std::string()) : std::string();
  res["bottleneck_at"] = found ? "throughput" : "lowest failing trial";
  res["utilisation"] = at.is_object() ? at.value("utilisation", json::object()) : json::object();
  res["trials"] = trials;
  if (o.tests.latency) {
    json lat = found ? best.value("latency", json::object()) : json::object();
    lat.erase("histogram");
    for (auto& [k, val] : lat.items())
      if (val.is_number_float()) val = round_to(val.get<double>(), 3);
    res["latency"] = lat;
  }
}

// §26.3: loss against offered load, from 100 % of the line down in steps, until two trials
// in a row lose nothing (or the steps run out).
json loss_sweep(const Ctx& c, const std::string& size) {
  const double line_pps = line_rate_pps(size, c.line.line_bps);
  json steps = json::array();
  unsigned clean = 0;
  const auto n = static_cast<unsigned>(std::ceil(1.0 / c.opt.loss_step - 1e-9));
  for (unsigned k = 0; k < n && clean < 2; ++k) {
    const double load = 1.0 - k * c.opt.loss_step;
    if (load <= 1e-9) break;
    Verdict v;
    const uint64_t packets = packets_for(c, line_pps, load);
    run_trial(c, Kind::Loss, size, k, load, packets, &v);
    const uint64_t copies_due = v.copies_sent + v.lost_copies;
    json s = trial_json(load, packets, v);
    s["load_pct"] = round_to(100 * load, 2);
    s["packets_in"] = v.packets_in;
    s["packet_loss_pct"] = v.packets_in ? round_to(100.0 * double(v.lost_packets) / double(v.packets_in), 3) : 0.0;
    s["copies_due"] = copies_due;
    s["copy_loss_pct"] = copies_due ? round_to(100.0 * double(v.lost_copies) / double(copies_due), 3) : 0.0;
    s.erase("pass");
    s.erase("why");
    clean = v.lost_packets == 0 && v.lost_copies == 0 ? clean + 1 : 0;
    steps.push_back(s);
  }
  return steps;
}

// §26.4: the longest burst of back-to-back frames at line rate (then idle until the card has
// drained) with nothing lost, by bisection on the burst length in log space (lengths span
// orders of magnitude), to the resolution. The longest burst tried is one trial's worth.
json back_to_back(const Ctx& c, const std::string& size) {
  const double line_pps = line_rate_pps(size, c.line.line_bps);
  const uint64_t longest = packets_for(c, line_pps, 1.0);
  json trials = json::array();
  uint64_t lo = 0, hi = longest + 1, n = longest;
  for (unsigned t = 0; t < c.opt.max_trials; ++t) {
    Verdict v;
    run_trial(c, Kind::BackToBack, size, t, 1.0, n, &v);
    trials.push_back({{"frames", n}, {"lost_packets", v.lost_packets}, {"lost_copies", v.lost_copies}, {"pass", v.pass}});
    (v.pass ? lo : hi) = n;
    if (lo == longest || hi - lo <= std::max<uint64_t>(1, static_cast<uint64_t>(c.opt.resolution * double(hi)))) break;
    const double g = std::sqrt(double(std::max<uint64_t>(lo, 1)) * double(hi));
    n = std::clamp<uint64_t>(static_cast<uint64_t>(std::llround(g)), lo + 1, hi - 1);
  }
  const double wire_s = (std::max(64.0, mean_frame_bytes(size)) + 20.0) * 8.0 / c.line.line_bps;
  return {{"frames", lo},
          {"burst_us", round_to(double(lo) * wire_s * 1e6, 1)},
          {"longest_tried", longest},
          {"at_longest", lo == longest},
          {"trials", trials}};
}

}  // namespace

json run(const Options& opt_in, const TrialRunner& runner, std::ostream* log) {
  Options opt = opt_in;
  if (opt.tests.latency) opt.tests.throughput = true;  // latency is measured at the throughput rate
  if (opt.sizes.empty()) throw std::invalid_argument("--sizes: no frame size given (e.g. 64,1518,imix)");
  if (!(opt.trial_ms > 0)) throw std::invalid_argument("--trial-ms must be positive");
  if (!(opt.resolution > 0 && opt.resolution < 1)) throw std::invalid_argument("--resolution must be in (0, 1)");
  if (!(opt.loss_step > 0 && opt.loss_step <= 1)) throw std::invalid_argument("the loss step must be in (0, 1]");
  if (!(opt.ingress_bps > 0)) throw std::invalid_argument("the card's ingress_bps must be positive");
  const Line line = resolve_line(opt.traffic_base, opt.ingress_bps);
  const uint32_t flows = opt.traffic_base.empty() ? TrafficSpec{}.flows : TrafficSpec::parse(opt.traffic_base).flows;
  const Ctx c{opt, line, static_cast<uint64_t>(std::ceil(opt.warm_factor * flows)), runner, log};
  json doc, tests = json::array();
  doc["method"] = "RFC 2544 sections 26.1-26.4; a loss is a monitored packet or a copy lost";
  if (opt.tests.throughput) tests.push_back("throughput");
  if (opt.tests.latency) tests.push_back("latency");
  if (opt.tests.loss) tests.push_back("loss");
  if (opt.tests.back_to_back) tests.push_back("back-to-back");
  doc["tests"] = tests;
  doc["traffic_base"] = opt.traffic_base;
  doc["trial_ms"] = opt.trial_ms;
  doc["warm_packets"] = c.warm_packets;
  doc["resolution"] = opt.resolution;
  doc["keep_up"] = opt.keep_up;
  doc["ingress_bps"] = opt.ingress_bps;
  doc["requested_rate_bps"] = line.requested_bps > 0 ? json(line.requested_bps) : json(nullptr);
  doc["line_rate_bps"] = line.line_bps;
  doc["rate_clipped"] = line.clipped;
  if (line.clipped) {
    doc["rate_note"] = "rate=" + fmt(line.requested_bps / 1e9, 6) + "g is above the card's ingress (" +
                       fmt(opt.ingress_bps / 1e9, 6) + " Gbit/s): clipped to the ingress";
    if (log) *log << "rfc2544: " << doc["rate_note"].get<std::string>() << "\n";
  }
  json results = json::array();
  for (const auto& s : opt.sizes) {
    json r;
    if (s == "imix") r["frame_size"] = "imix";
    else r["frame_size"] = std::stoul(s);
    r["mean_frame_bytes"] = round_to(mean_frame_bytes(s), 2);
    r["line_rate_pps"] = round_to(line_rate_pps(s, line.line_bps), 0);
    if (opt.tests.throughput) search_throughput(c, s, r);
    if (opt.tests.loss) r["loss"] = loss_sweep(c, s);
    if (opt.tests.back_to_back) r["back_to_back"] = back_to_back(c, s);
    results.push_back(r);
  }
  doc["results"] = results;
  return doc;
}

namespace {

std::string size_label(const json& r) {
  const auto& fs = r["frame_size"];
  return fs.is_string() ? fs.get<std::string>() : fs.dump();
}

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }
// Rows of cells as a right-aligned text table under a header row.
std::string text_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) w.resize(std::max(w.size(), r.size())), w[i] = std::max(w[i], r[i].size());
  std::ostringstream s;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) s << (i ? "  " : "") << pad(r[i], w[i]);
    s << "\n";
  }
  return s.str();
}

std::string latency_cell(const json& r) {
  const json lat = r.value("latency", json::object());
  if (!lat.contains("p50_us") || num(lat, "count") == 0) return "-";
  return fixed(num(lat, "p50_us"), 2) + " / " + fixed(num(lat, "p99_us"), 2);
}

std::vector<std::vector<std::string>> throughput_rows(const json& doc) {
  std::vector<std::vector<std::string>> rows = {
      {"frame", "line (pps)", "throughput (pps)", "% of line", "Mbit/s", "bottleneck", "copy latency p50/p99 (us)", "trials"}};
  for (const auto& r : doc["results"])
    if (r.contains("throughput_pps"))
      rows.push_back({size_label(r), fixed(num(r, "line_rate_pps"), 0), fixed(num(r, "throughput_pps"), 0),
                      fixed(num(r, "throughput_pct_of_line"), 1), fixed(num(r, "throughput_bps") / 1e6, 1),
                      r.value("bottleneck", std::string()).empty() ? "-" : r.value("bottleneck", std::string()),
                      latency_cell(r), std::to_string(r["trials"].size())});
  return rows;
}

std::vector<std::vector<std::string>> loss_rows(const json& doc) {
  std::vector<std::vector<std::string>> rows = {{"frame", "offered % of line", "offered (pps)", "packet loss %", "copy loss %"}};
  for (const auto& r : doc["results"])
    if (r.contains("loss"))
      for (const auto& s : r["loss"])
        rows.push_back({size_label(r), fixed(num(s, "load_pct"), 0), fixed(num(s, "offered_pps"), 0),
                        fixed(num(s, "packet_loss_pct"), 3), fixed(num(s, "copy_loss_pct"), 3)});
  return rows;
}

std::vector<std::vector<std::string>> b2b_rows(const json& doc) {
  std::vector<std::vector<std::string>> rows = {{"frame", "back-to-back frames", "burst (us)", "trials"}};
  for (const auto& r : doc["results"])
    if (r.contains("back_to_back")) {
      const json& b = r["back_to_back"];
      rows.push_back({size_label(r), (b.value("at_longest", false) ? ">= " : "") + fixed(num(b, "frames"), 0),
                      fixed(num(b, "burst_us"), 1), std::to_string(b["trials"].size())});
    }
  return rows;
}

}  // namespace

std::string text_tables(const json& doc) {
  std::ostringstream s;
  s << "line: " << fixed(num(doc, "line_rate_bps") / 1e9, 3) << " Gbit/s (card ingress "
    << fixed(num(doc, "ingress_bps") / 1e9, 3) << " Gbit/s)" << (doc.value("rate_clipped", false) ? ", requested rate clipped" : "")
    << "\n";
  if (auto t = throughput_rows(doc); t.size() > 1) s << "\nthroughput (RFC 2544 26.1), latency (26.2):\n" << text_table(t);
  if (auto t = loss_rows(doc); t.size() > 1) s << "\nframe loss rate (26.3):\n" << text_table(t);
  if (auto t = b2b_rows(doc); t.size() > 1) s << "\nback-to-back (26.4):\n" << text_table(t);
  return s.str();
}

namespace {

struct Series {
  std::string name, color;
  std::vector<std::pair<double, double>> pts;
};

struct Axis {
  std::string label;
  bool log = false;
  std::vector<std::pair<double, std::string>> ticks;  // x ticks; empty: five linear ticks
};

// A line chart of several series as inline SVG; y from 0, x linear or log.
std::string svg_chart(const std::string& title, const Axis& xa, const std::vector<Series>& series) {
  const double w = 620, h = 280, l = 80, r = 150, t = 30, b = 44;
  double xmin = 1e300, xmax = -1e300, ymax = 0;
  for (const auto& s : series)
    for (const auto& [x, y] : s.pts) xmin = std::min(xmin, x), xmax = std::max(xmax, x), ymax = std::max(ymax, y);
  if (xmin > xmax) xmin = 0, xmax = 1;
  if (xmax <= xmin) xmax = xmin + 1;
  if (ymax <= 0) ymax = 1;
  auto fx = [&](double x) { return xa.log ? std::log(std::max(x, 1e-12)) : x; };
  auto X = [&](double x) { return l + (fx(x) - fx(xmin)) / (fx(xmax) - fx(xmin)) * (w - l - r); };
  auto Y = [&](double y) { return t + (h - t - b) * (1 - y / (ymax * 1.05)); };
  std::ostringstream s;
  s << std::fixed << std::setprecision(1);
  s << "<svg width='" << w << "' height='" << h << "' xmlns='http://www.w3.org/2000/svg'>"
    << "<text x='" << l << "' y='18' font-weight='bold'>" << common::html_escape(title) << "</text>"
    << "<line x1='" << l << "' y1='" << h - b << "' x2='" << w - r << "' y2='" << h - b << "' stroke='black'/>"
    << "<line x1='" << l << "' y1='" << t << "' x2='" << l << "' y2='" << h - b << "' stroke='black'/>";
  for (int g = 0; g <= 4; ++g) {
    const double v = ymax * g / 4;
    s << "<text x='" << l - 6 << "' y='" << Y(v) + 4 << "' text-anchor='end' font-size='11'>" << tick(v)
      << "</text><line x1='" << l << "' y1='" << Y(v) << "' x2='" << w - r << "' y2='" << Y(v) << "' stroke='#ddd'/>";
  }
  auto ticks = xa.ticks;
  if (ticks.empty())
    for (int g = 0; g <= 4; ++g) ticks.emplace_back(xmin + (xmax - xmin) * g / 4, tick(xmin + (xmax - xmin) * g / 4));
  for (const auto& [x, label] : ticks)
    s << "<text x='" << X(x) << "' y='" << h - b + 16 << "' text-anchor='middle' font-size='11'>"
      << common::html_escape(label) << "</text>";
  s << "<text x='" << (l + w - r) / 2 << "' y='" << h - 8 << "' text-anchor='middle' font-size='11'>"
    << common::html_escape(xa.label) << "</text>";
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& se = series[i];
    s << "<polyline fill='none' stroke='" << se.color << "' stroke-width='2' points='";
    for (const auto& [x, y] : se.pts) s << X(x) << "," << Y(y) << " ";
    s << "'/>";
    for (const auto& [x, y] : se.pts) s << "<circle cx='" << X(x) << "' cy='" << Y(y) << "' r='3' fill='" << se.color << "'/>";
    s << "<text x='" << w - r + 10 << "' y='" << t + 14 + 16 * double(i) << "' font-size='11' fill='" << se.color << "'>"
      << common::html_escape(se.name) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

const char* const kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

std::string html_table(const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream h;
  h << "<table>";
  for (size_t i = 0; i < rows.size(); ++i) {
    h << "<tr>";
    for (const auto& c : rows[i]) h << (i ? "<td>" : "<th>") << common::html_escape(c) << (i ? "</td>" : "</th>");
    h << "</tr>";
  }
  h << "</table>";
  return h.str();
}

// The charts against frame size: x is the mean frame bytes on a log axis (IMIX at its mean).
std::string size_charts(const json& res) {
  Axis xa{"frame size (bytes, log scale)", true, {}};
  Series tput{"throughput", kColours[0], {}}, line{"line rate", kColours[1], {}}, p50{"p50", kColours[0], {}},
      p99{"p99", kColours[3], {}}, b2b{"back-to-back", kColours[2], {}};
  for (const auto& r : res) {
    const double x = num(r, "mean_frame_bytes");
    xa.ticks.emplace_back(x, size_label(r));
    if (r.contains("throughput_pps")) {
      tput.pts.emplace_back(x, num(r, "throughput_pps") / 1e3);
      line.pts.emplace_back(x, num(r, "line_rate_pps") / 1e3);
    }
    const json lat = r.value("latency", json::object());
    if (num(lat, "count") > 0) p50.pts.emplace_back(x, num(lat, "p50_us")), p99.pts.emplace_back(x, num(lat, "p99_us"));
    if (r.contains("back_to_back")) b2b.pts.emplace_back(x, num(r["back_to_back"], "frames"));
  }
  std::string out;
  if (!tput.pts.empty()) out += svg_chart("Throughput and line rate (kpps)", xa, {tput, line}) + "<br>";
  if (!p50.pts.empty()) out += svg_chart("Copy latency at the throughput rate (us)", xa, {p50, p99}) + "<br>";
  if (!b2b.pts.empty()) out += svg_chart("Back-to-back burst (frames)", xa, {b2b}) + "<br>";
  return out;
}

std::string loss_chart(const json& res) {
  std::vector<Series> ss;
  for (const auto& r : res) {
    if (!r.contains("loss")) continue;
    Series s{size_label(r) + " B", kColours[ss.size() % 8], {}};
    for (const auto& st : r["loss"]) s.pts.emplace_back(num(st, "load_pct"), std::max(num(st, "packet_loss_pct"), num(st, "copy_loss_pct")));
    std::reverse(s.pts.begin(), s.pts.end());
    ss.push_back(s);
  }
  if (ss.empty()) return "";
  return svg_chart("Frame loss rate (%, the larger of packet and copy loss)", Axis{"offered load (% of line)", false, {}}, ss) +
         "<br>";
}

}  // namespace

std::string report_html(const json& doc) {
  const json& res = doc.at("results");
  std::ostringstream h;
  h << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>dfcsim RFC 2544</title>"
    << "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse;margin-bottom:12px}"
    << "td,th{border:1px solid #999;padding:3px 8px;text-align:right}</style></head><body>"
    << "<h1>RFC 2544 benchmarks</h1><p>Line: " << fixed(num(doc, "line_rate_bps") / 1e9, 3)
    << " Gbit/s (the card's ingress: " << fixed(num(doc, "ingress_bps") / 1e9, 3) << " Gbit/s); every percentage "
    << "refers to it. " << common::html_escape(doc.value("rate_note", std::string())) << "</p><p>Trials of "
    << fmt(num(doc, "trial_ms")) << " ms simulated (at least " << fmt(num(doc, "warm_packets")) << " frames); "
    << "searches to " << fmt(100 * num(doc, "resolution")) << " %. A loss is a monitored packet or a copy lost. "
    << "Base traffic: <code>" << common::html_escape(doc.value("traffic_base", std::string())) << "</code>.</p>";
  h << size_charts(res) << loss_chart(res);
  if (auto t = throughput_rows(doc); t.size() > 1) h << "<h2>Throughput (26.1) and latency (26.2)</h2>" << html_table(t);
  if (auto t = loss_rows(doc); t.size() > 1) h << "<h2>Frame loss rate (26.3)</h2>" << html_table(t);
  if (auto t = b2b_rows(doc); t.size() > 1) h << "<h2>Back-to-back frames (26.4)</h2>" << html_table(t);
  for (const auto& r : res) {
    const json u = r.value("utilisation", json::object());
    if (u.empty()) continue;
    h << "<h3>Utilisation at the found rate, frame size " << common::html_escape(size_label(r)) << "</h3><table>";
    for (const auto& [k, v] : u.items())
      h << "<tr><td>" << common::html_escape(k) << "</td><td>"
        << (v.is_number() ? fixed(100 * v.get<double>(), 1) + " %" : common::html_escape(v.dump())) << "</td></tr>";
    h << "</table>";
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace dfc::tb::rfc2544
