// Scenario files: a JSON object naming the configuration, the DTCP script, the traffic and
// the expectations of one simulation run. Format: docs/user-guide.md "Scenario files".
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
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

// DTCP script: requests in wire format, each ended by an empty line. `lines` (when given) gets
// the line each request starts on, for messages that point into the script.
std::vector<std::string> split_requests(const std::string& text, std::vector<int>* lines = nullptr) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(text);
  std::string line;
  int no = 0;
  while (std::getline(is, line)) {
    ++no;
    std::string bare = line;
    if (!bare.empty() && bare.back() == '\r') bare.pop_back();
    if (bare.empty()) {
      if (!cur.empty()) out.push_back(cur + (line.empty() ? "\n" : "\r\n"));
      cur.clear();
      continue;
    }
    if (cur.empty() && lines) lines->push_back(no);
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

std::vector<std::string> split_dtcp_script(const std::string& text, std::vector<int>* lines) {
  return split_requests(text, lines);
}

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

// A scenario field that is missing, of the wrong type or out of range: load_scenario adds the
// file and the line of the field ("<file>:<line>: <field>: <what>").
struct FieldError : std::runtime_error {
  FieldError(std::string f, const std::string& what) : std::runtime_error(what), field(std::move(f)) {}
  std::string field;  // "churn.count", "timeline[2]", "expect.report.copies_sent.min"
};

// Line (1-based) of each field of a JSON text that parsed, named as FieldError names them: an
// object member at its key, an array element where it starts. A scan over the text, run only
// when a field is wrong, so the happy path parses once with nlohmann alone.
std::map<std::string, int> field_lines(const std::string& text) {
  struct Frame {
    bool array;
    std::string path;
    size_t index = 0;
    std::string key;
    bool expect_key = true;
  };
  std::map<std::string, int> lines;
  std::vector<Frame> stack;
  int line = 1;
  auto child = [&]() {
    const Frame& f = stack.back();
    if (f.array) return f.path + "[" + std::to_string(f.index) + "]";
    return f.path.empty() ? f.key : f.path + "." + f.key;
  };
  auto value_starts = [&]() {
    if (!stack.empty() && stack.back().array) lines.emplace(child(), line);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (c == '"') {
      std::string str;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        str += text[i];
      }
      if (!stack.empty() && !stack.back().array && stack.back().expect_key) {
        stack.back().key = str, stack.back().expect_key = false;
        lines.emplace(child(), line);
      } else {
        value_starts();
      }
    } else if (c == '{' || c == '[') {
      value_starts();
      stack.push_back({c == '[', stack.empty() ? "" : child(), 0, "", true});
    } else if ((c == '}' || c == ']') && !stack.empty()) {
      stack.pop_back();
    } else if (c == ',' && !stack.empty()) {
      ++stack.back().index;
      stack.back().expect_key = true;
    } else if (!std::isspace(static_cast<unsigned char>(c)) && c != ':') {
      value_starts();  // a number or a literal: skip to its end
      while (i + 1 < text.size() && !std::strchr(",]}\n \t\r", text[i + 1])) ++i;
    }
  }
  return lines;
}

// "<file>:<line>:<column>: <reason>" of a JSON syntax error (nlohmann gives a byte offset).
std::string syntax_error(const std::string& path, const std::string& text, const json::parse_error& e) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line, col = 1;
    } else {
      ++col;
    }
  }
  std::string why = e.what();
  const size_t at = why.find("parse error");
  const size_t colon = at == std::string::npos ? at : why.find(": ", at);
  if (colon != std::string::npos) why = why.substr(colon + 2);
  return path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": not valid JSON: " + why;
}

void check_known_keys(const json& j) {
  static const std::set<std::string> known = {"description", "config",     "dtcp",     "traffic",
                                              "pcap",        "pcap_timing", "profile",  "classifier",
                                              "drain_ms",    "expect",      "timeline", "churn",
                                              "set",         "schedule_seed", "firmware",
                                              "race_check",  "mode"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key()))
      throw FieldError(it.key(), "unknown key (description, config, dtcp, traffic, pcap, pcap_timing, profile, "
                                 "classifier, drain_ms, expect, timeline, churn, set, schedule_seed, firmware, race_check, mode)");
}

