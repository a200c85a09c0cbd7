// The firmware ClassifierDriver on both devices (RTL and reference), through the real bus
// decode: random rules (IPv4/IPv6, ranges, exclusions, random priorities and install
// order, removals, a full table) against an independent software matcher; result
// saturation; atomicity of install / remove / entry moves as seen by lookups made after
// every single bus write; and the RTL's cycle-level write/lookup atomicity.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "classifier_bus.hpp"
#include "classifier_bus_hal.hpp"
#include "classifier_device.hpp"
#include "classifier_ref.hpp"
#include "classifier_rtl.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_key.hpp"
#include "dfc/hal/hal.hpp"

#ifndef DFC_LONG
#define DFC_LONG 0
#endif

namespace dfc {
namespace {

using fw::Addr128;
using fw::FlowKey;
using fw::MatchTerm;
using fw::RuleId;

// The classifier block's bus-only HAL (probe: after every committing write).
using BusHal = model::ClassifierBusHal;

// ---- independent matcher on FlowKey fields -------------------------------------------------
bool in(const Addr128& a, const Addr128& lo, const Addr128& hi) { return lo <= a && a <= hi; }

bool term_hits(const MatchTerm& t, const FlowKey& k) {
  if (t.family == MatchTerm::Family::V4 || t.family == MatchTerm::Family::V6) {
    const bool v6 = t.family == MatchTerm::Family::V6;
    if (k.v6 != v6) return false;
    Addr128 shi = t.src.hi, dhi = t.dst.hi;
    if (!v6) {
      if (shi.hi != 0 || shi.lo > 0xffffffffu) shi = Addr128{0, 0xffffffffu};
      if (dhi.hi != 0 || dhi.lo > 0xffffffffu) dhi = Addr128{0, 0xffffffffu};
    }
    if (!in(k.src, t.src.lo, shi) || !in(k.dst, t.dst.lo, dhi)) return false;
  }
  const unsigned sp = k.has_ports ? k.sport : 0, dp = k.has_ports ? k.dport : 0;
  const unsigned it = k.has_icmp ? k.icmp_type : 0, ic = k.has_icmp ? k.icmp_code : 0;
  return k.proto >= t.proto_lo && k.proto <= t.proto_hi && sp >= t.sport_lo && sp <= t.sport_hi &&
         dp >= t.dport_lo && dp <= t.dport_hi && it >= t.icmp_type_lo && it <= t.icmp_type_hi &&
         ic >= t.icmp_code_lo && ic <= t.icmp_code_hi && (!t.need_ports || k.has_ports) &&
         (!t.need_icmp || k.has_icmp);
}

bool rule_hits(const std::vector<MatchTerm>& terms, const FlowKey& k) {
  bool pos = false;
  for (const MatchTerm& t : terms) {
    if (t.exclude && term_hits(t, k)) return false;
    if (!t.exclude && term_hits(t, k)) pos = true;
  }
  return pos;
}

// ---- random rules and keys -----------------------------------------------------------------
struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}
  uint64_t r(uint64_t n) { return rng() % n; }

