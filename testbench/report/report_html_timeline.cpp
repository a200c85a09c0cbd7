// report.html's section over time, from report.json "timeline" (report/timeline.hpp): the
// utilisation of each resource and the receive-queue depth per bin of the measurement window,
// and the control plane's events (DTCP requests with their status, notifications, overload
// thresholds crossed and cleared) in time order.
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/text.hpp"
#include "report/report_html.hpp"

namespace dfc::tb::html {

using common::html_escape;
using nlohmann::json;

namespace {

std::vector<double> numbers(const json& a) {
  std::vector<double> v;
  if (a.is_array())
    for (const auto& x : a) v.push_back(x.is_number() ? x.get<double>() : 0.0);
  return v;
}

std::string ms(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6f", s * 1e3);
  return b;
}

struct Event {
  double t_s;
  std::string what;
};

// Every event of "dtcp" and "overload" with its text, in time order.
std::vector<Event> control_events(const json& t) {
  std::vector<Event> ev;
  const json dtcp = t.value("dtcp", json::object());
  for (const auto& r : dtcp.value("requests", json::array())) {
    std::string s = r.value("method", "?") + " from " + r.value("csource", "") + " (" + r.value("from", "") + ")";
    s += r["status"].is_number() ? ": " + std::to_string(r["status"].get<int>()) : ": no reply";
    ev.push_back({r.value("t_s", 0.0), s});
  }
  for (const auto& n : dtcp.value("notifications", json::array()))
    ev.push_back({n.value("t_s", 0.0), "notification " + std::to_string(n.value("status", 0)) + " " +
                                           n.value("reason", "") + " to " + n.value("to", "")});
  for (const auto& o : t.value("overload", json::array()))
    ev.push_back({o.value("t_s", 0.0), std::string("overload ") + (o.value("on", false) ? "ON" : "off") + ": " +
                                           o.value("name", "") +
                                           (o.value("group", "").empty() ? "" : " (" + o.value("group", "") + ")")});
  std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.t_s < b.t_s; });
  return ev;
}

}  // namespace

std::string timeline_html(const json& t, size_t max_rows) {
  if (!t.is_object()) return "";
  std::ostringstream o;
  const auto x = numbers(t.value("t_s", json::array()));
  const json util = t.value("utilisation", json::object());
  if (!x.empty() && util.is_object() && !util.empty()) {
    std::vector<Series> ys;
    for (auto it = util.begin(); it != util.end(); ++it)
      if (it.key() != "dram" && it.key() != "packet_memory") ys.push_back({it.key(), numbers(it.value())});
    o << "<h2>Utilisation over time</h2><p>Busy fraction of each resource in " << x.size()
      << " equal bins of the measurement window (" << html_escape(ms(t.value("bin_s", 0.0)))
      << " ms each), from the card's sampler.</p>"
      << line_chart("Utilisation over time", "busy fraction", x, ys);
    std::vector<Series> depth = {{"receive buffers held, most in the bin", numbers(t.value("rx_depth_max", json::array()))},
                                 {"receive buffers held, at the bin's end", numbers(t.value("rx_depth", json::array()))}};
    o << "<h2>Receive queue depth over time</h2>" << line_chart("Receive queue depth", "buffers", x, depth);
  }
  const auto ev = control_events(t);
  o << "<h2>Control plane timeline</h2>";
  if (ev.empty()) {
    o << "<p>No DTCP request, notification or overload event recorded.</p>";
    return o.str();
  }
  o << "<table><tr><th>time (ms)</th><th>event</th></tr>";
  for (size_t i = 0; i < ev.size() && i < max_rows; ++i)
    o << "<tr><td>" << ms(ev[i].t_s) << "</td><td style='text-align:left'>" << html_escape(ev[i].what) << "</td></tr>";
  o << "</table>";
  if (ev.size() > max_rows) o << "<p>" << ev.size() - max_rows << " more in report.json \"timeline\".</p>";
  return o.str();
}

}  // namespace dfc::tb::html