// The string value of key k, "" when absent.
std::string str_of(const json& j, const char* k, const std::string& field = "") {
  if (!j.contains(k)) return "";
  if (!j[k].is_string()) throw FieldError(field.empty() ? k : field, "must be a string");
  return j[k].get<std::string>();
}

// config, dtcp, traffic, pcap, pcap_timing: what the card is and what it is fed.
void read_inputs(const json& j, const std::string& path, const fs::path& dir, RunOptions& o) {
  const std::string cfg = str_of(j, "config");
  if (cfg.empty()) throw std::runtime_error(path + ": 'config' (the DFC configuration file) is required");
  o.sim.config_name = (dir / cfg).string();
  o.sim.config_text = slurp(dir / cfg, "config", path);
  if (const std::string d = str_of(j, "dtcp"); !d.empty()) {
    o.dtcp_name = (dir / d).string();
    o.dtcp_requests = split_requests(slurp(dir / d, "dtcp", path), &o.dtcp_lines);
  }
  o.traffic_spec = str_of(j, "traffic");
  if (const std::string pc = str_of(j, "pcap"); !pc.empty()) o.pcap_in = (dir / pc).string();
  if (!o.traffic_spec.empty() && !o.pcap_in.empty()) throw FieldError("pcap", "give either 'traffic' or 'pcap', not both");
  if (j.contains("pcap_timing")) {
    o.pcap_timing = str_of(j, "pcap_timing");
    if (o.pcap_timing != "original" && o.pcap_timing != "line-rate")
      throw FieldError("pcap_timing", "'" + o.pcap_timing + "' is not a timing: \"original\" or \"line-rate\"");
  }
}

// profile, set, schedule_seed, classifier, drain_ms: the card model's settings.
void read_card_settings(const json& j, const fs::path& dir, RunOptions& o) {
  if (j.contains("profile")) {
    // A built-in profile name, or a JSON profile file relative to the scenario.
    o.sim.profile = str_of(j, "profile");
    if (o.sim.profile.size() > 5 && o.sim.profile.compare(o.sim.profile.size() - 5, 5, ".json") == 0)
      o.sim.profile = (dir / o.sim.profile).string();
  }
  if (j.contains("set")) {
    if (!j["set"].is_array()) throw FieldError("set", "must be an array of \"KEY=VALUE\" strings");
    size_t i = 0;
    for (const auto& v : j["set"]) {
      if (!v.is_string()) throw FieldError("set[" + std::to_string(i) + "]", "must be a \"KEY=VALUE\" string");
      o.sim.profile_sets.push_back(v.get<std::string>());
      ++i;
    }
  }
  if (j.contains("schedule_seed")) {
    if (!j["schedule_seed"].is_number_unsigned()) throw FieldError("schedule_seed", "must be a non-negative integer");
    o.sim.schedule_seed = j["schedule_seed"].get<uint64_t>();
  }
  if (j.contains("race_check")) {
    if (!j["race_check"].is_boolean()) throw FieldError("race_check", "must be true or false");
    o.sim.race_check = j["race_check"].get<bool>();
  }
  if (j.contains("mode")) {
    o.sim.model = str_of(j, "mode");
    if (o.sim.model != "timing" && o.sim.model != "fast")
      throw FieldError("mode", "'" + o.sim.model + "' is not a card model: \"timing\" or \"fast\" (docs/fast-mode.md)");
  }
  if (j.contains("classifier")) {
    o.sim.classifier = str_of(j, "classifier");
    if (o.sim.classifier != "rtl" && o.sim.classifier != "model" && o.sim.classifier != "lockstep")
      throw FieldError("classifier", "'" + o.sim.classifier + "' is not a classifier: \"rtl\", \"model\" or \"lockstep\"");
  }
  if (j.contains("firmware")) {  // an image file, relative to the scenario
    const std::string f = str_of(j, "firmware");
    if (f.empty()) throw FieldError("firmware", "must name a firmware image (e.g. build/bin/dfc_firmware.elf)");
    o.sim.firmware = (dir / f).string();
    if (!fs::exists(o.sim.firmware)) throw FieldError("firmware", "'" + o.sim.firmware + "' does not exist");
  }
  if (j.contains("drain_ms")) {
    if (!j["drain_ms"].is_number() || j["drain_ms"].get<double>() < 0)
      throw FieldError("drain_ms", "must be a non-negative number");
    o.drain_ps = static_cast<uint64_t>(j["drain_ms"].get<double>() * 1e9);
  }
}