  Addr128 rand_addr(bool v6) {
    Addr128 a;
    a.lo = v6 ? rng() : (rng() & 0xffffffffu);
    a.hi = v6 ? rng() : 0;
    // A small address pool so that keys and rules collide.
    if (v6) a.hi = (a.hi & 0xff) | 0x20010db800000000ull;
    else a.lo = (a.lo & 0xffff) | 0x0a000000u;
    return a;
  }
  void interval(fw::AddrInterval& iv, bool v6) {
    const uint64_t kind = r(10);
    if (kind < 4) {  // wildcard
      iv.lo = Addr128{};
      iv.hi = v6 ? Addr128{~0ull, ~0ull} : Addr128{0, 0xffffffffu};
    } else if (kind < 8) {  // prefix
      const unsigned len = v6 ? 64 + static_cast<unsigned>(r(65)) : 16 + static_cast<unsigned>(r(17));
      Addr128 a = rand_addr(v6);
      const unsigned width = v6 ? 128 : 32;
      const unsigned host = width - len;
      Addr128 lo = a, hi = a;
      for (unsigned b = 0; b < host; ++b) {
        uint64_t& lw = b < 64 ? lo.lo : lo.hi;
        uint64_t& hw = b < 64 ? hi.lo : hi.hi;
        lw &= ~(1ull << (b % 64));
        hw |= 1ull << (b % 64);
      }
      iv.lo = lo;
      iv.hi = hi;
    } else {  // DTCP-style a-b range
      iv.lo = rand_addr(v6);
      iv.hi = iv.lo;
      iv.hi.lo += r(300);
    }
  }
  void port_range(uint16_t& lo, uint16_t& hi) {
    const uint64_t kind = r(10);
    if (kind < 4) {
      lo = 0;
      hi = 65535;
    } else if (kind < 6) {
      lo = hi = static_cast<uint16_t>(r(2000));
    } else {  // arbitrary range: a range unit, or prefix expansion when they run out
      lo = static_cast<uint16_t>(r(2000));
      hi = static_cast<uint16_t>(lo + r(3000));
    }
  }
  MatchTerm term() {
    MatchTerm t;
    const uint64_t f = r(3);
    t.family = f == 0 ? MatchTerm::Family::Any : f == 1 ? MatchTerm::Family::V4 : MatchTerm::Family::V6;
    const bool v6 = t.family == MatchTerm::Family::V6;
    interval(t.src, v6);
    interval(t.dst, v6);
    if (r(3) == 0) {
      t.proto_lo = t.proto_hi = r(2) ? 6 : 17;
    } else if (r(4) == 0) {
      t.proto_lo = 5;
      t.proto_hi = 20;
    }
    port_range(t.sport_lo, t.sport_hi);
    port_range(t.dport_lo, t.dport_hi);
    if (r(8) == 0) {
      t.proto_lo = t.proto_hi = 1;
      t.icmp_type_lo = static_cast<uint8_t>(r(10));
      t.icmp_type_hi = static_cast<uint8_t>(t.icmp_type_lo + r(5));
      t.need_icmp = true;
    }
    t.need_ports = r(4) == 0;
    return t;
  }
  std::vector<MatchTerm> rule() {
    std::vector<MatchTerm> ts{term()};
    if (r(4) == 0) ts.push_back(term());
    if (r(4) == 0) {
      MatchTerm x = ts[0];  // exclude a slice of the first term
      x.exclude = true;
      x.dport_lo = static_cast<uint16_t>(r(2000));
      x.dport_hi = static_cast<uint16_t>(x.dport_lo + r(500));
      ts.push_back(x);
    }
    return ts;
  }
  // A key inside a term (or random).
  FlowKey key_in(const MatchTerm& t) {
    FlowKey k;
    k.v6 = t.family == MatchTerm::Family::V6 || (t.family == MatchTerm::Family::Any && r(2));
    auto pick = [&](const fw::AddrInterval& iv) {
      if (t.family == MatchTerm::Family::Any) return rand_addr(k.v6);
      Addr128 a = iv.lo;
      if (iv.hi.hi == iv.lo.hi) a.lo = iv.lo.lo + rng() % (iv.hi.lo - iv.lo.lo + 1 ? iv.hi.lo - iv.lo.lo + 1 : ~0ull);
      else a.lo = rng();
      return a;
    };
    k.src = pick(t.src);
    k.dst = pick(t.dst);
    k.proto = static_cast<uint8_t>(t.proto_lo + r(uint64_t{t.proto_hi} - t.proto_lo + 1));
    k.has_ports = r(6) != 0;
    k.sport = static_cast<uint16_t>(t.sport_lo + r(uint64_t{t.sport_hi} - t.sport_lo + 1));
    k.dport = static_cast<uint16_t>(t.dport_lo + r(uint64_t{t.dport_hi} - t.dport_lo + 1));
    k.has_icmp = t.need_icmp || r(8) == 0;
    k.icmp_type = static_cast<uint8_t>(t.icmp_type_lo + r(uint64_t{t.icmp_type_hi} - t.icmp_type_lo + 1));
    k.icmp_code = static_cast<uint8_t>(r(3));
    if (r(5) == 0) k.dport = static_cast<uint16_t>(rng());
    return k;
  }
};

struct Installed {
  RuleId id;
  uint32_t prio;
  uint64_t seq;
  std::vector<MatchTerm> terms;
};

std::vector<RuleId> expected(const std::vector<Installed>& rules, const FlowKey& k) {
  std::vector<const Installed*> hit;
  for (const Installed& r : rules)
    if (rule_hits(r.terms, k)) hit.push_back(&r);
  std::sort(hit.begin(), hit.end(), [](const Installed* a, const Installed* b) {
    return a->prio != b->prio ? a->prio < b->prio : a->seq < b->seq;
  });
  std::vector<RuleId> out;
  for (const Installed* r : hit) out.push_back(r->id);
  return out;
}

