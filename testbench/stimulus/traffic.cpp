#include "stimulus/traffic.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>
#include <stdexcept>

#include "common/text.hpp"

namespace dfc::tb {
namespace {

double parse_number(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    double x = std::stod(v, &used);
    const std::string suffix = common::lower(v.substr(used));
    if (suffix == "k") x *= 1e3;
    else if (suffix == "m") x *= 1e6;
    else if (suffix == "g") x *= 1e9;
    else if (!suffix.empty()) throw std::invalid_argument("suffix");
    if (!std::isfinite(x)) throw std::invalid_argument("not finite");  // nan passes every range check
    return x;
  } catch (const std::exception&) {
    throw std::invalid_argument("traffic spec: " + key + "=" + v + " is not a number (e.g. 10g, 0.5, 1e5)");
  }
}

// A count (packets, flows, seed): a whole number from 0 to max. A cast of a negative or huge
// double is undefined, and packets=-5 became a run that never ended.
uint64_t parse_count(const std::string& key, const std::string& v, double max) {
  const double x = parse_number(key, v);
  if (!(x >= 0) || x > max || x != std::floor(x)) {
    std::ostringstream m;
    m << "traffic spec: " << key << "=" << v << " must be a whole number from 0 to " << std::setprecision(16) << max;
    throw std::invalid_argument(m.str());
  }
  return static_cast<uint64_t>(x);
}

std::vector<uint8_t> parse_protos(const std::string& v) {
  std::vector<uint8_t> out;
  std::istringstream is(v);
  std::string t;
  while (std::getline(is, t, '|')) {
    if (t == "tcp") out.push_back(6);
    else if (t == "udp") out.push_back(17);
    else if (t == "icmp") out.push_back(1);
    else {
      const double x = parse_number("proto", t);
      if (x < 0 || x > 255) throw std::invalid_argument("traffic spec: protocol " + t + " out of 0..255");
      out.push_back(static_cast<uint8_t>(x));
    }
  }
  if (out.empty()) throw std::invalid_argument("traffic spec: empty protocol list");
  return out;
}

// An address range from "a", "a-b" or "a/len" (IPv4 or IPv6) as 128-bit big-endian bytes.
struct AddrRange {
  std::vector<uint8_t> lo, hi;
};
AddrRange parse_addr_range(const std::string& s) {
  AddrRange r;
  const size_t dash = s.find('-'), slash = s.find('/');
  if (dash != std::string::npos) {
    r.lo = parse_ip(s.substr(0, dash));
    r.hi = parse_ip(s.substr(dash + 1));
    if (r.lo.size() != r.hi.size()) throw std::invalid_argument("mixed families in range " + s);
  } else if (slash != std::string::npos) {
    r.lo = parse_ip(s.substr(0, slash));
    const int len = std::stoi(s.substr(slash + 1));
    const int bits = int(r.lo.size()) * 8;
    if (len < 0 || len > bits) throw std::invalid_argument("bad prefix length in " + s);
    r.hi = r.lo;
    for (int b = len; b < bits; ++b) {
      r.lo[size_t(b / 8)] &= static_cast<uint8_t>(~(0x80 >> (b % 8)));
      r.hi[size_t(b / 8)] |= static_cast<uint8_t>(0x80 >> (b % 8));
    }
  } else {
    r.lo = r.hi = parse_ip(s);
  }
  return r;
}

std::string draw_addr(const AddrRange& r, std::mt19937_64& rng) {
  // Uniform on the low 64 bits of the range is enough for test traffic.
  const size_t n = r.lo.size();
  std::vector<uint8_t> a = r.lo;
  uint64_t lo = 0, hi = 0;
  const size_t k = std::min<size_t>(8, n);
  for (size_t i = n - k; i < n; ++i) lo = (lo << 8) | r.lo[i], hi = (hi << 8) | r.hi[i];
  bool same_prefix = std::equal(r.lo.begin(), r.lo.begin() + long(n - k), r.hi.begin());
  if (!same_prefix) hi = ~0ull;  // wide IPv6 ranges: vary the low 64 bits only
  if (hi < lo) std::swap(lo, hi);
  const uint64_t span = hi - lo;
  const uint64_t v = lo + (span == ~0ull ? rng() : rng() % (span + 1));
  for (size_t i = 0; i < k; ++i) a[n - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
  char buf[64];
  if (n == 4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
  } else {
    std::string s;
    for (size_t i = 0; i < 16; i += 2) {
      char h[8];
      std::snprintf(h, sizeof h, "%x", (a[i] << 8) | a[i + 1]);
      s += (i ? ":" : "") + std::string(h);
    }
    return s;
  }
  return buf;
}

std::pair<uint16_t, uint16_t> parse_port_range(const std::string& s) {
  const size_t dash = s.find('-');
  const auto lo = parse_count("port", s.substr(0, dash), 65535);
  const auto hi = dash == std::string::npos ? lo : parse_count("port", s.substr(dash + 1), 65535);
  if (lo > hi) throw std::invalid_argument("traffic spec: bad port range " + s);
  return {static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
}

FlowSpec draw_flow(const FlowTemplate& t, bool v6, std::mt19937_64& rng) {
  FlowSpec f;
  AddrRange s = parse_addr_range(t.src), d = parse_addr_range(t.dst);
  if (v6 && s.lo.size() == 4) s = parse_addr_range("2001:db8:1::/48"), d = parse_addr_range("2001:db8:2::/48");
  f.src = draw_addr(s, rng);
  f.dst = draw_addr(d, rng);
  f.proto = t.protos[rng() % t.protos.size()];
  if (f.proto == 1 && s.lo.size() == 16) f.proto = 58;
  auto [sl, sh] = parse_port_range(t.sport);
  auto [dl, dh] = parse_port_range(t.dport);
  f.sport = static_cast<uint16_t>(sl + rng() % (uint64_t(sh - sl) + 1));
  f.dport = static_cast<uint16_t>(dl + rng() % (uint64_t(dh - dl) + 1));
  return f;
}

// An ARP request frame (Ethernet, ethertype 0x0806) of the frame length (FCS not stored).
Packet arp_frame(size_t frame_len) {
  Packet p;
  p.link = LinkType::Ethernet;
  p.unit = Unit::Monitor;
  p.data.assign(std::max<size_t>(frame_len, 64) - 4, 0);
  auto& d = p.data;
  for (size_t i = 0; i < 6; ++i) d[i] = 0xff;
  const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};
  std::copy(src, src + 6, d.begin() + 6);
  const uint8_t arp[] = {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01};
  std::copy(arp, arp + sizeof arp, d.begin() + 12);
  std::copy(src, src + 6, d.begin() + 22);
  const uint8_t spa[4] = {172, 16, 0, 1}, tpa[4] = {172, 16, 0, 2};
  std::copy(spa, spa + 4, d.begin() + 28);
  std::copy(tpa, tpa + 4, d.begin() + 38);
  return p;
}

// The Ethernet frame with one MPLS label (bottom of stack, TTL 64) between the Ethernet
// header and its IP packet; ethertype 0x8847.
void mpls_encapsulate(Packet& p, uint32_t label) {
  if (p.link != LinkType::Ethernet || p.data.size() < 14) return;
  const uint32_t lse = (label << 12) | (1u << 8) | 64u;
  const uint8_t b[4] = {uint8_t(lse >> 24), uint8_t(lse >> 16), uint8_t(lse >> 8), uint8_t(lse)};
  p.data.insert(p.data.begin() + 14, b, b + 4);
  p.data[12] = 0x88;
  p.data[13] = 0x47;
}

// Turns an IPv4 packet into a fragment: first (MF set, offset 0) or non-first (offset 1480,
// MF as given); the header checksum is recomputed. IPv6 packets are left alone.
void fragment_ipv4(Packet& p, bool first, bool more) {
  const size_t l2 = p.link == LinkType::Ethernet ? 14 : 0;
  if (p.data.size() < l2 + 20 || (p.data[l2] >> 4) != 4) return;
  uint8_t* ip = p.data.data() + l2;
  const uint16_t fo = first ? 0x2000 : static_cast<uint16_t>((more ? 0x2000 : 0) | (1480 / 8));
  ip[6] = static_cast<uint8_t>(fo >> 8);
  ip[7] = static_cast<uint8_t>(fo);
  ip[10] = ip[11] = 0;
  const size_t ihl = size_t(ip[0] & 0x0f) * 4;
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < ihl; i += 2) s += (uint32_t{ip[i]} << 8) | ip[i + 1];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  const uint16_t c = static_cast<uint16_t>(~s);
  ip[10] = static_cast<uint8_t>(c >> 8);
  ip[11] = static_cast<uint8_t>(c);
}

}  // namespace

