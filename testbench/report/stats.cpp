#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "common/text.hpp"
#include "report/coverage_html.hpp"
#include "report/stats.hpp"

namespace dfc::tb {
using nlohmann::json;

size_t TimeSeries::id(const std::string& series) {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == series) return i;
  names_.push_back(series);
  sums_.emplace_back(max_, 0.0);
  return names_.size() - 1;
}

void TimeSeries::add(size_t series_id, uint64_t t_ps, double v) {
  uint64_t i = t_ps / width_;
  while (i >= max_) {
    widen();
    i = t_ps / width_;
  }
  sums_[series_id][i] += v;
  if (i > max_index_) max_index_ = i;
}

void TimeSeries::widen() {
  // Halve the resolution: bucket i of the new width holds old buckets 2i and 2i+1.
  width_ *= 2;
  for (auto& m : sums_) {
    for (size_t i = 0; i < max_; ++i) {
      const double v = m[i];
      m[i] = 0;
      m[i / 2] += v;
    }
  }
  max_index_ /= 2;
}

json TimeSeries::to_json(uint64_t origin_ps, uint64_t end_ps) const {
  json j;
  const double w = double(width_) / 1e12;
  j["bucket_s"] = w;
  const uint64_t first = std::min<uint64_t>(origin_ps / width_, max_ - 1);
  const uint64_t last = std::max(first, std::min(max_index_, end_ps / width_));
  json t = json::array();
  for (uint64_t i = first; i <= last; ++i) t.push_back(double(i - first) * w);
  j["t_s"] = t;
  json series = json::object();
  for (size_t k = 0; k < names_.size(); ++k) {
    json v = json::array();
    for (uint64_t i = first; i <= last; ++i) v.push_back(sums_[k][i] / w);
    series[names_[k]] = v;
  }
  j["series"] = series;
  return j;
}

void LatencyStats::add(uint64_t ps) {
  ++n_;
  sum_ += double(ps);
  max_ = std::max(max_, ps);
  if (sample_.size() < cap_) {
    sample_.push_back(ps);
  } else {
    const uint64_t k = rng_() % n_;  // reservoir sampling (Vitter's algorithm R)
    if (k < cap_) sample_[k] = ps;
  }
}

json LatencyStats::to_json() const {
  json j;
  j["count"] = n_;
  if (n_ == 0) {
    // The same keys as a run with copies, so reports compare field by field.
    for (const char* k : {"p50_us", "p90_us", "p99_us", "max_us", "mean_us"}) j[k] = 0.0;
    j["histogram"] = {{"edges_us", json::array()}, {"counts", json::array()}};
    return j;
  }
  std::vector<uint64_t> s = sample_;
  std::sort(s.begin(), s.end());
  auto pct = [&](double p) { return double(s[std::min(s.size() - 1, size_t(p * double(s.size())))]) / 1e6; };
  j["p50_us"] = pct(0.50);
  j["p90_us"] = pct(0.90);
  j["p99_us"] = pct(0.99);
  j["max_us"] = double(max_) / 1e6;
  j["mean_us"] = sum_ / double(n_) / 1e6;
  // 30 bins from the minimum to the maximum of the sample.
  const double lo = double(s.front()) / 1e6, hi = std::max(lo + 1e-3, double(s.back()) / 1e6);
  const int bins = 30;
  std::vector<uint64_t> c(bins, 0);
  for (uint64_t v : s) c[std::min(bins - 1, int((double(v) / 1e6 - lo) / (hi - lo) * bins))]++;
  json edges = json::array();
  for (int i = 0; i <= bins; ++i) edges.push_back(lo + (hi - lo) * i / bins);
  j["histogram"] = {{"edges_us", edges}, {"counts", c}};
  return j;
}