struct Param {
  const char* kind;
  uint32_t depth;
  int rounds;
};

class DriverRandom : public ::testing::TestWithParam<Param> {};

TEST_P(DriverRandom, MatchesIndependentModel) {
  const Param p = GetParam();
  Gen g(p.depth * 31u + (p.kind[0] == 'r' ? 7u : 3u));
  auto dev = model::make_classifier(p.kind, p.depth);
  BusHal hal(*dev);
  fw::ClassifierDriver drv(hal);
  std::vector<Installed> live;
  uint64_t seq = 0;
  size_t full = 0, saturated = 0, checked = 0;
  for (int round = 0; round < p.rounds; ++round) {
    // Install a burst in random priority order, remove some.
    for (int n = 0; n < 12; ++n) {
      std::vector<MatchTerm> terms = g.rule();
      const uint32_t prio = static_cast<uint32_t>(g.r(40));
      const size_t before = drv.entries_used();
      auto id = drv.install(terms, prio);
      if (!id) {
        ++full;
        ASSERT_EQ(drv.entries_used(), before);
        continue;
      }
      live.push_back({*id, prio, seq++, terms});
    }
    for (int n = 0; n < 5 && !live.empty(); ++n) {
      const size_t i = g.r(live.size());
      drv.remove(live[i].id);
      live.erase(live.begin() + static_cast<long>(i));
    }
    ASSERT_EQ(drv.rules(), live.size());
    for (int n = 0; n < 60; ++n) {
      FlowKey k = live.empty() || g.r(8) == 0 ? g.key_in(g.term())
                                              : g.key_in(live[g.r(live.size())].terms[0]);
      const std::vector<RuleId> want = expected(live, k);
      ASSERT_EQ(drv.classify(k.words()), want) << "round " << round << " key " << n;
      saturated += want.size() > abi::CLS_MAX_RESULTS;
      ++checked;
    }
  }
  RecordProperty("table_full", static_cast<int>(full));
  std::printf("[ info ] %s/%u: %zu lookups checked, %zu installs refused (full), %zu rules live, %zu entries, %zu units\n",
              p.kind, p.depth, checked, full, live.size(), drv.entries_used(), drv.range_units_used());
}

#if DFC_LONG
#define DRIVER_PARAMS                                                                       \
  Param{"model", 4096, 400}, Param{"rtl", 4096, 400}, Param{"rtl", 16384, 200},             \
      Param{"model", 16384, 200}
#else
#define DRIVER_PARAMS                                                                       \
  Param{"model", 256, 60}, Param{"rtl", 256, 60}, Param{"model", 1024, 40},                 \
      Param{"rtl", 1024, 40}, Param{"rtl", 64, 40}
#endif
INSTANTIATE_TEST_SUITE_P(Devices, DriverRandom, ::testing::Values(DRIVER_PARAMS),
                         [](const ::testing::TestParamInfo<Param>& i) {
                           return std::string(i.param.kind) + "_" + std::to_string(i.param.depth);
                         });

#if !DFC_LONG
// ---- saturation: more than CLS_MAX_RESULTS matching entries ---------------------------------
class DriverKinds : public ::testing::TestWithParam<const char*> {};

TEST_P(DriverKinds, SaturatedResultStillExactAndOrdered) {
  auto dev = model::make_classifier(GetParam(), 256);
  BusHal hal(*dev);
  fw::ClassifierDriver drv(hal);
  std::mt19937 rng(5);
  std::vector<Installed> live;
  for (int i = 0; i < 150; ++i) {
    MatchTerm t;
    t.dport_lo = static_cast<uint16_t>(rng() % 40);  // <= 40 distinct ranges: units
    t.dport_hi = 65535;
    const uint32_t prio = rng() % 1000;
    auto id = drv.install({t}, prio);
    ASSERT_TRUE(id);
    live.push_back({*id, prio, static_cast<uint64_t>(i), {t}});
  }
  for (uint16_t port : {0, 20, 39, 40, 5000}) {
    FlowKey k;
    k.has_ports = true;
    k.dport = port;
    const auto want = expected(live, k);
    EXPECT_EQ(drv.classify(k.words()), want) << port;
  }
  // The bus reports the saturation itself.
  uint32_t w0 = 0;
  hal.bus_read(abi::CLS_RESULT, &w0, 1);
  EXPECT_EQ(w0, abi::CLS_MAX_RESULTS | abi::CLS_RESULT_OVERFLOW);
  uint32_t cyc = 0;
  hal.bus_read(abi::CLS_RESULT + 4 * (abi::CLS_MAX_RESULTS + 1), &cyc, 1);
  EXPECT_EQ(cyc, abi::CLS_LOOKUP_LATENCY + abi::CLS_MAX_RESULTS);
}

