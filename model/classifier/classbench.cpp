// ClassBench rule/trace readers and the classbench run (library dfc_classbench).
#include "classbench.hpp"

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "classifier_bus.hpp"
#include "classifier_bus_hal.hpp"
#include "classifier_device.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_key.hpp"
#include "dfc/hal/hal.hpp"

namespace dfc::classbench {

namespace {

[[noreturn]] void fail(const std::string& path, unsigned line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

uint32_t prefix_mask(unsigned len) { return len == 0 ? 0u : ~0u << (32 - len); }

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

using DirectHal = model::ClassifierBusHal;  // the block's bus-only HAL

bool rule_matches(const Rule& r, const Header& h) {
  return (h.src & prefix_mask(r.src_len)) == r.src && (h.dst & prefix_mask(r.dst_len)) == r.dst &&
         h.sport >= r.sport_lo && h.sport <= r.sport_hi && h.dport >= r.dport_lo &&
         h.dport <= r.dport_hi && (h.proto & r.proto_mask) == (r.proto & r.proto_mask);
}

}  // namespace

std::vector<Rule> load_rules(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open rule file");
  std::vector<Rule> rules;
  std::string s;
  unsigned line = 0;
  while (std::getline(f, s)) {
    ++line;
    if (blank(s)) continue;
    unsigned a[4], b[4], sl, dl, p0, p1, p2, p3, pv, pm, fv, fm;
    int end = -1;
    const int n = std::sscanf(s.c_str(), " @%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x %x/%x %n",
                              &a[0], &a[1], &a[2], &a[3], &sl, &b[0], &b[1], &b[2], &b[3], &dl,
                              &p0, &p1, &p2, &p3, &pv, &pm, &fv, &fm, &end);
    if (n < 16) fail(path, line, "malformed ClassBench rule (expected '@src/len dst/len lo : hi lo : hi proto/mask flags/mask')");
    if (n >= 18 && end >= 0 && !blank(s.substr(static_cast<size_t>(end))))
      fail(path, line, "trailing characters after the flags field");
    for (int i = 0; i < 4; ++i)
      if (a[i] > 255 || b[i] > 255) fail(path, line, "address octet above 255");
    if (sl > 32 || dl > 32) fail(path, line, "prefix length above 32");
    if (p0 > 65535 || p1 > 65535 || p2 > 65535 || p3 > 65535) fail(path, line, "port above 65535");
    if (p0 > p1 || p2 > p3) fail(path, line, "port range with lo > hi");
    if (pv > 255 || pm > 255) fail(path, line, "protocol value/mask above 0xFF");
    Rule r;
    r.src_len = sl;
    r.dst_len = dl;
    r.src = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) & prefix_mask(sl);
    r.dst = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) & prefix_mask(dl);
    r.sport_lo = static_cast<uint16_t>(p0);
    r.sport_hi = static_cast<uint16_t>(p1);
    r.dport_lo = static_cast<uint16_t>(p2);
    r.dport_hi = static_cast<uint16_t>(p3);
    r.proto_mask = static_cast<uint8_t>(pm);
    r.proto = static_cast<uint8_t>(pv & pm);
    const uint8_t inv = static_cast<uint8_t>(~pm);
    if ((inv & (inv + 1)) != 0) fail(path, line, "protocol mask is not a prefix mask");
    r.line = line;
    rules.push_back(r);
  }
  return rules;
}

std::vector<Header> load_trace(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open trace file");
  std::vector<Header> out;
  std::string s;
  unsigned line = 0;
  while (std::getline(f, s)) {
    ++line;
    if (blank(s)) continue;
    unsigned long src, dst, sp, dp, pr;
    if (std::sscanf(s.c_str(), "%lu %lu %lu %lu %lu", &src, &dst, &sp, &dp, &pr) != 5)
      fail(path, line, "malformed trace line (expected 'src dst sport dport proto ...')");
    if (src > 0xffffffffUL || dst > 0xffffffffUL || sp > 65535 || dp > 65535 || pr > 255)
      fail(path, line, "trace field out of range");
    Header h;
    h.src = static_cast<uint32_t>(src);
    h.dst = static_cast<uint32_t>(dst);
    h.sport = static_cast<uint16_t>(sp);
    h.dport = static_cast<uint16_t>(dp);
    h.proto = static_cast<uint8_t>(pr);
    out.push_back(h);
  }
  return out;
}

std::vector<Header> generate_headers(const std::vector<Rule>& rules, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Header> out;
  out.reserve(n);
  static const uint8_t kProtos[] = {6, 17, 1, 47, 50};
  for (size_t i = 0; i < n; ++i) {
    Header h;
    if (rules.empty() || rng() % 16 == 0) {  // some fully random headers
      h.src = static_cast<uint32_t>(rng());
      h.dst = static_cast<uint32_t>(rng());
      h.sport = static_cast<uint16_t>(rng());
      h.dport = static_cast<uint16_t>(rng());
      h.proto = kProtos[rng() % 5];
    } else {
      const Rule& r = rules[rng() % rules.size()];
      h.src = r.src | (static_cast<uint32_t>(rng()) & ~prefix_mask(r.src_len));
      h.dst = r.dst | (static_cast<uint32_t>(rng()) & ~prefix_mask(r.dst_len));
      h.sport = static_cast<uint16_t>(r.sport_lo + rng() % (uint32_t{r.sport_hi} - r.sport_lo + 1));
      h.dport = static_cast<uint16_t>(r.dport_lo + rng() % (uint32_t{r.dport_hi} - r.dport_lo + 1));
      h.proto = static_cast<uint8_t>(r.proto | (kProtos[rng() % 5] & ~r.proto_mask));
    }
    out.push_back(h);
  }
  return out;
}

