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

}  // namespace

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
  return rate_bps / ((mean_frame_bytes(size) + 20.0) * 8.0);
}

Verdict judge(const json& r, const Options& opt) {
  Verdict v;
  v.offered_pps = num(r, "offered_pps");
  v.achieved_pps = num(r, "achieved_pps");
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
  if (v.achieved_pps < (1.0 - opt.keep_up) * v.offered_pps)
    why << "did not keep up (achieved " << fmt(v.achieved_pps) << " of " << fmt(v.offered_pps) << " pps); ";
  v.why = why.str();
  v.pass = v.why.empty();
  return v;
}

namespace {

json search_size(const std::string& size, const Options& opt, const TrafficSpec& base, const TrialRunner& runner,
                 std::ostream* log) {
  const double line_pps = line_rate_pps(size, base.rate_bps);
  const double trial_s = opt.trial_ms / 1000.0;
  json trials = json::array(), best;
  double lo = 0, hi = 1, load = 1;
  for (unsigned t = 0; t < opt.max_trials; ++t) {
    Trial tr;
    tr.size = size;
    tr.load = load;
    tr.line_pps = line_pps;
    tr.packets = std::max<uint64_t>(200, static_cast<uint64_t>(std::llround(line_pps * load * trial_s)));
    tr.traffic = opt.traffic_base + ",size=" + size + ",load=" + fmt(load, 9) + ",packets=" + std::to_string(tr.packets);
    const json rep = runner(tr);
    const Verdict v = judge(rep, opt);
    trials.push_back({{"load", load}, {"packets", tr.packets}, {"offered_pps", v.offered_pps},
                      {"achieved_pps", v.achieved_pps}, {"lost_packets", v.lost_packets},
                      {"lost_copies", v.lost_copies}, {"pass", v.pass}, {"why", v.why}});
    if (log)
      *log << "rfc2544: size " << size << " load " << fmt(load, 4) << " (" << fmt(v.offered_pps) << " pps): "
           << (v.pass ? "pass" : "FAIL " + v.why) << "\n";
    double next;
    if (v.pass) {
      lo = load;
      best = rep;
      if (load >= 1.0) break;
      // Step up by a bounded amount: the bracket's upper end is often a saturated trial far
      // above the capacity, so halving from here would waste trials.
      next = std::min((lo + hi) / 2, lo * (1 + 2 * opt.resolution));
    } else {
      hi = load;
      // A saturated trial processed at (about) the card's capacity: try just below it.
      const double hint = v.achieved_pps / line_pps * (1 - opt.resolution / 2);
      next = hint > lo && hint < hi ? hint : (lo + hi) / 2;
    }
    if (lo > 0 && hi - lo <= opt.resolution * hi) break;
    load = next;
  }
  const double mean = mean_frame_bytes(size);
  json res;
  if (size == "imix") res["frame_size"] = "imix";
  else res["frame_size"] = std::stoul(size);
  res["mean_frame_bytes"] = mean;
  res["line_rate_pps"] = line_pps;
  const double pps = best.is_object() ? num(best, "offered_pps", lo * line_pps) : 0.0;
  res["throughput_pps"] = pps;
  res["throughput_bps"] = pps * mean * 8.0;  // frame bits (preamble and IFG excluded)
  res["throughput_load"] = lo;
  res["bottleneck"] = best.is_object() ? best.value("bottleneck", std::string()) : std::string();
  res["utilisation"] = best.is_object() ? best.value("utilisation", json::object()) : json::object();
  res["latency"] = best.is_object() ? best.value("latency", json::object()) : json::object();
  res["found"] = best.is_object();
  res["trials"] = trials;
  return res;
}

}  // namespace

json run(const Options& opt, const TrialRunner& runner, std::ostream* log) {
  const TrafficSpec base = TrafficSpec::parse(opt.traffic_base);  // validates the base spec
  if (opt.trial_ms <= 0) throw std::invalid_argument("--trial-ms must be positive");
  json doc;
  doc["method"] = "RFC 2544 section 26.1 throughput: highest offered rate with no monitored packet and no copy lost";
  doc["traffic_base"] = opt.traffic_base;
  doc["trial_ms"] = opt.trial_ms;
  doc["resolution"] = opt.resolution;
  doc["keep_up"] = opt.keep_up;
  doc["line_rate_bps"] = base.rate_bps;
  json results = json::array();
  for (const auto& s : opt.sizes) results.push_back(search_size(s, opt, base, runner, log));
  doc["results"] = results;
  return doc;
}

