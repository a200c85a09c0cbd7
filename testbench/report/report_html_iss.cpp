// report.html's section for a card that ran the firmware image (report.json "iss", docs/iss.md):
// what the code cost, measured by the instruction-set simulators — the ISA, the mean
// instructions per path of the packet loop, and each hardware thread's instructions, cycles,
// loads and stores (threads that retired nothing are summed in one line).
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
  return o.str();
}

}  // namespace dfc::tb::html