namespace {

using common::html_escape;

std::string num(double v) {
  std::ostringstream o;
  if (std::fabs(v) >= 1e6) o << std::fixed << std::setprecision(2) << v / 1e6 << "M";
  else if (std::fabs(v) >= 1e3) o << std::fixed << std::setprecision(1) << v / 1e3 << "k";
  else o << std::setprecision(3) << v;
  return o.str();
}

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// A line chart of several series sharing x.
std::string line_chart(const std::string& title, const std::string& ylabel, const std::vector<double>& x,
                       const std::vector<std::pair<std::string, std::vector<double>>>& ys) {
  const int W = 640, H = 260, L = 70, R = 150, T = 30, B = 40;
  double xmax = x.empty() ? 1 : std::max(1e-12, x.back()), ymax = 1e-12;
  for (auto& [n, v] : ys)
    for (double y : v) ymax = std::max(ymax, y);
  ymax *= 1.1;
  std::ostringstream o;
  o << "<svg width='" << W << "' height='" << H << "' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='11'>";
  o << "<text x='" << W / 2 - R / 2 << "' y='16' text-anchor='middle' font-size='13' font-weight='bold'>" << html_escape(title) << "</text>";
  o << "<rect x='" << L << "' y='" << T << "' width='" << W - L - R << "' height='" << H - T - B << "' fill='none' stroke='#999'/>";
  for (int i = 0; i <= 4; ++i) {
    const double yv = ymax * i / 4;
    const int yy = H - B - (H - T - B) * i / 4;
    o << "<text x='" << L - 5 << "' y='" << yy + 4 << "' text-anchor='end'>" << num(yv) << "</text>";
    o << "<line x1='" << L << "' x2='" << W - R << "' y1='" << yy << "' y2='" << yy << "' stroke='#eee'/>";
    const double xv = xmax * i / 4;
    const int xx = L + (W - L - R) * i / 4;
    o << "<text x='" << xx << "' y='" << H - B + 15 << "' text-anchor='middle'>" << num(xv * 1e3) << "</text>";
  }
  o << "<text x='" << (L + W - R) / 2 << "' y='" << H - 5 << "' text-anchor='middle'>simulated time (ms)</text>";
  o << "<text x='12' y='" << (T + H - B) / 2 << "' transform='rotate(-90 12 " << (T + H - B) / 2 << ")' text-anchor='middle'>" << html_escape(ylabel) << "</text>";
  int k = 0;
  for (auto& [name, v] : ys) {
    const char* col = kColors[k % 8];
    o << "<polyline fill='none' stroke='" << col << "' stroke-width='1.5' points='";
    for (size_t i = 0; i < v.size() && i < x.size(); ++i)
      o << L + (W - L - R) * (x[i] / xmax) << "," << H - B - (H - T - B) * (v[i] / ymax) << " ";
    o << "'/>";
    o << "<rect x='" << W - R + 10 << "' y='" << T + 14 * k << "' width='10' height='10' fill='" << col << "'/>";
    o << "<text x='" << W - R + 25 << "' y='" << T + 9 + 14 * k << "'>" << html_escape(name) << "</text>";
    ++k;
  }
  o << "</svg>";
  return o.str();
}

std::string bar_chart(const std::string& title, const std::vector<double>& edges, const std::vector<double>& counts) {
  const int W = 640, H = 260, L = 70, R = 20, T = 30, B = 40;
  double cmax = 1;
  for (double c : counts) cmax = std::max(cmax, c);
  std::ostringstream o;
  o << "<svg width='" << W << "' height='" << H << "' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='11'>";
  o << "<text x='" << W / 2 << "' y='16' text-anchor='middle' font-size='13' font-weight='bold'>" << html_escape(title) << "</text>";
  const double bw = double(W - L - R) / double(std::max<size_t>(1, counts.size()));
  for (size_t i = 0; i < counts.size(); ++i) {
    const double h = (H - T - B) * counts[i] / cmax;
    o << "<rect x='" << L + bw * double(i) << "' y='" << H - B - h << "' width='" << bw - 1 << "' height='" << h
      << "' fill='#1f77b4'><title>" << num(edges[i]) << "-" << num(edges[i + 1]) << " us: " << counts[i] << "</title></rect>";
  }
  for (int i = 0; i <= 4; ++i) {
    const size_t e = std::min(edges.size() - 1, size_t(i) * (edges.size() - 1) / 4);
    o << "<text x='" << L + (W - L - R) * i / 4 << "' y='" << H - B + 15 << "' text-anchor='middle'>" << num(edges[e]) << "</text>";
    o << "<text x='" << L - 5 << "' y='" << H - B - (H - T - B) * i / 4 + 4 << "' text-anchor='end'>" << num(cmax * i / 4) << "</text>";
  }
  o << "<text x='" << (L + W - R) / 2 << "' y='" << H - 5 << "' text-anchor='middle'>copy latency, arrival to departure (us)</text>";
  o << "</svg>";
  return o.str();
}

std::vector<double> dvec(const json& a) {
  std::vector<double> v;
  if (a.is_array())
    for (auto& x : a) v.push_back(x.get<double>());
  return v;
}

}  // namespace

