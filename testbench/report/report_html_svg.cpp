// report.html's charts: inline SVG in a fixed coordinate system (viewBox) drawn at the page's
// width, axes at 1-2-5 steps, series told apart by colour, dash and width.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <sstream>

#include "common/text.hpp"
#include "report/report_html.hpp"

namespace dfc::tb::html {
using common::html_escape;
using nlohmann::json;

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= 0) hi = lo + 1;
  const double raw = (hi - lo) / std::max(1, target);
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  const double m = raw / p;
  const double step = (m <= 1.0 + 1e-9 ? 1 : m <= 2.0 + 1e-9 ? 2 : m <= 5.0 + 1e-9 ? 5 : 10) * p;
  // Integer multiples of the step, so every tick is exactly k * step (no accumulated error).
  const long long first = static_cast<long long>(std::floor(lo / step + 1e-9));
  const long long last = static_cast<long long>(std::ceil(hi / step - 1e-9));
  std::vector<double> t;
  for (long long k = first; k <= last; ++k) t.push_back(double(k) * step);
  if (t.size() < 2) t.push_back(double(last + 1) * step);
  return t;
}

std::string tick_label(double v, double step, double axis_max) {
  const double mag = std::fabs(axis_max);
  const double scale = mag >= 1e6 ? 1e6 : mag >= 1e3 ? 1e3 : 1.0;
  const char* suffix = mag >= 1e6 ? "M" : mag >= 1e3 ? "k" : "";
  if (std::fabs(v) < step * 1e-6) return "0";
  const double s = step / scale;
  const int decimals = s >= 1 ? 0 : std::min(12, int(std::ceil(-std::log10(s) - 1e-9)));
  std::ostringstream o;
  o << std::fixed << std::setprecision(decimals) << v / scale;
  std::string out = o.str();
  if (out.find('.') != std::string::npos) {
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') out.pop_back();
  }
  return out + suffix;
}

namespace {

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
const char* kDashes[] = {"", "10 5", "3 3", "12 4 3 4", "6 2", "2 5"};

std::string svg_open(int w, int h, const std::string& title) {
  std::ostringstream o;
  o << "<svg class='chart' viewBox='0 0 " << w << " " << h << "' width='100%' preserveAspectRatio='xMidYMid meet'"
    << " xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='13' role='img'><title>"
    << html_escape(title) << "</title>";
  o << "<text x='" << w / 2 << "' y='20' text-anchor='middle' font-size='15' font-weight='bold'>" << html_escape(title)
    << "</text>";
  return o.str();
}

// A plot area [L, R] x [T, B] in viewBox units with its axes' ticks, grid and labels.
struct Frame {
  double L, R, T, B;
  std::vector<double> xt, yt;
  double x(double v) const { return L + (R - L) * (v - xt.front()) / (xt.back() - xt.front()); }
  double y(double v) const { return B - (B - T) * (v - yt.front()) / (yt.back() - yt.front()); }
};

std::string axes(const Frame& f, const std::string& xlabel, const std::string& ylabel) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1);
  const double ystep = f.yt[1] - f.yt[0], xstep = f.xt[1] - f.xt[0];
  const double ymag = std::max(std::fabs(f.yt.front()), std::fabs(f.yt.back()));
  const double xmag = std::max(std::fabs(f.xt.front()), std::fabs(f.xt.back()));
  for (double v : f.yt) {
    o << "<line x1='" << f.L << "' x2='" << f.R << "' y1='" << f.y(v) << "' y2='" << f.y(v) << "' stroke='#e4e4e4'/>";
    o << "<text class='tick-y' x='" << f.L - 6 << "' y='" << f.y(v) + 4 << "' text-anchor='end'>"
      << tick_label(v, ystep, ymag) << "</text>";
  }
  for (double v : f.xt)
    o << "<text class='tick-x' x='" << f.x(v) << "' y='" << f.B + 17 << "' text-anchor='middle'>"
      << tick_label(v, xstep, xmag) << "</text>";
  o << "<rect x='" << f.L << "' y='" << f.T << "' width='" << f.R - f.L << "' height='" << f.B - f.T
    << "' fill='none' stroke='#999'/>";
  o << "<text x='" << (f.L + f.R) / 2 << "' y='" << f.B + 36 << "' text-anchor='middle'>" << html_escape(xlabel)
    << "</text>";
  const double my = (f.T + f.B) / 2;
  o << "<text x='16' y='" << my << "' transform='rotate(-90 16 " << my << ")' text-anchor='middle'>"
    << html_escape(ylabel) << "</text>";
  return o.str();
}