fw::MatchTerm to_term(const Rule& r) {
  fw::MatchTerm t;
  t.family = fw::MatchTerm::Family::V4;
  t.src.lo.lo = r.src;
  t.src.hi.lo = r.src | ~prefix_mask(r.src_len);
  t.dst.lo.lo = r.dst;
  t.dst.hi.lo = r.dst | ~prefix_mask(r.dst_len);
  t.sport_lo = r.sport_lo;
  t.sport_hi = r.sport_hi;
  t.dport_lo = r.dport_lo;
  t.dport_hi = r.dport_hi;
  t.proto_lo = r.proto;
  t.proto_hi = static_cast<uint8_t>(r.proto | static_cast<uint8_t>(~r.proto_mask));
  return t;
}

abi::KeyWords to_key(const Header& h) {
  fw::FlowKey k;
  k.src.lo = h.src;
  k.dst.lo = h.dst;
  k.proto = h.proto;
  k.has_ports = true;
  k.sport = h.sport;
  k.dport = h.dport;
  return k.words();
}

Summary run(const Options& o, std::ostream& out) {
  using clock = std::chrono::steady_clock;
  Summary sum;
  const std::vector<Rule> rules = load_rules(o.rules);
  const std::vector<Header> headers =
      o.trace.empty() ? generate_headers(rules, o.headers, o.seed) : load_trace(o.trace);
  uint32_t depth = o.depth;
  if (depth == 0) {
    const size_t want = rules.size() + rules.size() / 8 + 16;
    depth = 1024;
    while (depth < want) depth *= 4;
  }
  model::ClassifierOptions copt;
  if (!o.wave.empty()) {  // the factory reports a model kind or a bad format
    std::filesystem::create_directories(o.out_dir);
    copt.wave = (std::filesystem::path(o.out_dir) / ("classifier." + o.wave)).string();
    copt.wave_format = o.wave;
  }
  auto dev = model::make_classifier(o.classifier, depth, copt);
  DirectHal hal(*dev);
  fw::ClassifierDriver drv(hal);
  sum.depth = static_cast<uint32_t>(drv.depth());
  sum.rules = rules.size();

  auto t0 = clock::now();
  std::unordered_map<fw::RuleId, long> rule_index;
  for (size_t i = 0; i < rules.size(); ++i) {
    auto id = drv.install({to_term(rules[i])}, static_cast<uint32_t>(i));
    if (!id)
      throw std::runtime_error(o.rules + ":" + std::to_string(rules[i].line) +
                               ": classifier full (depth " + std::to_string(sum.depth) + ", " +
                               std::to_string(drv.entries_used()) + " entries used)");
    rule_index[*id] = static_cast<long>(i);
  }
  sum.install_s = std::chrono::duration<double>(clock::now() - t0).count();
  sum.installed = drv.rules();
  sum.entries = drv.entries_used();
  sum.range_units = drv.range_units_used();

  std::vector<long> first(headers.size(), -1);
  t0 = clock::now();
  for (size_t i = 0; i < headers.size(); ++i) {
    const std::vector<fw::RuleId> m = drv.classify(to_key(headers[i]));
    if (!m.empty()) first[i] = rule_index.at(m.front());
  }
  sum.classify_s = std::chrono::duration<double>(clock::now() - t0).count();
  sum.headers = headers.size();
  sum.lookups_per_s = sum.classify_s > 0 ? double(headers.size()) / sum.classify_s : 0;

  for (size_t i = 0; i < headers.size(); ++i) {
    if (first[i] >= 0) ++sum.matched;
    if (o.verify) {
      long want = -1;
      for (size_t j = 0; j < rules.size(); ++j)
        if (rule_matches(rules[j], headers[i])) {
          want = static_cast<long>(j);
          break;
        }
      if (want != first[i]) ++sum.mismatches;
    }
    if (!o.quiet) out << first[i] << '\n';
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "# classifier %s depth %u | rules %zu | entries %zu | entries/rule %.3f | "
                "range units %zu\n"
                "# headers %zu | matched %zu | lookups/s %.0f (wall, driver + bus + %s) | "
                "install %.3f s\n",
                dev->name().c_str(), sum.depth, sum.rules, sum.entries,
                sum.rules ? double(sum.entries) / double(sum.rules) : 0.0, sum.range_units,
                sum.headers, sum.matched, sum.lookups_per_s, dev->name().c_str(), sum.install_s);
  out << buf;
  if (o.verify) out << "# verify: " << sum.mismatches << " mismatches vs linear scan\n";
  return sum;
}

}  // namespace dfc::classbench