std::string render_report_html(const json& r) {
  std::ostringstream o;
  o << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>dfcsim report</title><style>"
       "body{font-family:sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse;margin:1em 0}"
       "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}"
       "td:first-child,th:first-child{text-align:left}.fail{color:#b00;font-weight:bold}.pass{color:#070}</style>"
       "</head><body>";
  const json& sc = r.value("scenario", json::object());
  o << "<h1>dfcsim report</h1><p>" << html_escape(sc.value("name", std::string("run"))) << " &mdash; profile "
    << html_escape(sc.value("profile", std::string("?"))) << ", classifier " << html_escape(sc.value("classifier", std::string("?")))
    << "</p>";
  if (r.contains("expectations")) {
    const auto& f = r["expectations"];
    o << "<p class='" << (f.empty() ? "pass'>All expectations met" : "fail'>Expectations failed") << "</p>";
    if (!f.empty()) {
      o << "<ul>";
      for (auto& x : f) o << "<li class='fail'>" << html_escape(x.get<std::string>()) << "</li>";
      o << "</ul>";
    }
  }
  o << "<table><tr><th>metric</th><th>value</th></tr>";
  for (const char* k : {"packets_in", "packets_matched", "copies_chosen", "copies_sent", "offered_pps", "achieved_pps",
                        "simulated_time_s", "wall_time_s", "simulated_packets_per_wall_second"})
    if (r.contains(k)) o << "<tr><td>" << k << "</td><td>" << num(r[k].get<double>()) << "</td></tr>";
  o << "</table>";
  if (r.contains("utilisation")) {
    // Busy fraction per block; the bottleneck (busiest) is highlighted.
    const std::string bn = r.value("bottleneck", std::string());
    o << "<h2>Utilisation</h2><p>Bottleneck: <b>" << html_escape(bn) << "</b></p><table><tr><th>resource</th><th>busy</th><th></th></tr>";
    for (auto it = r["utilisation"].begin(); it != r["utilisation"].end(); ++it) {
      const double v = it.value().get<double>();
      o << "<tr><td>" << (it.key() == bn ? "<b>" + html_escape(it.key()) + "</b>" : html_escape(it.key())) << "</td><td>"
        << num(100.0 * v) << " %</td><td style='text-align:left'><div style='background:#4a7;height:10px;width:"
        << static_cast<int>(200 * v) << "px'></div></td></tr>";
    }
    o << "</table>";
  }
  if (r.contains("drops")) {
    o << "<h2>Drops by reason</h2><table><tr><th>reason</th><th>count</th></tr>";
    for (auto it = r["drops"].begin(); it != r["drops"].end(); ++it)
      o << "<tr><td>" << html_escape(it.key()) << "</td><td>" << it.value() << "</td></tr>";
    o << "</table>";
  }
  if (r.contains("timeseries")) {
    const json& ts = r["timeseries"];
    const auto x = dvec(ts["t_s"]);
    std::vector<std::pair<std::string, std::vector<double>>> thr, cp;
    for (const char* k : {"offered", "achieved", "dropped"})
      if (ts["series"].contains(k)) thr.emplace_back(std::string(k) + " pps", dvec(ts["series"][k]));
    o << "<h2>Throughput</h2>" << line_chart("Offered vs achieved throughput", "packets/s", x, thr);
    for (auto it = ts["series"].begin(); it != ts["series"].end(); ++it)
      if (it.key().rfind("copies:", 0) == 0) cp.emplace_back(it.key().substr(7), dvec(it.value()));
    if (!cp.empty()) o << "<h2>Copies per destination</h2>" << line_chart("Copies per content destination", "copies/s", x, cp);
  }
  if (r.contains("latency") && r["latency"].value("count", uint64_t{0}) > 0 && r["latency"].contains("histogram")) {
    const json& l = r["latency"];
    o << "<h2>Copy latency</h2><p>p50 " << num(l["p50_us"].get<double>()) << " us, p90 " << num(l["p90_us"].get<double>())
      << " us, p99 " << num(l["p99_us"].get<double>()) << " us, max " << num(l["max_us"].get<double>()) << " us</p>"
      << bar_chart("Copy latency histogram", dvec(l["histogram"]["edges_us"]), dvec(l["histogram"]["counts"]));
  }
  if (r.contains("copies_per_destination")) {
    o << "<h2>Content destinations</h2><table><tr><th>destination</th><th>copies</th><th>bytes</th><th>pcap</th></tr>";
    for (auto it = r["copies_per_destination"].begin(); it != r["copies_per_destination"].end(); ++it)
      o << "<tr><td>" << html_escape(it.key()) << "</td><td>" << it.value()["copies"] << "</td><td>" << it.value()["bytes"]
        << "</td><td>" << html_escape(it.value()["pcap"].get<std::string>()) << "</td></tr>";
    o << "</table>";
  }
  if (r.contains("coverage")) o << coverage_tables_html(r["coverage"]);
  o << "<p>All numbers: report.json.</p></body></html>\n";
  return o.str();
}

}  // namespace dfc::tb
