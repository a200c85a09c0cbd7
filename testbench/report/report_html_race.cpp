// report.html's section for a run with the race checker on (report.json "race_check" and
// "races", docs/race-check.md): what was checked, the synchronisation seen, and each race with
// its two accesses.
#include <sstream>
#include <string>

#include "common/text.hpp"
#include "report/report_html.hpp"

namespace dfc::tb::html {

using common::html_escape;
using nlohmann::json;

std::string race_html(const json& r) {
  if (!r.contains("race_check") || !r["race_check"].is_object()) return "";
  const json& rc = r["race_check"];
  const json races = r.value("races", json::array());
  std::ostringstream o;
  o << "<h2>Race check</h2><p>" << html_escape(rc.value("mode", std::string())) << " mode, "
    << rc.value("threads", 0) << " hardware threads: " << rc.value("accesses", uint64_t{0})
    << " accesses checked, " << rc.value("unchecked_reads", uint64_t{0})
    << " reads inside sequence-lock attempts not checked; synchronisation seen:";
  const json sync = rc.value("sync_events", json::object());  // (a copy: value() returns one)
  for (const auto& [k, v] : sync.items()) o << " " << html_escape(k) << " " << v;
  o << ".</p><p>" << (races.empty() ? "<b>No race.</b>" : "<b style=\"color:#b00\">" + std::to_string(races.size()) +
                                                            " race(s)</b> (" +
                                                            std::to_string(rc.value("racing_accesses", uint64_t{0})) +
                                                            " racing accesses).")
    << "</p>";
  if (races.empty()) return o.str();
  o << "<table><tr><th>address</th><th>symbol</th><th>first access</th><th>second access</th></tr>";
  for (const json& x : races) {
    o << "<tr><td>" << html_escape(x.value("address", std::string())) << "</td><td>"
      << html_escape(x.value("symbol", std::string())) << "</td>";
    const json accesses = x.value("accesses", json::array());
    for (const json& a : accesses)
      o << "<td>" << html_escape(a.value("op", std::string())) << " by thread " << a.value("thread", 0) << " at "
        << a.value("time_ps", uint64_t{0}) / 1000 << " ns in " << html_escape(a.value("code", std::string())) << "</td>";
    o << "</tr>";
  }
  o << "</table>";
  return o.str();
}

}  // namespace dfc::tb::html