TrafficSpec TrafficSpec::parse(const std::string& spec) {
  TrafficSpec t;
  FlowTemplate m;
  bool have_match = false;
  for (const std::string& kv : common::split(spec, ',')) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("traffic spec: '" + kv + "' is not key=value");
    const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "rate") t.rate_bps = parse_number(k, v);
    else if (k == "load") t.load = parse_number(k, v);
    else if (k == "size") { t.size = v; SizeModel check(v); }
    else if (k == "packets") t.packets = parse_count(k, v, 1e15);
    else if (k == "flows") t.flows = static_cast<uint32_t>(parse_count(k, v, 4294967295.0));
    else if (k == "locality") t.locality = parse_number(k, v);
    else if (k == "order") {
      if (v != "random" && v != "sweep")
        throw std::invalid_argument("traffic spec: order=" + v + " (expected random or sweep)");
      t.sweep = v == "sweep";
    }
    else if (k == "match") t.match = parse_number(k, v);
    else if (k == "ipv6") t.ipv6 = parse_number(k, v);
    else if (k == "seed") t.seed = parse_count(k, v, 9007199254740992.0);  // 2^53: exact in a double
    else if (k == "nonip") t.nonip = parse_number(k, v);
    else if (k == "mpls") t.mpls = parse_number(k, v);
    else if (k == "frag") t.frag = parse_number(k, v);
    else if (k == "match-src") m.src = v, have_match = true;
    else if (k == "match-dst") m.dst = v, have_match = true;
    else if (k == "match-proto") m.protos = parse_protos(v), have_match = true;
    else if (k == "match-sport") m.sport = v, have_match = true;
    else if (k == "match-dport") m.dport = v, have_match = true;
    else
      throw std::invalid_argument("traffic spec: unknown key '" + k +
                                  "' (rate, load, size, packets, flows, locality, order, match, ipv6, seed, nonip, mpls, frag, "
                                  "match-src, match-dst, match-proto, match-sport, match-dport)");
  }
  if (have_match) {
    // Checked now, not when the first matching flow is drawn mid-run.
    const auto check = [](const char* key, const std::string& v, auto parse) {
      try {
        parse(v);
      } catch (const std::exception& e) {
        const std::string what = e.what();
        throw std::invalid_argument(what.rfind("traffic spec", 0) == 0 ? what
                                                                      : "traffic spec: " + std::string(key) + "=" + v + ": " + what);
      }
    };
    check("match-src", m.src, parse_addr_range);
    check("match-dst", m.dst, parse_addr_range);
    check("match-sport", m.sport, parse_port_range);
    check("match-dport", m.dport, parse_port_range);
    t.match_templates.push_back(m);
  }
  if (t.rate_bps <= 0) throw std::invalid_argument("traffic spec: rate must be positive");
  if (t.load <= 0 || t.load > 1) throw std::invalid_argument("traffic spec: load must be in (0, 1]");
  if (t.flows == 0) throw std::invalid_argument("traffic spec: flows must be at least 1");
  for (double f : {t.locality, t.match, t.ipv6, t.nonip, t.mpls, t.frag})
    if (f < 0 || f > 1)
      throw std::invalid_argument("traffic spec: fractions (locality, match, ipv6, nonip, mpls, frag) are in [0, 1]");
  if (t.nonip + t.mpls > 1) throw std::invalid_argument("traffic spec: nonip + mpls must not exceed 1");
  if (t.match > 0 && t.match_templates.empty())
    throw std::invalid_argument("traffic spec: match>0 needs a match template (match-src/match-dst/match-proto/match-dport)");
  return t;
}

