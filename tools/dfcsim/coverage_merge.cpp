#include "coverage_merge.hpp"

#include <filesystem>
#include <fstream>
#include <map>

namespace dfc::tools {
using nlohmann::json;

size_t MergedCoverage::covered() const {
  size_t n = 0;
  for (const auto& b : bins) n += b.hits > 0;
  return n;
}

std::vector<const CoverageBin*> MergedCoverage::holes() const {
  std::vector<const CoverageBin*> h;
  for (const auto& b : bins)
    if (b.hits == 0) h.push_back(&b);
  return h;
}

namespace {
// Leaves that are a run's settings, not counts (the scoreboard's capacity limits): summing the
// classifier depths of 25 runs gives a depth no card has, so the merge keeps the largest.
bool is_setting(const std::string& key) {
  static const char* const kSettings[] = {"classifier_depth", "max_criteria", "max_source_share_percent",
                                          "max_terms_per_criterion"};
  for (const char* k : kSettings)
    if (key == k) return true;
  return false;
}
}  // namespace

void merge_counters(json& a, const json& b) {
  if (b.is_object()) {
    if (!a.is_object()) a = json::object();
    for (auto it = b.begin(); it != b.end(); ++it) {
      json& to = a[it.key()];
      if (is_setting(it.key()) && it.value().is_number() && to.is_number()) {
        if (it.value().get<double>() > to.get<double>()) to = it.value();
      } else {
        merge_counters(to, it.value());
      }
    }
  } else if (b.is_number()) {
    if (a.is_number_unsigned() && b.is_number_unsigned())
      a = a.get<uint64_t>() + b.get<uint64_t>();
    else if (a.is_number())
      a = a.get<double>() + b.get<double>();
    else if (a.is_null())
      a = b;
  } else if (a.is_null()) {
    a = b;
  }
}

namespace {

uint64_t count_at(const json& j, const std::vector<std::string>& path) {
  const json* p = &j;
  for (const auto& k : path) {
    if (!p->is_object() || !p->contains(k)) return 0;
    p = &(*p)[k];
  }
  if (p->is_number_unsigned()) return p->get<uint64_t>();
  if (p->is_number()) return p->get<double>() > 0 ? static_cast<uint64_t>(p->get<double>()) : 0;
  return 0;
}

// Reply codes each method can produce (docs/dtcp-conformance.md, reference §1.4/§4): the
// plan's method x status bins.
const std::map<std::string, std::vector<int>>& method_codes() {
  static const std::map<std::string, std::vector<int>> m = {
      {"ADD", {200, 400, 430, 432, 433, 501, 505, 550}},
      {"DELETE", {200, 400, 430, 431}},
      {"REFRESH", {200, 400, 430, 431, 433}},
      {"LIST", {200, 400, 430, 431}},
      {"NOOP", {200}},
  };
  return m;
}

}  // namespace

MergedCoverage evaluate_plan(json sum, size_t reports) {
  MergedCoverage m;
  m.sum = std::move(sum);
  m.reports = reports;
  const json& cov = m.sum.contains("coverage") ? m.sum["coverage"] : json::object();
  auto bin = [&](const std::string& g, const std::string& n, uint64_t hits) { m.bins.push_back({g, n, hits}); };
  for (const auto& [method, codes] : method_codes())
    for (int c : codes) {
      const std::string key = method + " " + std::to_string(c);
      bin("dtcp.reply_status", key, count_at(cov, {"dtcp", "reply_status", key}));
    }
  for (int code : {130, 131, 390, 580, 598, 680})
    bin("dtcp.notifications", std::to_string(code), count_at(cov, {"dtcp", "notifications", std::to_string(code)}));
  const std::vector<std::string> addr_forms = {"single", "prefix", "range", "wildcard", "list", "negation", "ipv4", "ipv6"};
  const std::vector<std::string> num_forms = {"single", "range", "open_range", "wildcard", "list", "negation"};
  for (const char* f : {"Source-Address", "Dest-Address"})
    for (const auto& form : addr_forms) bin("criteria_forms", std::string(f) + " " + form, count_at(cov, {"criteria_forms", f, form}));
  for (const char* f : {"Source-Port", "Dest-Port", "Protocol", "ICMP-Type", "ICMP-Code"})
    for (const auto& form : num_forms) bin("criteria_forms", std::string(f) + " " + form, count_at(cov, {"criteria_forms", f, form}));
  for (const char* k : {"static", "send_async", "multi_cdest", "with_ports", "with_icmp"})
    bin("criteria", k, count_at(cov, {"criteria", k}));
  for (const char* t : {"total", "idle", "packets", "bytes"}) {
    bin("timeouts", std::string("predicted_") + t, count_at(cov, {"timeouts", std::string("predicted_") + t}));
    bin("timeouts", std::string("notified_") + t, count_at(cov, {"timeouts", std::string("notified_") + t}));
  }
  for (const char* d : {"0", "1", "2", "3", "4"})
    bin("multi_match_depth", std::string("criteria ") + d, count_at(cov, {"multi_match_depth", "criteria", d}));
  for (const char* d : {"1", "2", "3", "4"})
    bin("multi_match_depth", std::string("destinations ") + d, count_at(cov, {"multi_match_depth", "destinations", d}));
  bin("max_duplicates", "predicted_drops", count_at(cov, {"max_duplicates", "predicted_drops"}));
  for (const char* k : {"Soft", "Hard"})
    for (const char* q : {"Pps", "Mem"})
      for (const char* w : {"ThresholdExceeded", "UnderThreshold"}) {
        const std::string trap = std::string("jnxDfc") + k + q + w;
        bin("overload", trap, count_at(m.sum, {"overload", "counts", trap}));
      }
  for (const char* p : {"ipv4", "ipv6", "vlan", "ipv6_ext_headers", "fragment_first", "fragment_nonfirst", "icmp",
                        "not_ip", "mpls"})
    bin("packets", p, count_at(cov, {"packets", p}));
  return m;
}

MergedCoverage merge_run_reports(const std::vector<std::string>& run_dirs) {
  json sum = json::object();
  size_t n = 0;
  std::vector<std::string> bad;
  for (const auto& d : run_dirs) {
    std::ifstream f(std::filesystem::path(d) / "report.json");
    json r = f ? json::parse(f, nullptr, false) : json();
    if (!r.is_object()) {
      bad.push_back(d);
      continue;
    }
    json part = json::object();
    if (r.contains("coverage")) part["coverage"] = r["coverage"];
    if (r.contains("overload") && r["overload"].contains("counts")) part["overload"]["counts"] = r["overload"]["counts"];
    merge_counters(sum, part);
    ++n;
  }
  MergedCoverage m = evaluate_plan(std::move(sum), n);
  m.unreadable = std::move(bad);
  return m;
}

void print_coverage_summary(const MergedCoverage& m, std::ostream& os) {
  std::map<std::string, std::pair<size_t, size_t>> per;  // group -> covered, total
  for (const auto& b : m.bins) {
    auto& [c, t] = per[b.group];
    ++t;
    c += b.hits > 0;
  }
  os << "\nFunctional coverage merged over " << m.reports << " run(s): " << m.covered() << "/" << m.bins.size()
     << " bins hit\n";
  for (const auto& [g, ct] : per) os << "  " << g << ": " << ct.first << "/" << ct.second << "\n";
  std::map<std::string, std::string> holes;  // group -> "bin, bin, ..."
  for (const auto* h : m.holes()) holes[h->group] += (holes[h->group].empty() ? "" : ", ") + h->name;
  if (!holes.empty()) os << "Holes (bins no run hit):\n";
  for (const auto& [g, list] : holes) os << "  " << g << ": " << list << "\n";
  for (const auto& d : m.unreadable) os << "  (no readable report.json in " << d << ")\n";
}

json coverage_json(const MergedCoverage& m) {
  json bins = json::array(), holes = json::array();
  for (const auto& b : m.bins) {
    bins.push_back({{"group", b.group}, {"bin", b.name}, {"hits", b.hits}});
    if (b.hits == 0) holes.push_back(b.group + ": " + b.name);
  }
  return {{"reports", m.reports}, {"bins_total", m.bins.size()}, {"bins_hit", m.covered()},
          {"holes", holes}, {"bins", bins}, {"merged", m.sum}, {"unreadable", m.unreadable}};
}

}  // namespace dfc::tools