// ---- atomicity: a lookup after every single committed write ---------------------------------
TEST_P(DriverKinds, InstallRemoveAndMovesAreAtomic) {
  auto dev = model::make_classifier(GetParam(), 64);
  BusHal hal(*dev);
  fw::ClassifierDriver drv(hal);
  // Background rules never match the probes (protocol 99), placed densely so that later
  // installs must move entries.
  auto background = [](uint16_t p) {
    MatchTerm t;
    t.proto_lo = t.proto_hi = 99;
    t.sport_lo = t.sport_hi = p;
    return t;
  };
  for (uint16_t i = 0; i < 40; ++i) ASSERT_TRUE(drv.install({background(i)}, 10 + i));
  // Rule R: three positive terms (one with a range unit) and one exclusion: 4 entries.
  MatchTerm a, b, c, x;
  a.proto_lo = a.proto_hi = 6;
  a.dport_lo = a.dport_hi = 80;
  b.proto_lo = b.proto_hi = 6;
  b.dport_lo = 442;  // not a prefix: a range unit
  b.dport_hi = 444;
  c.proto_lo = c.proto_hi = 6;
  c.sport_lo = c.sport_hi = 7;
  x = c;
  x.dport_lo = x.dport_hi = 9;
  x.exclude = true;
  auto key = [](uint16_t sp, uint16_t dp) {
    FlowKey k;
    k.proto = 6;
    k.has_ports = true;
    k.sport = sp;
    k.dport = dp;
    return k.words();
  };
  // Probes and the number of R's entries each must hit when R is fully visible.
  const std::vector<abi::KeyWords> probes = {key(1, 80), key(1, 443), key(1, 444), key(7, 1), key(7, 9)};
  const std::vector<size_t> full = {1, 1, 1, 1, 2};
  enum State { None, Full, Broken };
  std::vector<State> seen;
  hal.probe = [&]() {
    size_t zero = 0, ok = 0;
    for (size_t i = 0; i < probes.size(); ++i) {
      const size_t n = hal.bus.device().lookup(probes[i]).matches.size();
      zero += n == 0;
      ok += n >= full[i];
    }
    const State s = zero == probes.size() ? None : ok == probes.size() ? Full : Broken;
    if (seen.empty() || seen.back() != s) seen.push_back(s);
  };
  auto id = drv.install({a, b, c, x}, 5);  // before every background rule: moves all 40
  ASSERT_TRUE(id);
  EXPECT_EQ(drv.entries_used(*id), 4u);
  EXPECT_EQ(seen, (std::vector<State>{None, Full})) << "install not atomic";
  EXPECT_EQ(drv.classify(probes[4]).size(), 0u);  // excluded
  EXPECT_EQ(drv.classify(probes[0]), std::vector<RuleId>{*id});
  // Higher-priority installs move R's entries; R must stay fully visible throughout.
  seen.clear();
  for (uint16_t i = 0; i < 10; ++i) ASSERT_TRUE(drv.install({background(100 + i)}, 1));
  EXPECT_EQ(seen, (std::vector<State>{Full})) << "a move made R flicker";
  seen.clear();
  drv.remove(*id);
  EXPECT_EQ(seen, (std::vector<State>{Full, None})) << "remove not atomic";
  hal.probe = nullptr;
  // Table full: nothing becomes visible, nothing moves.
  seen.clear();
  hal.probe = [&]() { seen.push_back(Broken); };
  MatchTerm big;
  big.sport_lo = 1;
  big.sport_hi = 65534;
  big.dport_lo = 1;
  big.dport_hi = 65534;
  std::vector<MatchTerm> many;
  for (uint16_t i = 0; i < 70; ++i) {
    MatchTerm t;
    t.sport_lo = t.sport_hi = 1000 + i;
    many.push_back(t);
  }
  EXPECT_FALSE(drv.install(many, 0).has_value());
  EXPECT_TRUE(seen.empty()) << "a refused install wrote to the table";
}

