// Scenario files: a JSON object naming the configuration, the DTCP script, the traffic and
// the expectations of one simulation run. Format: docs/user-guide.md "Scenario files".
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/file.hpp"
#include "host/harness.hpp"

namespace dfc::tb {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string slurp(const fs::path& p, const std::string& what, const std::string& scenario) {
  auto text = common::try_read_file(p);
  if (!text) throw std::runtime_error(scenario + ": " + what + " file '" + p.string() + "' cannot be read");
  return std::move(*text);
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

std::vector<TimedRequest> generate_churn(const ChurnSpec& c, uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + 17);
  // dest_pool "a.b.c.d/len": hosts drawn uniformly.
  const size_t slash = c.dest_pool.find('/');
  unsigned b[4] = {0, 0, 0, 0};
  int len = 32;
  if (std::sscanf(c.dest_pool.c_str(), "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) != 4 ||
      (slash != std::string::npos && (len = std::atoi(c.dest_pool.c_str() + slash + 1)) < 8) || len > 32)
    throw std::runtime_error("churn.dest_pool '" + c.dest_pool + "': expected an IPv4 prefix a.b.c.d/len (len 8..32)");
  const uint32_t base = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) & (len == 32 ? ~0u : ~((1u << (32 - len)) - 1));
  const uint32_t hosts = len == 32 ? 1u : (1u << (32 - len));
  std::vector<TimedRequest> out;
  uint64_t adds = 0;
  for (uint64_t i = 0; i < c.count; ++i) {
    TimedRequest r;
    r.at_ps = c.start_ps + static_cast<uint64_t>(double(i) / c.rate_per_s * 1e12);
    const unsigned draw = static_cast<unsigned>(rng() % 100);
    auto window = [&]() {
      // A Criteria-ID range around the IDs this churn has created so far (IDs are
      // card-wide; whatever exists in the range is affected).
      const uint64_t lo = 1 + (adds ? rng() % adds : 0);
      return std::to_string(lo) + "-" + std::to_string(lo + rng() % 4);
    };
    std::ostringstream q;
    if (draw < 55 || adds == 0) {
      const uint32_t a = base + static_cast<uint32_t>(rng() % hosts);
      q << "ADD DTCP/0.7\nCsource-ID: " << c.csource << "\nCdest-ID: " << c.cdest << "\nDest-Address: " << (a >> 24)
        << "." << ((a >> 16) & 255) << "." << ((a >> 8) & 255) << "." << (a & 255)
        << "\nTimeout-Packets: " << 1 + rng() % 200 << "\n";
      if (rng() % 2) q << "Flags: SendAsync\n";
      ++adds;
    } else if (draw < 70) {
      q << "DELETE DTCP/0.7\nCsource-ID: " << c.csource << "\nCriteria-ID: " << window() << "\n";
    } else if (draw < 80) {
      q << "REFRESH DTCP/0.7\nCsource-ID: " << c.csource << "\nCriteria-ID: " << window()
        << "\nTimeout-Packets: " << 1 + rng() % 200 << "\n";
    } else if (draw < 90) {
      q << "LIST DTCP/0.7\nCsource-ID: " << c.csource << "\nFlags: Stats\n";
    } else {
      q << "NOOP DTCP/0.7\nCsource-ID: " << c.csource << "\nFlags: SendAsync\n";
    }
    r.request = q.str() + "\n";
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

void check_known_keys(const json& j, const std::string& path) {
  static const std::set<std::string> known = {"description", "config",     "dtcp",     "traffic",
                                              "pcap",        "pcap_timing", "profile",  "classifier",
                                              "drain_ms",    "expect",      "timeline", "churn",
                                              "set",         "schedule_seed"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key()))
      throw std::runtime_error(path + ": unknown key '" + it.key() +
                               "' (description, config, dtcp, traffic, pcap, pcap_timing, profile, classifier, "
                               "drain_ms, expect, timeline, churn, set, schedule_seed)");
}

// The string value of key k, "" when absent.
std::string str_of(const json& j, const char* k, const std::string& path) {
  if (!j.contains(k)) return "";
  if (!j[k].is_string()) throw std::runtime_error(path + ": '" + k + "' must be a string");
  return j[k].get<std::string>();
}

// config, dtcp, traffic, pcap, pcap_timing: what the card is and what it is fed.
void read_inputs(const json& j, const std::string& path, const fs::path& dir, RunOptions& o) {
  const std::string cfg = str_of(j, "config", path);
  if (cfg.empty()) throw std::runtime_error(path + ": 'config' (the DFC configuration file) is required");
  o.sim.config_name = (dir / cfg).string();
  o.sim.config_text = slurp(dir / cfg, "config", path);
  if (const std::string d = str_of(j, "dtcp", path); !d.empty()) {
    o.dtcp_name = (dir / d).string();
    o.dtcp_requests = split_requests(slurp(dir / d, "dtcp", path));
  }
  o.traffic_spec = str_of(j, "traffic", path);
  if (const std::string pc = str_of(j, "pcap", path); !pc.empty()) o.pcap_in = (dir / pc).string();
  if (!o.traffic_spec.empty() && !o.pcap_in.empty())
    throw std::runtime_error(path + ": give either 'traffic' or 'pcap', not both");
  if (j.contains("pcap_timing")) {
    o.pcap_timing = str_of(j, "pcap_timing", path);
    if (o.pcap_timing != "original" && o.pcap_timing != "line-rate")
      throw std::runtime_error(path + ": pcap_timing must be \"original\" or \"line-rate\"");
  }
}

// profile, set, schedule_seed, classifier, drain_ms: the card model's settings.
void read_card_settings(const json& j, const std::string& path, const fs::path& dir, RunOptions& o) {
  if (j.contains("profile")) {
    // A built-in profile name, or a JSON profile file relative to the scenario.
    o.sim.profile = str_of(j, "profile", path);
    if (o.sim.profile.size() > 5 && o.sim.profile.compare(o.sim.profile.size() - 5, 5, ".json") == 0)
      o.sim.profile = (dir / o.sim.profile).string();
  }
  if (j.contains("set")) {
    if (!j["set"].is_array()) throw std::runtime_error(path + ": 'set' must be an array of \"KEY=VALUE\" strings");
    for (const auto& v : j["set"]) {
      if (!v.is_string()) throw std::runtime_error(path + ": 'set' must be an array of \"KEY=VALUE\" strings");
      o.sim.profile_sets.push_back(v.get<std::string>());
    }
  }
  if (j.contains("schedule_seed")) {
    if (!j["schedule_seed"].is_number_unsigned())
      throw std::runtime_error(path + ": schedule_seed must be a non-negative integer");
    o.sim.schedule_seed = j["schedule_seed"].get<uint64_t>();
  }
  if (j.contains("classifier")) o.sim.classifier = str_of(j, "classifier", path);
  if (j.contains("drain_ms")) {
    if (!j["drain_ms"].is_number() || j["drain_ms"].get<double>() < 0)
      throw std::runtime_error(path + ": drain_ms must be a non-negative number");
    o.drain_ps = static_cast<uint64_t>(j["drain_ms"].get<double>() * 1e9);
  }
}

// timeline: requests, DTCP scripts and card restarts at given times after traffic start.
void read_timeline(const json& timeline, const std::string& path, const fs::path& dir, RunOptions& o) {
  if (!timeline.is_array()) throw std::runtime_error(path + ": 'timeline' must be an array");
  size_t i = 0;
  for (const auto& e : timeline) {
    ++i;
    const std::string where = path + ": timeline[" + std::to_string(i - 1) + "]";
    if (!e.is_object() || !e.contains("at_ms") || !e["at_ms"].is_number() || e["at_ms"].get<double>() < 0)
      throw std::runtime_error(where + ": needs \"at_ms\" (a non-negative number)");
    const uint64_t at = static_cast<uint64_t>(std::llround(e["at_ms"].get<double>() * 1e9));
    if (e.contains("event")) {
      // A card event at that time; the only one is "restart" (docs/user-guide.md).
      if (!e["event"].is_string() || e["event"].get<std::string>() != "restart")
        throw std::runtime_error(where + ": unknown \"event\" (the only event is \"restart\")");
      o.restarts.push_back(at);
    } else if (e.contains("request") && e["request"].is_string()) {
      o.timeline.push_back({at, e["request"].get<std::string>()});
    } else if (e.contains("file") && e["file"].is_string()) {
      for (auto& r : split_requests(slurp(dir / e["file"].get<std::string>(), "timeline dtcp", path)))
        o.timeline.push_back({at, r});
    } else {
      throw std::runtime_error(where + ": needs \"request\" (wire-format text), \"file\" (a DTCP script) or "
                               "\"event\": \"restart\"");
    }
  }
}

ChurnSpec read_churn(const json& c, const std::string& path) {
  if (!c.is_object() || !c.contains("csource") || !c.contains("cdest"))
    throw std::runtime_error(path + ": 'churn' needs at least csource and cdest");
  ChurnSpec ch;
  ch.csource = c["csource"].get<std::string>();
  ch.cdest = c["cdest"].get<std::string>();
  ch.dest_pool = c.value("dest_pool", ch.dest_pool);
  ch.rate_per_s = c.value("rate_per_s", ch.rate_per_s);
  ch.count = c.value("count", ch.count);
  ch.start_ps = static_cast<uint64_t>(c.value("start_ms", 0.0) * 1e9);
  if (ch.rate_per_s <= 0) throw std::runtime_error(path + ": churn.rate_per_s must be positive");
  return ch;
}

}  // namespace

RunOptions load_scenario(const std::string& path) {
  const std::string text = slurp(path, "scenario", path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw std::runtime_error(path + ": a scenario is a JSON object");
  check_known_keys(j, path);
  const fs::path dir = fs::path(path).parent_path();
  RunOptions o;
  o.name = fs::path(path).stem().string();
  read_inputs(j, path, dir, o);
  read_card_settings(j, path, dir, o);
  if (j.contains("timeline")) read_timeline(j["timeline"], path, dir, o);
  if (j.contains("churn")) o.churn = read_churn(j["churn"], path);
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