// timeline: requests, DTCP scripts and card restarts at given times after traffic start.
// `lines`: field_lines of the scenario, so a request written inline is named by its line.
void read_timeline(const json& timeline, const std::string& path, const fs::path& dir,
                   const std::map<std::string, int>& lines, RunOptions& o) {
  if (!timeline.is_array()) throw FieldError("timeline", "must be an array");
  size_t i = 0;
  for (const auto& e : timeline) {
    const std::string field = "timeline[" + std::to_string(i++) + "]";
    if (!e.is_object() || !e.contains("at_ms") || !e["at_ms"].is_number() || e["at_ms"].get<double>() < 0)
      throw FieldError(field, "needs \"at_ms\" (a non-negative number)");
    const uint64_t at = static_cast<uint64_t>(std::llround(e["at_ms"].get<double>() * 1e9));
    if (e.contains("event")) {
      // A card event at that time; the only one is "restart" (docs/user-guide.md).
      if (!e["event"].is_string() || e["event"].get<std::string>() != "restart")
        throw FieldError(field + ".event", "unknown event (the only event is \"restart\")");
      o.restarts.push_back(at);
    } else if (e.contains("request") && e["request"].is_string()) {
      const auto line = lines.find(field);
      const std::string at_line = line == lines.end() ? "" : ":" + std::to_string(line->second);
      o.timeline.push_back({at, e["request"].get<std::string>(), path + at_line + ": " + field});
    } else if (e.contains("file") && e["file"].is_string()) {
      const std::string file = (dir / e["file"].get<std::string>()).string();
      std::vector<int> starts;
      const auto reqs = split_requests(slurp(file, "timeline dtcp", path), &starts);
      for (size_t k = 0; k < reqs.size(); ++k)
        o.timeline.push_back({at, reqs[k], file + ":" + std::to_string(starts[k]) + ": request " + std::to_string(k + 1)});
    } else {
      throw FieldError(field, "needs \"request\" (wire-format text), \"file\" (a DTCP script) or \"event\": \"restart\"");
    }
  }
}

ChurnSpec read_churn(const json& c) {
  if (!c.is_object()) throw FieldError("churn", "must be an object with at least csource and cdest");
  for (auto it = c.begin(); it != c.end(); ++it)
    if (!std::set<std::string>{"csource", "cdest", "dest_pool", "rate_per_s", "count", "start_ms"}.count(it.key()))
      throw FieldError("churn." + it.key(), "unknown key (csource, cdest, dest_pool, rate_per_s, count, start_ms)");
  ChurnSpec ch;
  ch.csource = str_of(c, "csource", "churn.csource");
  ch.cdest = str_of(c, "cdest", "churn.cdest");
  if (ch.csource.empty() || ch.cdest.empty()) throw FieldError("churn", "needs at least csource and cdest");
  if (c.contains("dest_pool")) ch.dest_pool = str_of(c, "dest_pool", "churn.dest_pool");
  if (c.contains("rate_per_s")) {
    if (!c["rate_per_s"].is_number() || !(c["rate_per_s"].get<double>() > 0))
      throw FieldError("churn.rate_per_s", "must be a positive number (requests per second)");
    ch.rate_per_s = c["rate_per_s"].get<double>();
  }
  if (c.contains("count")) {
    if (!c["count"].is_number_unsigned()) throw FieldError("churn.count", "must be a non-negative integer");
    ch.count = c["count"].get<uint64_t>();
  }
  if (c.contains("start_ms")) {
    if (!c["start_ms"].is_number() || c["start_ms"].get<double>() < 0)
      throw FieldError("churn.start_ms", "must be a non-negative number");
    ch.start_ps = static_cast<uint64_t>(c["start_ms"].get<double>() * 1e9);
  }
  return ch;
}

