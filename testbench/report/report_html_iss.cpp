// report.html's section for a card that ran the firmware image (report.json "iss", docs/iss.md):
// what the code cost, measured by the instruction-set simulators — the ISA, the mean
// instructions per path of the packet loop, and each hardware thread's instructions, cycles,
// loads and stores (threads that retired nothing are summed in one line), and where the
// instructions go: the functions with the most, in all and per DTCP request.
#include <cstdio>
#include <sstream>
#include <string>

#include "common/text.hpp"
#include "report/report_html.hpp"

namespace dfc::tb::html {

using common::html_escape;
using nlohmann::json;

namespace {

std::string thousands(const json& v) {
  if (!v.is_number()) return "&ndash;";
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", v.get<double>());
  std::string s = b, out;
  for (size_t i = 0; i < s.size(); ++i) {  // thousands separated by a thin space
    if (i && (s.size() - i) % 3 == 0) out += "&#8201;";
    out += s[i];
  }
  return out;
}

// The first n functions of a report.json profile list (iss.functions, or a path's functions).
void functions_table(std::ostringstream& o, const json& fns, const char* caption, bool per_packet, size_t n) {
  if (!fns.is_array() || fns.empty()) return;
  o << "<table><caption>" << caption << "</caption><tr><th>function</th><th>instructions</th><th>share</th><th>calls</th>"
    << (per_packet ? "<th>per packet</th>" : "") << "</tr>";
  for (size_t i = 0; i < fns.size() && i < n; ++i) {
    const json& f = fns[i];
    char share[16];
    std::snprintf(share, sizeof share, "%.1f%%", 100 * f.value("share", 0.0));
    o << "<tr><td>" << html_escape(f.value("function", std::string())) << "</td><td>" << thousands(f.value("instructions", json()))
      << "</td><td>" << share << "</td><td>" << thousands(f.value("calls", json())) << "</td>";
    if (per_packet) o << "<td>" << thousands(f.value("per_packet", json())) << "</td>";
    o << "</tr>";
  }
  o << "</table>";
}

}  // namespace

std::string iss_html(const json& iss) {
  if (!iss.is_object()) return "";
  std::ostringstream o;
  o << "<h2>Firmware image</h2><p>" << html_escape(iss.value("image", std::string())) << " on "
    << html_escape(iss.value("isa", std::string())) << ": " << thousands(iss.value("instructions", json()))
    << " instructions from time 0 (the boot before it: " << thousands(iss.value("boot_instructions", json()))
    << ").</p>";
  const json& pp = iss.value("per_path", json::object());
  const json& pn = iss.value("per_path_packets", json::object());
  o << "<table><tr><th>path</th><th>packets</th><th>instructions per packet</th></tr>";
  for (const char* k : {"hit", "miss", "copy", "dtcp", "other"})
    o << "<tr><td>" << k << "</td><td>" << thousands(pn.value(k, json())) << "</td><td>" << thousands(pp.value(k, json()))
      << "</td></tr>";
  o << "</table><table><tr><th>hardware thread</th><th>instructions</th><th>cycles</th><th>loads</th><th>stores</th></tr>";
  unsigned idle = 0;
  for (const json& t : iss.value("threads", json::array())) {
    if (t.value("instructions", 0.0) == 0) {
      ++idle;
      continue;
    }
    o << "<tr><td>" << thousands(t.value("thread", json())) << "</td><td>" << thousands(t.value("instructions", json()))
      << "</td><td>" << thousands(t.value("cycles", json())) << "</td><td>" << thousands(t.value("loads", json())) << "</td><td>"
      << thousands(t.value("stores", json())) << "</td></tr>";
  }
  if (idle) o << "<tr><td colspan='5'>" << idle << " hardware thread(s) retired nothing after the boot</td></tr>";
  o << "</table>";
  functions_table(o, iss.value("functions", json()), "where the instructions go (from time 0)", false, 10);
  const json& dtcp = iss.value("functions_per_path", json::object()).value("dtcp", json::object());
  functions_table(o, dtcp.value("functions", json()), "where a DTCP request's instructions go", true, 10);
  return o.str();
}

}  // namespace dfc::tb::html
