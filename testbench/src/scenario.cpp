// Scenario files: a JSON object naming the configuration, the DTCP script, the traffic and
// the expectations of one simulation run. Format: docs/user-guide.md "Scenario files".
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "dfc/tb/harness.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string slurp(const fs::path& p, const std::string& what, const std::string& scenario) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error(scenario + ": " + what + " file '" + p.string() + "' cannot be read");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// DTCP script: requests in wire format, each ended by an empty line.
std::vector<std::string> split_requests(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    std::string bare = line;
    if (!bare.empty() && bare.back() == '\r') bare.pop_back();
    if (bare.empty()) {
      if (!cur.empty()) out.push_back(cur + (line.empty() ? "\n" : "\r\n"));
      cur.clear();
      continue;
    }
    cur += line + "\n";
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

const json* lookup(const json& j, const std::string& dotted) {
  const json* cur = &j;
  std::istringstream is(dotted);
  std::string part;
  while (std::getline(is, part, '.')) {
    if (!cur->is_object() || !cur->contains(part)) return nullptr;
    cur = &(*cur)[part];
  }
  return cur;
}

}  // namespace

std::vector<std::string> split_dtcp_script(const std::string& text) { return split_requests(text); }

RunOptions load_scenario(const std::string& path) {
  const std::string text = slurp(path, "scenario", path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw std::runtime_error(path + ": a scenario is a JSON object");
  static const std::set<std::string> known = {"description", "config", "dtcp", "traffic", "pcap", "pcap_timing",
                                              "profile", "classifier", "drain_ms", "expect"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key()))
      throw std::runtime_error(path + ": unknown key '" + it.key() +
                               "' (description, config, dtcp, traffic, pcap, pcap_timing, profile, classifier, "
                               "drain_ms, expect)");
  const fs::path dir = fs::path(path).parent_path();
  auto str = [&](const char* k) -> std::string {
    if (!j.contains(k)) return "";
    if (!j[k].is_string()) throw std::runtime_error(path + ": '" + k + "' must be a string");
    return j[k].get<std::string>();
  };
  RunOptions o;
  o.name = fs::path(path).stem().string();
  const std::string cfg = str("config");
  if (cfg.empty()) throw std::runtime_error(path + ": 'config' (the DFC configuration file) is required");
  o.config_name = (dir / cfg).string();
  o.config_text = slurp(dir / cfg, "config", path);
  if (const std::string d = str("dtcp"); !d.empty()) {
    o.dtcp_name = (dir / d).string();
    o.dtcp_requests = split_requests(slurp(dir / d, "dtcp", path));
  }
  o.traffic_spec = str("traffic");
  if (const std::string pc = str("pcap"); !pc.empty()) o.pcap_in = (dir / pc).string();
  if (!o.traffic_spec.empty() && !o.pcap_in.empty())
    throw std::runtime_error(path + ": give either 'traffic' or 'pcap', not both");
  if (j.contains("pcap_timing")) {
    o.pcap_timing = str("pcap_timing");
    if (o.pcap_timing != "original" && o.pcap_timing != "line-rate")
      throw std::runtime_error(path + ": pcap_timing must be \"original\" or \"line-rate\"");
  }
  if (j.contains("profile")) o.profile = str("profile");
  if (j.contains("classifier")) o.classifier = str("classifier");
  if (j.contains("drain_ms")) {
    if (!j["drain_ms"].is_number() || j["drain_ms"].get<double>() < 0)
      throw std::runtime_error(path + ": drain_ms must be a non-negative number");
    o.drain_ps = static_cast<uint64_t>(j["drain_ms"].get<double>() * 1e9);
  }
  if (j.contains("expect")) {
    if (!j["expect"].is_object()) throw std::runtime_error(path + ": 'expect' must be an object");
    o.expect = j["expect"];
  }
  return o;
}

std::vector<std::string> check_expectations(const json& expect, const json& report) {
  std::vector<std::string> fails;
  if (expect.contains("scoreboard") && expect["scoreboard"].get<bool>()) {
    const json* sb = lookup(report, "scoreboard.pass");
    if (!sb)
      fails.push_back("scoreboard: no scoreboard result in the report");
    else if (!sb->get<bool>())
      fails.push_back("scoreboard: FAILED (see report.json scoreboard.errors)");
  }
  if (expect.contains("report")) {
    for (auto it = expect["report"].begin(); it != expect["report"].end(); ++it) {
      const json* v = lookup(report, it.key());
      if (!v || !v->is_number()) {
        fails.push_back(it.key() + ": not a number in the report");
        continue;
      }
      const double x = v->get<double>();
      const json& c = it.value();
      auto num = [&](const char* k) { return c[k].get<double>(); };
      if (c.contains("min") && x < num("min"))
        fails.push_back(it.key() + " = " + v->dump() + ", expected >= " + c["min"].dump());
      if (c.contains("max") && x > num("max"))
        fails.push_back(it.key() + " = " + v->dump() + ", expected <= " + c["max"].dump());
      if (c.contains("eq") && x != num("eq"))
        fails.push_back(it.key() + " = " + v->dump() + ", expected " + c["eq"].dump());
    }
  }
  return fails;
}

}  // namespace dfc::tb
