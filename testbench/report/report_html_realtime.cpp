// report.html's section for a `dfcsim serve` run (report.json "realtime"): whether the host kept
// real time, and if not, what it could not do on time -- kept apart from the card's own drops.
#include <cstdint>
#include <sstream>
#include <string>

#include "common/text.hpp"
#include "report/report_html.hpp"

namespace dfc::tb::html {

using common::html_escape;
using nlohmann::json;

std::string realtime_html(const json& r) {
  if (!r.contains("realtime") || !r["realtime"].is_object()) return "";
  const json& rt = r["realtime"];
  std::ostringstream o;
  o << "<h2>Real time</h2>";
  if (rt.value("real_time", true))
    o << "<p class='pass'>Real time kept: every packet offered within the lag bound.</p>";
  else
    o << "<p class='fail'>Not real time: " << html_escape(rt.value("not_real_time", std::string()))
      << ". Host-late packets were not offered to the card: they are the host's loss, not the card's drops.</p>";
  const json lag = rt.value("offer_lag", json::object());
  auto ms = [](double us) { return cell_number(json(us / 1e3)); };
  o << "<table><tr><th>metric</th><th>value</th></tr>"
    << "<tr><td>lag bound (ms)</td><td>" << cell_number(json(rt.value("lag_bound_s", 0.0) * 1e3)) << "</td></tr>"
    << "<tr><td>offer lag p50 / p99 / max (ms)</td><td>" << ms(lag.value("p50_us", 0.0)) << " / "
    << ms(lag.value("p99_us", 0.0)) << " / " << ms(lag.value("max_us", 0.0)) << "</td></tr>"
    << "<tr><td>packets offered on time</td><td>" << cell_number(rt.value("offered_on_time", json())) << "</td></tr>"
    << "<tr><td>host-late packets (not offered)</td><td>" << cell_number(rt.value("host_late_packets", json()))
    << "</td></tr>"
    << "<tr><td>model behind the wall clock, max (ms)</td><td>" << cell_number(json(rt.value("max_lag_s", 0.0) * 1e3))
    << "</td></tr>"
    << "<tr><td>late events (model steps beyond the bound)</td><td>" << cell_number(rt.value("late_events", json()))
    << "</td></tr>"
    << "<tr><td>DTCP datagrams lost in the socket buffer</td><td>"
    << cell_number(rt.value("control_socket_drops", json())) << "</td></tr>"
    << "<tr><td>lag warnings printed</td><td>" << cell_number(rt.value("warnings", json())) << "</td></tr></table>";
  return o.str();
}

}  // namespace dfc::tb::html