INSTANTIATE_TEST_SUITE_P(Devices, DriverKinds, ::testing::Values("model", "rtl"));

// ---- RTL cycle level: back-to-back lookups with writes in the same clocks -------------------
TEST(RtlPipeline, BackToBackLookupsWithConcurrentWrites) {
  const uint32_t depth = 64;
  rtl::ClassifierRtl rtl(depth);
  model::ClassifierRef ref(depth);
  std::mt19937 rng(11);
  auto rand_entry = [&]() {
    abi::Entry e;
    e.valid = rng() % 8 != 0;
    e.group = static_cast<uint16_t>(rng() % 4);
    for (unsigned w = 0; w < abi::KEY_IN_WORDS; ++w) {
      e.mask[w] = (rng() % 3 == 0) ? (rng() & rng()) : 0;
      e.value[w] = rng() & e.mask[w] & 0x3333u;
    }
    return e;
  };
  for (uint32_t g = 0; g < 4; ++g) {
    rtl.set_group_enable(g, true);
    ref.set_group_enable(g, true);
  }
  for (uint32_t i = 0; i < depth; ++i) {
    const abi::Entry e = rand_entry();
    rtl.write_entry(i, e);
    ref.write_entry(i, e);
  }
  std::vector<abi::KeyWords> keys(2001);
  std::vector<std::vector<uint32_t>> want(keys.size());
  size_t writes = 0, changed = 0;
  for (size_t t = 0; t < keys.size(); ++t) {
    rtl::ClassifierRtl::CycleIn in;
    for (auto& w : keys[t]) w = rng() & 0x3333u;
    in.key = &keys[t];
    if (rng() % 2) {
      in.entry_index = rng() % depth;
      in.entry = rand_entry();
      ref.write_entry(*in.entry_index, in.entry);
      ++writes;
    } else if (rng() % 8 == 0) {
      in.group = rng() % 4;
      in.group_enable = rng() % 2;
      ref.set_group_enable(*in.group, in.group_enable);
      ++writes;
    }
    // A key presented at edge t sees every write presented at edges <= t.
    want[t] = ref.lookup(keys[t]).matches;
    const auto o = rtl.step(in);
    if (t > 0) {
      ASSERT_TRUE(o.res_valid) << t;  // one result per clock
      const auto& w = want[t - 1];
      ASSERT_EQ(o.res_hit, !w.empty()) << t;
      ASSERT_EQ(o.res_count, w.size()) << t;
      if (!w.empty()) {
        ASSERT_EQ(o.res_first, w[0]) << t;
      }
      if (t > 1 && want[t - 1] != want[t - 2]) ++changed;
    }
  }
  EXPECT_GT(writes, 900u);
  EXPECT_GT(changed, 200u);
}

TEST(RtlPipeline, InvalidationAndGroupDisableHide) {
  for (const char* kind : {"rtl", "model"}) {
    auto dev = model::make_classifier(kind, 64);
    abi::Entry e;
    e.valid = true;
    e.group = 9;
    e.mask[abi::W_META] = abi::META_PROTO_MAX << abi::META_PROTO_SHIFT;
    e.value[abi::W_META] = 6u << abi::META_PROTO_SHIFT;
    dev->write_entry(3, e);
    abi::KeyWords k{};
    k[abi::W_META] = 6u << abi::META_PROTO_SHIFT;
    EXPECT_TRUE(dev->lookup(k).matches.empty()) << kind << ": group 9 not enabled yet";
    dev->set_group_enable(9, true);
    EXPECT_EQ(dev->lookup(k).matches, std::vector<uint32_t>{3}) << kind;
    dev->write_entry(60, e);
    EXPECT_EQ(dev->lookup(k).matches, (std::vector<uint32_t>{3, 60})) << kind;
    dev->set_group_enable(9, false);
    EXPECT_TRUE(dev->lookup(k).matches.empty()) << kind;
    dev->set_group_enable(9, true);
    e.valid = false;
    dev->write_entry(3, e);
    EXPECT_EQ(dev->lookup(k).matches, std::vector<uint32_t>{60}) << kind;
    EXPECT_EQ(dev->lookup(k).cycles, abi::CLS_LOOKUP_LATENCY + 1) << kind;
  }
}

#endif  // !DFC_LONG

}  // namespace
}  // namespace dfc