namespace {

// One line chart of `key` against the result order, as inline SVG.
std::string svg_chart(const json& results, const char* key, const char* title, double scale, const char* unit) {
  const double w = 560, h = 260, l = 70, r = 20, t = 30, b = 40;
  double ymax = 0;
  for (const auto& x : results) ymax = std::max(ymax, num(x, key) / scale);
  if (ymax <= 0) ymax = 1;
  const size_t n = results.size();
  auto X = [&](size_t i) { return l + (n > 1 ? double(i) * (w - l - r) / double(n - 1) : (w - l - r) / 2); };
  auto Y = [&](double v) { return t + (h - t - b) * (1 - v / ymax); };
  std::ostringstream s;
  s << std::fixed << std::setprecision(1);
  s << "<svg width='" << w << "' height='" << h << "' xmlns='http://www.w3.org/2000/svg'>"
    << "<text x='" << l << "' y='18' font-weight='bold'>" << title << " (" << unit << ")</text>"
    << "<line x1='" << l << "' y1='" << h - b << "' x2='" << w - r << "' y2='" << h - b << "' stroke='black'/>"
    << "<line x1='" << l << "' y1='" << t << "' x2='" << l << "' y2='" << h - b << "' stroke='black'/>";
  for (int g = 0; g <= 4; ++g) {
    const double v = ymax * g / 4;
    s << "<text x='" << l - 6 << "' y='" << Y(v) + 4 << "' text-anchor='end' font-size='11'>" << fmt(v, 4)
      << "</text><line x1='" << l << "' y1='" << Y(v) << "' x2='" << w - r << "' y2='" << Y(v)
      << "' stroke='#ddd'/>";
  }
  s << "<polyline fill='none' stroke='#1f77b4' stroke-width='2' points='";
  for (size_t i = 0; i < n; ++i) s << X(i) << "," << Y(num(results[i], key) / scale) << " ";
  s << "'/>";
  for (size_t i = 0; i < n; ++i) {
    const auto& fs = results[i]["frame_size"];
    s << "<circle cx='" << X(i) << "' cy='" << Y(num(results[i], key) / scale) << "' r='3' fill='#1f77b4'/>"
      << "<text x='" << X(i) << "' y='" << h - b + 16 << "' text-anchor='middle' font-size='11'>"
      << (fs.is_string() ? fs.get<std::string>() : fs.dump()) << "</text>";
  }
  s << "<text x='" << (l + w - r) / 2 << "' y='" << h - 6 << "' text-anchor='middle' font-size='11'>frame size (bytes)</text></svg>";
  return s.str();
}

}  // namespace

std::string report_html(const json& doc) {
  const json& res = doc.at("results");
  std::ostringstream h;
  h << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>dfcsim RFC 2544 throughput</title>"
    << "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse}"
    << "td,th{border:1px solid #999;padding:3px 8px;text-align:right}</style></head><body>"
    << "<h1>RFC 2544 throughput (section 26.1)</h1><p>Highest offered rate at which no monitored packet and no "
    << "copy was lost over a trial of " << fmt(num(doc, "trial_ms")) << " ms simulated, found by binary search "
    << "to " << fmt(100 * num(doc, "resolution")) << " %. Base traffic: <code>" << doc.value("traffic_base", "")
    << "</code>.</p>";
  h << svg_chart(res, "throughput_pps", "Throughput", 1e3, "kpps") << "<br>"
    << svg_chart(res, "throughput_bps", "Throughput", 1e6, "Mbit/s");
  h << "<table><tr><th>frame size</th><th>throughput (pps)</th><th>% of line</th><th>throughput (Mbit/s)</th>"
    << "<th>bottleneck</th><th>latency p50 / p99 (us)</th><th>trials</th></tr>";
  for (const auto& r : res) {
    const json lat = r.value("latency", json::object());
    const auto& fs = r["frame_size"];
    h << "<tr><td>" << (fs.is_string() ? fs.get<std::string>() : fs.dump()) << "</td><td>"
      << fmt(num(r, "throughput_pps"), 7) << "</td><td>" << fmt(100 * num(r, "throughput_load"), 4) << "</td><td>"
      << fmt(num(r, "throughput_bps") / 1e6, 6) << "</td><td>" << r.value("bottleneck", std::string()) << "</td><td>"
      << (lat.contains("p50_us") ? fmt(num(lat, "p50_us"), 4) + " / " + fmt(num(lat, "p99_us"), 4) : "")
      << "</td><td>" << r["trials"].size() << "</td></tr>";
  }
  h << "</table>";
  for (const auto& r : res) {
    const json u = r.value("utilisation", json::object());
    if (u.empty()) continue;
    h << "<h3>Utilisation at the found rate, frame size " << r["frame_size"].dump() << "</h3><table>";
    for (const auto& [k, v] : u.items()) h << "<tr><td>" << k << "</td><td>" << v.dump() << "</td></tr>";
    h << "</table>";
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace dfc::tb::rfc2544