bool same_series(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::fabs(a[i] - b[i]) > 1e-9 * std::max(1.0, std::fabs(a[i]))) return false;
  return true;
}

}  // namespace

std::string line_chart(const std::string& title, const std::string& ylabel, const std::vector<double>& x,
                       const std::vector<Series>& ys) {
  const int W = 1000, H = 340;
  double ylo = 0, yhi = 0;
  for (const auto& s : ys)
    for (double v : s.y)
      if (std::isfinite(v)) ylo = std::min(ylo, v), yhi = std::max(yhi, v);
  const double xmax_ms = x.empty() ? 1.0 : x.back() * 1e3;
  const Frame f{80, W - 200.0, 36, H - 50.0, nice_ticks(0, xmax_ms), nice_ticks(ylo, yhi)};
  std::ostringstream o;
  o << svg_open(W, H, title) << axes(f, "simulated time (ms)", ylabel);
  o << std::fixed << std::setprecision(1);
  for (size_t k = 0; k < ys.size(); ++k) {
    // Wider first, narrower and dashed on top: identical series show as a line inside a line.
    const double width = std::max(1.2, 4.5 - 1.1 * double(k));
    const char* dash = kDashes[k % 6];
    const char* col = kColors[k % 8];
    o << "<polyline fill='none' stroke='" << col << "' stroke-width='" << width << "'"
      << (*dash ? std::string(" stroke-dasharray='") + dash + "'" : std::string()) << " points='";
    for (size_t i = 0; i < ys[k].y.size() && i < x.size(); ++i)
      if (std::isfinite(ys[k].y[i])) o << f.x(x[i] * 1e3) << "," << f.y(ys[k].y[i]) << " ";
    o << "'/>";
    std::string name = ys[k].name;
    for (size_t j = 0; j < k; ++j)
      if (same_series(ys[j].y, ys[k].y)) {
        name += " (= " + ys[j].name + ")";
        break;
      }
    const double ly = f.T + 8 + 22.0 * double(k);
    o << "<line x1='" << f.R + 12 << "' x2='" << f.R + 44 << "' y1='" << ly << "' y2='" << ly << "' stroke='" << col
      << "' stroke-width='" << width << "'" << (*dash ? std::string(" stroke-dasharray='") + dash + "'" : std::string())
      << "/><text x='" << f.R + 50 << "' y='" << ly + 4 << "'>" << html_escape(name) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

namespace {

// A bin's tooltip: its range (3 significant digits) and its count.
std::string bin_text(double a, double b, double count) {
  std::ostringstream o;
  o << std::setprecision(3) << a << " - " << b << ": " << std::fixed << std::setprecision(0) << count;
  return o.str();
}

}  // namespace

std::string histogram_chart(const std::string& title, const std::string& xlabel, const std::vector<double>& edges,
                            const std::vector<double>& counts) {
  const int W = 1000, H = 320;
  double cmax = 0;
  for (double c : counts) cmax = std::max(cmax, c);
  const double lo = edges.empty() ? 0 : edges.front(), hi = edges.empty() ? 1 : edges.back();
  const Frame f{80, W - 30.0, 36, H - 50.0, nice_ticks(lo, hi), nice_ticks(0, cmax)};
  std::ostringstream o;
  o << svg_open(W, H, title) << axes(f, xlabel, "copies");
  o << std::fixed << std::setprecision(1);
  for (size_t i = 0; i < counts.size() && i + 1 < edges.size(); ++i) {
    const double x0 = f.x(edges[i]), x1 = f.x(edges[i + 1]);
    o << "<rect x='" << x0 << "' y='" << f.y(counts[i]) << "' width='" << std::max(0.5, x1 - x0 - 1) << "' height='"
      << f.B - f.y(counts[i]) << "' fill='#1f77b4'><title>" << bin_text(edges[i], edges[i + 1], counts[i])
      << "</title></rect>";
  }
  o << "</svg>";
  return o.str();
}

namespace {

const char* kStallKinds[] = {"compute", "memory", "lock", "classifier", "idle"};
const char* kStallColors[] = {"#2b7bba", "#f28e2b", "#d62728", "#9467bd", "#d0d0d0"};

double frac(const json& set, const char* k) {
  const auto it = set.find(k);
  return it != set.end() && it->is_number() ? std::clamp(it->get<double>(), 0.0, 1.0) : 0.0;
}

// The keys of an object whose names end in a number ("core10", "t3"), in numeric order.
std::vector<std::string> numbered_keys(const json& obj) {
  std::vector<std::string> k;
  if (!obj.is_object()) return k;
  for (auto it = obj.begin(); it != obj.end(); ++it) k.push_back(it.key());
  auto n = [](const std::string& s) {
    const size_t p = s.find_first_of("0123456789");
    return p == std::string::npos ? -1L : std::strtol(s.c_str() + p, nullptr, 10);
  };
  std::stable_sort(k.begin(), k.end(), [&](const std::string& a, const std::string& b) { return n(a) < n(b); });
  return k;
}

std::string percent(double f, int decimals) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(decimals) << 100 * f;
  return o.str();
}

void stacked_bar(std::ostringstream& o, const json& set, double x0, double width, double y, double h) {
  double x = x0;
  for (int i = 0; i < 5; ++i) {
    const double w = width * frac(set, kStallKinds[i]);
    if (w <= 0) continue;
    o << "<rect x='" << x << "' y='" << y << "' width='" << w << "' height='" << h << "' fill='" << kStallColors[i]
      << "'><title>" << kStallKinds[i] << ": " << percent(frac(set, kStallKinds[i]), 1) << " %</title></rect>";
    if (w > 44 && h >= 16)
      o << "<text x='" << x + w / 2 << "' y='" << y + h / 2 + 4 << "' text-anchor='middle' font-size='11'"
        << (i == 4 ? "" : " fill='#fff'") << ">" << percent(frac(set, kStallKinds[i]), 0) << "%</text>";
    x += w;
  }
}

}  // namespace

std::string stalls_chart(const json& stalls) {
  const std::vector<std::string> cores = numbered_keys(stalls);
  const double W = 1000, L = 170, R = W - 20, core_h = 20, thread_h = 11;
  double H = 64;
  for (const auto& c : cores) H += core_h + 14 + (thread_h + 3) * double(numbered_keys(stalls[c].value("threads", json::object())).size());
  std::ostringstream o;
  o << svg_open(int(W), int(H), "Where each core's time went");
  o << std::fixed << std::setprecision(1);
  for (int i = 0; i < 5; ++i)
    o << "<rect x='" << L + 120.0 * i << "' y='32' width='12' height='12' fill='" << kStallColors[i] << "'/><text x='"
      << L + 120.0 * i + 17 << "' y='42'>" << kStallKinds[i] << "</text>";
  double y = 58;
  for (const auto& c : cores) {
    const json& cj = stalls[c];
    const std::string role = cj.value("role", std::string());
    o << "<text x='" << L - 8 << "' y='" << y + 15 << "' text-anchor='end' font-weight='bold'>" << html_escape(c)
      << (role.empty() ? "" : " (" + html_escape(role) + ")") << "</text>";
    stacked_bar(o, cj, L, R - L, y, core_h);
    y += core_h + 3;
    const json threads = cj.value("threads", json::object());
    for (const auto& t : numbered_keys(threads)) {
      o << "<text x='" << L - 8 << "' y='" << y + 10 << "' text-anchor='end' font-size='11'>" << html_escape(t)
        << "</text>";
      stacked_bar(o, threads[t], L, R - L, y, thread_h);
      y += thread_h + 3;
    }
    y += 11;
  }
  o << "</svg>";
  return o.str();
}

}  // namespace dfc::tb::html