SizeModel::SizeModel(const std::string& spec) {
  if (spec == "imix") {
    // Simple IMIX 7:4:1 of 64, 594 and 1518 bytes.
    for (int i = 0; i < 7; ++i) weighted_.push_back(64);
    for (int i = 0; i < 4; ++i) weighted_.push_back(594);
    weighted_.push_back(1518);
    mean_ = (7 * 64 + 4 * 594 + 1518) / 12.0;
    return;
  }
  if (spec.rfind("genome:", 0) == 0) {
    // RFC 6985 §4: a=64 b=128 c=256 d=512 e=1024 f=1280 g=1518 h=2112 i=9000 z=MTU (1518 here).
    static const std::map<char, size_t> sizes = {{'a', 64},   {'b', 128},  {'c', 256},  {'d', 512}, {'e', 1024},
                                                 {'f', 1280}, {'g', 1518}, {'h', 2112}, {'i', 9000}, {'z', 1518}};
    for (char c : spec.substr(7)) {
      auto it = sizes.find(c);
      if (it == sizes.end())
        throw std::invalid_argument(std::string("IMIX genome: letter '") + c + "' is not one of a-i, z (RFC 6985)");
      cycle_.push_back(it->second);
    }
    if (cycle_.empty()) throw std::invalid_argument("IMIX genome: empty");
  } else if (spec.find('-') != std::string::npos) {
    const size_t d = spec.find('-');
    lo_ = std::stoul(spec.substr(0, d));
    hi_ = std::stoul(spec.substr(d + 1));
    if (lo_ < 64 || hi_ < lo_ || hi_ > 9216) throw std::invalid_argument("size range must be within 64-9216: " + spec);
    mean_ = (double(lo_) + double(hi_)) / 2;
    return;
  } else {
    size_t used = 0;
    unsigned long v = 0;
    try {
      v = std::stoul(spec, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != spec.size() || v < 64 || v > 9216)
      throw std::invalid_argument("size '" + spec + "': expected 64..9216, imix, genome:<letters> or <min>-<max>");
    cycle_.push_back(v);
  }
  double s = 0;
  for (size_t x : cycle_) s += double(x);
  mean_ = s / double(cycle_.size());
}

size_t SizeModel::next(std::mt19937_64& rng) {
  if (!weighted_.empty()) return weighted_[rng() % weighted_.size()];
  if (hi_) return lo_ + rng() % (hi_ - lo_ + 1);
  const size_t v = cycle_[pos_];
  pos_ = (pos_ + 1) % cycle_.size();
  return v;
}

TrafficGenerator::TrafficGenerator(const TrafficSpec& spec, uint64_t first_id)
    : spec_(spec), rng_(spec.seed), extra_(spec.seed ^ 0x9e3779b97f4a7c15ull), sizes_(spec.size), first_id_(first_id) {
  // The flow population: a `match` fraction drawn from the match templates.
  flows_.reserve(spec.flows);
  const uint32_t n_match = static_cast<uint32_t>(std::lround(spec.match * spec.flows));
  for (uint32_t i = 0; i < spec.flows; ++i) {
    if (i < n_match) {
      flows_.push_back(draw_flow(spec.match_templates[i % spec.match_templates.size()], false, rng_));
    } else {
      const bool v6 = std::uniform_real_distribution<double>(0, 1)(rng_) < spec.ipv6;
      flows_.push_back(draw_flow(spec.other, v6, rng_));
    }
    flows_.back().ethernet = spec.ethernet;
  }
  std::shuffle(flows_.begin(), flows_.end(), rng_);
  addrs_.reserve(flows_.size());
  for (const auto& f : flows_) addrs_.push_back(FlowAddrs::of(f));
  special_ = spec.nonip > 0 || spec.mpls > 0 || spec.frag > 0;
}

bool TrafficGenerator::next(Packet& p) {
  if (i_ >= spec_.packets) return false;
  std::uniform_real_distribution<double> u(0, 1);
  uint32_t fi;
  if (n_recent_ > 0 && u(rng_) < spec_.locality)
    fi = recent_[(head_ + rng_() % n_recent_) % kRecent];
  else if (spec_.sweep)
    fi = static_cast<uint32_t>(swept_++ % flows_.size());
  else
    fi = static_cast<uint32_t>(rng_() % flows_.size());
  // The last 16 flows, oldest first (a ring: no allocation per packet).
  if (n_recent_ < kRecent) {
    recent_[(head_ + n_recent_++) % kRecent] = fi;
  } else {
    recent_[head_] = fi;
    head_ = (head_ + 1) % kRecent;
  }
  FlowSpec& f = flows_[fi];
  f.frame_len = sizes_.next(rng_);
  p = build_packet(f, first_id_ + i_, addrs_[fi]);
  if (special_) {
    const double x = u(extra_);
    if (spec_.ethernet && x < spec_.nonip) {
      p = arp_frame(f.frame_len);
    } else {
      if (spec_.ethernet && x < spec_.nonip + spec_.mpls) mpls_encapsulate(p, 16 + static_cast<uint32_t>(extra_() % 1000));
      if (u(extra_) < spec_.frag) {
        const uint64_t r = extra_();
        fragment_ipv4(p, (r & 1) != 0, (r & 2) != 0);
      }
    }
  }
  p.id = first_id_ + i_;
  p.t_arrival_ps = static_cast<uint64_t>(std::llround(t_s_ * 1e12));
  t_s_ += wire_seconds(f.frame_len, spec_.rate_bps) / spec_.load;
  ++i_;
  return true;
}

std::vector<Packet> generate_traffic(const TrafficSpec& spec, uint64_t first_id) {
  TrafficGenerator g(spec, first_id);
  std::vector<Packet> out;
  out.reserve(spec.packets);
  Packet p;
  while (g.next(p)) out.push_back(std::move(p));
  return out;
}

}  // namespace dfc::tb