// expect: {"scoreboard": bool, "report": {"<dotted.path>": {"min"|"max"|"eq": number}}}, checked
// here so a typo fails before the run rather than after it.
void check_expect(const json& x) {
  if (!x.is_object()) throw FieldError("expect", "must be an object");
  for (auto it = x.begin(); it != x.end(); ++it)
    if (it.key() != "scoreboard" && it.key() != "report") throw FieldError("expect." + it.key(), "unknown key (scoreboard, report)");
  if (x.contains("scoreboard") && !x["scoreboard"].is_boolean()) throw FieldError("expect.scoreboard", "must be true or false");
  if (!x.contains("report")) return;
  if (!x["report"].is_object()) throw FieldError("expect.report", "must be an object of {\"min\"|\"max\"|\"eq\": number}");
  for (auto it = x["report"].begin(); it != x["report"].end(); ++it) {
    const std::string f = "expect.report." + it.key();
    if (!it.value().is_object()) throw FieldError(f, "must be an object of {\"min\"|\"max\"|\"eq\": number}");
    for (auto c = it.value().begin(); c != it.value().end(); ++c) {
      if (c.key() != "min" && c.key() != "max" && c.key() != "eq") throw FieldError(f + "." + c.key(), "unknown bound (min, max, eq)");
      if (!c.value().is_number()) throw FieldError(f + "." + c.key(), "must be a number");
    }
  }
}

}  // namespace

RunOptions load_scenario(const std::string& path) {
  const std::string text = slurp(path, "scenario", path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(syntax_error(path, text, e));
  }
  if (!j.is_object()) throw std::runtime_error(path + ":1: a scenario is a JSON object");
  const fs::path dir = fs::path(path).parent_path();
  RunOptions o;
  o.name = fs::path(path).stem().string();
  try {
    check_known_keys(j);
    read_inputs(j, path, dir, o);
    read_card_settings(j, dir, o);
    if (j.contains("timeline")) read_timeline(j["timeline"], path, dir, field_lines(text), o);
    if (j.contains("churn")) o.churn = read_churn(j["churn"]);
    if (j.contains("expect")) check_expect(j["expect"]), o.expect = j["expect"];
  } catch (const FieldError& e) {
    const auto lines = field_lines(text);
    const auto at = lines.find(e.field);
    const std::string line = at == lines.end() ? "" : ":" + std::to_string(at->second);
    throw std::runtime_error(path + line + ": " + e.field + ": " + e.what());
  }
  return o;
}

std::vector<std::string> check_expectations(const json& expect, const json& report) {
  std::vector<std::string> fails;
  // The independent scoreboard's verdict is the run's verification, with or without a scenario:
  // a command-line run whose copies the scoreboard rejects fails (exit 3), as a firmware
  // engineer's CI needs. `"scoreboard": false` asks for no verdict (a run that studies a broken
  // firmware); `true` also requires that there is one.
  const bool required = expect.contains("scoreboard") && expect["scoreboard"].get<bool>();
  const bool waived = expect.contains("scoreboard") && !expect["scoreboard"].get<bool>();
  if (!waived) {
    const json* sb = lookup(report, "scoreboard.pass");
    if (!sb) {
      if (required) fails.push_back("scoreboard: no scoreboard result in the report");
    } else if (!sb->get<bool>()) {
      fails.push_back("scoreboard: FAILED (see report.json scoreboard.errors)");
    }
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
