// The packet match pipeline on the fake HAL: copies, max-duplicates choice, flow-table
// caching and invalidation, accounting of every packet.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <new>

#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_table.hpp"
#include "dfc/fw/pipeline.hpp"
#include "dfc/hal/card_map.hpp"
#include "fake_hal.hpp"

using namespace dfc;
using namespace dfc::fw;

namespace {

class FakeControlPlane : public ControlPlaneView {
 public:
  const CriterionView* criterion_for_rule(RuleId id) const override {
    auto it = crit.find(id);
    return it == crit.end() ? nullptr : &it->second;
  }
  void account_hit(RuleId id, uint32_t bytes) override {
    hits[id] += 1;
    bytes_by_rule[id] += bytes;
  }
  void account_copy(RuleId id, uint32_t bytes) override {
    copies[id] += 1;
    copy_bytes += bytes;
  }
  uint64_t criteria_version() const override { return version; }
  void duplicates_dropped(const CriterionView& c) override { ++dups[std::to_string(c.group) + ":" + c.csource_id]; }

  std::map<RuleId, CriterionView> crit;
  std::map<RuleId, uint64_t> hits, bytes_by_rule, copies;
  uint64_t copy_bytes = 0;
  std::map<std::string, uint64_t> dups;
  uint64_t version = 1;
};

// 10.0.0.0/8 -> anything, UDP dport 53
MatchTerm dns_term() {
  MatchTerm t;
  t.family = MatchTerm::Family::V4;
  t.src.lo.lo = 0x0a000000;
  t.src.hi.lo = 0x0affffff;
  t.dst.lo.lo = 0;
  t.dst.hi.lo = 0xffffffff;
  t.proto_lo = t.proto_hi = 17;
  t.dport_lo = t.dport_hi = 53;
  t.need_ports = true;
  return t;
}

Packet udp_packet(uint32_t src, uint16_t dport, size_t payload = 8) {
  const size_t tot = 28 + payload;
  std::vector<uint8_t> d = {0x45, 0, uint8_t(tot >> 8), uint8_t(tot), 0, 0, 0, 0, 64, 17, 0, 0,
                            uint8_t(src >> 24), uint8_t(src >> 16), uint8_t(src >> 8), uint8_t(src),
                            192, 0, 2, 99, 0x30, 0x39, uint8_t(dport >> 8), uint8_t(dport), 0, uint8_t(8 + payload), 0, 0};
  for (size_t i = 0; i < payload; ++i) d.push_back(static_cast<uint8_t>(i));
  Packet p;
  p.data = d;
  p.link = LinkType::RawIp;
  return p;
}

struct Rig {
  test::FakeHal hal{256};
  ClassifierDriver drv{hal};
  FakeControlPlane cp;
  PipelineConfig cfg;
  std::unique_ptr<Pipeline> pl;
  uint64_t seq = 0;
  explicit Rig(uint32_t max_dups = 3) {
    cfg.max_duplicates = max_dups;
    pl = std::make_unique<Pipeline>(hal, drv, cp, cfg);
    std::map<std::string, CopyDestination> d;
    for (int i = 0; i < 5; ++i) d["cd" + std::to_string(i)] = CopyDestination{0x0a460000u + uint32_t(i), uint8_t(200 + i)};
    pl->set_destinations(d);
  }
  RuleId add(const std::string& cs, const std::string& cd, uint32_t prio, uint32_t group = 0) {
    auto id = drv.install({dns_term()}, prio);
    EXPECT_TRUE(id.has_value());
    cp.crit[*id] = CriterionView{uint32_t(cp.crit.size() + 1), cs, cd, prio, ++seq, group};
    ++cp.version;
    return *id;
  }
  uint32_t copy_dst(const Packet& p) const {
    return (uint32_t(p.data[16]) << 24) | (p.data[17] << 16) | (p.data[18] << 8) | p.data[19];
  }
};

}  // namespace

TEST(Pipeline, MatchingPacketIsCopiedInsideIpIpToItsDestination) {
  Rig r;
  r.add("cs1", "cd1", 1);
  const Packet p = udp_packet(0x0a010203, 53, 20);
  r.pl->process(p);
  ASSERT_EQ(r.hal.sent.size(), 1u);
  const Packet& c = r.hal.sent[0];
  EXPECT_EQ(c.unit, Unit::Copies);
  EXPECT_EQ(c.cdest_id, "cd1");
  EXPECT_EQ(r.copy_dst(c), 0x0a460001u);
  EXPECT_EQ(c.data[8], 201);  // ttl of cd1
  EXPECT_EQ(c.data[9], 4);
  EXPECT_EQ(std::vector<uint8_t>(c.data.begin() + 20, c.data.end()), p.data);
  EXPECT_EQ(r.pl->stats().copies_sent, 1u);
  EXPECT_EQ(r.cp.hits.begin()->second, 1u);
}

// The image's HAL hands the firmware a frame where the DMA wrote it (Packet::in_place, `data`
// empty): the pipeline reads it there -- the same copy, the same byte counts.
TEST(Pipeline, AFrameReadInPlaceIsCopiedAsTheSameFrameOwned) {
  Rig owned, viewed;
  owned.add("cs1", "cd1", 1);
  viewed.add("cs1", "cd1", 1);
  const Packet p = udp_packet(0x0a010203, 53, 40);
  const std::vector<uint8_t> frame = p.data;  // "packet memory"
  Packet v = p;
  v.data.clear();
  v.in_place = frame.data();
  v.in_place_len = frame.size();
  ASSERT_EQ(v.length(), frame.size());
  owned.pl->process(p);
  viewed.pl->process(v);
  ASSERT_EQ(viewed.hal.sent.size(), 1u);
  ASSERT_EQ(owned.hal.sent.size(), 1u);
  EXPECT_EQ(viewed.hal.sent[0].data, owned.hal.sent[0].data);
  EXPECT_EQ(std::vector<uint8_t>(viewed.hal.sent[0].data.begin() + 20, viewed.hal.sent[0].data.end()), frame);
  EXPECT_EQ(viewed.pl->stats().bytes_in, frame.size());
  EXPECT_EQ(viewed.cp.bytes_by_rule, owned.cp.bytes_by_rule);
}

TEST(Pipeline, NonMatchingAndNonIpPacketsAreCountedNotCopied) {
  Rig r;
  r.add("cs1", "cd1", 1);
  r.pl->process(udp_packet(0x0b010203, 53));  // source outside 10/8
  r.pl->process(udp_packet(0x0a010203, 54));  // wrong port
  Packet arp;
  arp.link = LinkType::Ethernet;
  arp.data.assign(60, 0);
  arp.data[12] = 0x08;
  arp.data[13] = 0x06;
  r.pl->process(arp);
  EXPECT_TRUE(r.hal.sent.empty());
  const auto& s = r.pl->stats();
  EXPECT_EQ(s.packets_in, 3u);
  EXPECT_EQ(s.packets_unmatched, 2u);
  EXPECT_EQ(s.not_intercepted.at("non_ip"), 1u);
  EXPECT_EQ(s.packets_matched + s.packets_unmatched + s.not_intercepted.at("non_ip"), s.packets_in);
}

TEST(Pipeline, OneCopyPerDestinationEvenWhenSeveralCriteriaNameIt) {
  Rig r;
  const RuleId a = r.add("cs1", "cd1", 1);
  const RuleId b = r.add("cs2", "cd1", 1);
  const RuleId c = r.add("cs1", "cd1", 1);
  r.pl->process(udp_packet(0x0a000001, 53, 20));
  EXPECT_EQ(r.hal.sent.size(), 1u);
  EXPECT_EQ(r.cp.hits[a], 1u);  // every criterion counts the packet in its own statistics
  EXPECT_EQ(r.cp.hits[b], 1u);
  EXPECT_EQ(r.cp.hits[c], 1u);
  // ... but the destination's bandwidth counts the one copy once, on the representative
  // (same priority: the oldest).
  EXPECT_EQ(r.cp.copies.size(), 1u);
  EXPECT_EQ(r.cp.copies[a], 1u);
  EXPECT_EQ(r.cp.copy_bytes, 48u);
}

TEST(Pipeline, MaxDuplicatesKeepsHighestPriorityThenOldest) {
  Rig r(2);
  r.add("cs1", "cd1", 5);  // low priority (high value)
  r.add("cs2", "cd2", 1);
  r.add("cs3", "cd3", 3);
  r.add("cs4", "cd4", 1);  // same priority as cd2 but newer
  r.pl->process(udp_packet(0x0a000001, 53));
  ASSERT_EQ(r.hal.sent.size(), 2u);
  EXPECT_EQ(r.hal.sent[0].cdest_id, "cd2");
  EXPECT_EQ(r.hal.sent[1].cdest_id, "cd4");
  EXPECT_EQ(r.pl->stats().copies_chosen, 4u);
  EXPECT_EQ(r.pl->stats().copies_dropped_max_duplicates, 2u);
  EXPECT_EQ(r.cp.dups["0:cs1"], 1u);
  EXPECT_EQ(r.cp.dups["0:cs3"], 1u);
  EXPECT_EQ(r.cp.copies.size(), 2u);  // dropped copies carry no bandwidth
  EXPECT_EQ(r.pl->stats().copies_chosen,
            r.pl->stats().copies_sent + r.pl->stats().copies_dropped_max_duplicates);
}

TEST(Pipeline, FlowTableCachesAndIsInvalidatedWhenCriteriaChange) {
  Rig r;
  const Packet p = udp_packet(0x0a000001, 53);
  r.pl->process(p);  // miss, no criteria
  EXPECT_EQ(r.hal.sent.size(), 0u);
  r.pl->process(p);  // hit, still nothing
  EXPECT_EQ(r.pl->stats().flow_hits, 1u);
  const RuleId id = r.add("cs1", "cd1", 1);  // bumps the version
  r.pl->process(p);
  EXPECT_EQ(r.hal.sent.size(), 1u) << "a cached 'no match' must not survive an ADD";
  EXPECT_EQ(r.pl->stats().flow_stale, 1u);
  r.drv.remove(id);
  r.cp.crit.erase(id);
  ++r.cp.version;
  r.pl->process(p);
  EXPECT_EQ(r.hal.sent.size(), 1u) << "a cached match must not survive a DELETE";
}

TEST(Pipeline, FlowTableAgesIdleFlows) {
  Rig r;
  r.pl->process(udp_packet(0x0a000001, 53));
  r.pl->process(udp_packet(0x0a000002, 53));
  EXPECT_EQ(r.pl->stats().flow_entries, 2u);
  r.hal.advance(r.cfg.flow_idle_ns + 1);
  r.pl->process(udp_packet(0x0a000003, 53));
  r.pl->age_flows();
  EXPECT_EQ(r.pl->stats().flow_entries, 1u);
  EXPECT_EQ(r.pl->stats().flow_evictions, 2u);
}

TEST(Pipeline, FullTransmitQueueIsACountedDrop) {
  Rig r;
  r.add("cs1", "cd1", 1);
  r.hal.tx_full = true;
  r.pl->process(udp_packet(0x0a000001, 53));
  EXPECT_EQ(r.pl->stats().copies_sent, 0u);
  EXPECT_EQ(r.pl->stats().copies_dropped_tx_queue, 1u);
}

// ---- Cost follows work, per-core state, locks, bounded flow entries, no allocation ----

namespace {
bool in_core_region(uint64_t addr, unsigned core) {
  const uint64_t lo = cardmap::FLOW_TABLE_BASE + core * cardmap::FLOW_TABLE_CORE_STRIDE;
  return addr >= lo && addr < lo + cardmap::FLOW_TABLE_CORE_STRIDE;
}
size_t flow_reads(const test::FakeHal& h, unsigned core) {
  size_t n = 0;
  for (const auto& m : h.mem)
    if (!m.write && in_core_region(m.addr, core)) ++n;
  return n;
}
}  // namespace

TEST(PipelineWork, DeclaresWorkAndMemoryInsteadOfCycles) {
  Rig r;
  r.add("cs1", "cd1", 1);
  const Packet p = udp_packet(0x0a000001, 53);
  r.pl->process(p);
  EXPECT_EQ(r.hal.cycles, 0u) << "the pipeline must not carry cycle constants";
  // Receive-descriptor handling is the driver's (its loads and stores, test_driver.cpp): the
  // pipeline neither declares it nor touches descriptor memory.
  EXPECT_EQ(r.hal.worked(Hal::Work::PacketLoop), 0u);
  EXPECT_EQ(r.hal.loads + r.hal.stores, 0u);
  EXPECT_EQ(r.hal.worked(Hal::Work::HeaderDecode), 2u);   // IPv4, UDP (raw IP link)
  EXPECT_EQ(r.hal.worked(Hal::Work::HeaderByte), 24u);    // 20-byte IPv4 header + ports
  EXPECT_EQ(r.hal.worked(Hal::Work::Hash), 1u);
  EXPECT_EQ(r.hal.worked(Hal::Work::FlowInsert), 1u);
  EXPECT_EQ(r.hal.worked(Hal::Work::ClassifyKey), 1u);
  EXPECT_EQ(r.hal.worked(Hal::Work::MatchResolve), 1u);
  EXPECT_EQ(r.hal.worked(Hal::Work::CopyBuild), 1u);
  EXPECT_EQ(r.hal.worked(Hal::Work::HitAccount), 1u);
  // The copy's bytes (outer header + the packet), declared once; the frame's own bytes are the
  // driver's to declare (it takes the frame).
  ASSERT_EQ(r.hal.sent.size(), 1u);
  EXPECT_EQ(r.hal.worked(Hal::Work::CopyByte), r.hal.sent[0].data.size());
  EXPECT_EQ(r.hal.worked(Hal::Work::CopyByte), p.data.size() + 20);
  EXPECT_EQ(r.hal.worked(Hal::Work::FrameByte), 0u);
  EXPECT_GE(flow_reads(r.hal, 0), 1u);
  bool criterion_read = false, counter_write = false;
  for (const auto& m : r.hal.mem) {
    criterion_read |= !m.write && m.addr >= cardmap::CRITERIA_BASE && m.addr < cardmap::COUNTERS_BASE;
    counter_write |= m.write && m.addr >= cardmap::COUNTERS_BASE;
  }
  EXPECT_TRUE(criterion_read);
  EXPECT_TRUE(counter_write);

  r.pl->process(p);  // flow-table hit: no insert, no lookup, one key compare at least
  EXPECT_EQ(r.hal.worked(Hal::Work::FlowInsert), 1u);
  EXPECT_EQ(r.hal.worked(Hal::Work::ClassifyKey), 1u);
  EXPECT_GE(r.hal.worked(Hal::Work::KeyCompare), 1u);
  EXPECT_EQ(r.hal.sent.size(), 2u);
  EXPECT_EQ(r.hal.cycles, 0u);
}

TEST(PipelineWork, EthernetVlanHeadersAreCountedAsWork) {
  Rig r;
  Packet p = udp_packet(0x0a000001, 53);
  std::vector<uint8_t> eth = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0, 7, 0x08, 0x00};
  p.data.insert(p.data.begin(), eth.begin(), eth.end());
  p.link = LinkType::Ethernet;
  r.pl->process(p);
  EXPECT_EQ(r.hal.worked(Hal::Work::HeaderDecode), 4u);  // Ethernet, VLAN, IPv4, UDP
  EXPECT_EQ(r.hal.worked(Hal::Work::HeaderByte), 18u + 24u);
}

TEST(PipelineCores, EachCoreHasItsOwnFlowTableAndLookupContext) {
  Rig r;
  r.add("cs1", "cd1", 1);
  const Packet p = udp_packet(0x0a000001, 53);
  r.hal.core = 1;
  r.pl->process(p);
  EXPECT_EQ(r.hal.sent.size(), 1u) << "core 1's lookup context must classify like core 0's";
  EXPECT_GE(flow_reads(r.hal, 1), 1u);
  EXPECT_EQ(flow_reads(r.hal, 0), 0u);
  r.hal.core = 0;
  r.pl->process(p);  // a flow cached on core 1 is a miss on core 0
  EXPECT_EQ(r.pl->stats().flow_misses, 2u);
  EXPECT_EQ(r.pl->stats().flow_entries, 2u);
  r.hal.core = 1;
  r.pl->process(p);
  EXPECT_EQ(r.pl->stats().flow_hits, 1u);
  EXPECT_EQ(r.hal.sent.size(), 3u);
}

TEST(PipelineCores, SharedStateIsTouchedUnderTheCriteriaLockAndLocksBalance) {
  Rig r;
  r.add("cs1", "cd1", 1);
  r.pl->process(udp_packet(0x0a000001, 53));
  // Lookup and resolve read lock-free (test_lockfree_lookup.cpp); the accounting locks.
  EXPECT_EQ(r.hal.lock_acquires, 1u);
  EXPECT_EQ(r.hal.lock_errors, 0u);
  EXPECT_FALSE(r.hal.any_lock_held());
  const uint64_t before = r.hal.lock_acquires;
  r.pl->process(udp_packet(0x0b000001, 53));  // miss, no match: a lock-free lookup
  r.pl->process(udp_packet(0x0b000001, 53));  // hit, no rules: no lookup at all
  EXPECT_EQ(r.hal.lock_acquires, before);
  EXPECT_EQ(r.hal.lock_errors, 0u);
}

TEST(PipelineFlowTable, FlowsMatchingMoreRulesThanFitInlineGiveTheSameCopies) {
  Rig r(5);
  for (int i = 0; i < 10; ++i) r.add("cs1", "cd" + std::to_string(i % 5), uint32_t(10 + i));
  ASSERT_GT(10u, FlowTable::kInlineRules);
  const Packet p = udp_packet(0x0a000001, 53);
  r.pl->process(p);
  EXPECT_EQ(r.hal.sent.size(), 5u);
  r.pl->process(p);
  EXPECT_EQ(r.hal.sent.size(), 10u);
  EXPECT_EQ(r.pl->stats().flow_hits, 1u);
  EXPECT_EQ(r.pl->stats().flow_rule_overflows, 1u);
  for (const auto& [id, n] : r.cp.hits) EXPECT_EQ(n, 2u) << "rule " << id;
  EXPECT_EQ(r.cp.hits.size(), 10u);
}

TEST(PipelineFlowTable, FullTableOfLiveFlowsStartsOver) {
  test::FakeHal hal{256};
  ClassifierDriver drv{hal};
  FakeControlPlane cp;
  PipelineConfig cfg;
  cfg.flow_table_capacity = 4;
  Pipeline pl(hal, drv, cp, cfg);
  for (uint32_t i = 0; i < 5; ++i) pl.process(udp_packet(0x0a000001 + i, 53));
  EXPECT_EQ(pl.stats().flow_evictions, 4u);
  EXPECT_EQ(pl.stats().flow_entries, 1u);
  EXPECT_EQ(pl.stats().flow_entries_peak, 4u);
}

TEST(FlowTableUnit, InsertFindAgeAgainstAReference) {
  test::FakeHal hal;
  FlowTable t(hal, 1000, cardmap::FLOW_TABLE_BASE);
  EXPECT_GE(t.slots(), 1334u);
  std::map<uint32_t, uint64_t> ref;  // source address -> last used
  auto key = [](uint32_t a) {
    FlowKey k;
    k.src.lo = a;
    k.proto = 17;
    return k;
  };
  uint64_t x = 12345;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 60 && t.size() < t.capacity(); ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const uint32_t a = static_cast<uint32_t>(x >> 40) % 5000;
      size_t slot = 0;
      FlowKey k = key(a);
      FlowTable::Entry* e = t.find(k, FlowKeyHash{}(k), slot);
      if (!e) e = t.insert(k, slot);
      e->last_used_ns = uint64_t(round) * 10;
      ref[a] = uint64_t(round) * 10;
    }
    const uint64_t now = uint64_t(round) * 10, idle = 35;
    EXPECT_EQ(t.age(now, idle), static_cast<size_t>(std::count_if(ref.begin(), ref.end(), [&](auto& kv) {
                return now > kv.second && now - kv.second > idle;
              })));
    for (auto it = ref.begin(); it != ref.end();)
      it = (now > it->second && now - it->second > idle) ? ref.erase(it) : std::next(it);
    ASSERT_EQ(t.size(), ref.size());
    for (uint32_t a = 0; a < 5000; ++a) {
      size_t slot = 0;
      FlowKey k = key(a);
      const FlowTable::Entry* e = t.find(k, FlowKeyHash{}(k), slot);
      ASSERT_EQ(e != nullptr, ref.count(a) == 1) << "address " << a << " round " << round;
      if (e) {
        EXPECT_EQ(e->last_used_ns, ref[a]);
      }
    }
  }
}

// Counts heap allocations made by this thread while `counting` is set.
namespace {
thread_local bool g_counting = false;
thread_local uint64_t g_allocs = 0;
}  // namespace
// GCC sees the free() inside the replaced delete and cannot tell it pairs with the malloc()
// of the replaced new.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  if (g_counting) ++g_allocs;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST(PipelineAlloc, ProcessAllocatesNothingButTheCopiesItHandsOver) {
  Rig r;
  r.add("cs1", "cd1", 1);
  r.add("cs1", "cd2", 2);
  r.hal.sent.reserve(64);
  r.hal.mem.reserve(4096);  // the fake HAL's own log must not count
  const Packet matched = udp_packet(0x0a000001, 53), unmatched = udp_packet(0x0b000001, 53);
  r.pl->process(matched);  // warm: flow entries, control-plane counters
  r.pl->process(unmatched);
  g_counting = true;
  g_allocs = 0;
  r.pl->process(unmatched);
  const uint64_t unmatched_allocs = g_allocs;
  g_allocs = 0;
  r.pl->process(matched);
  const uint64_t matched_allocs = g_allocs;
  g_counting = false;
  EXPECT_EQ(unmatched_allocs, 0u);
  EXPECT_EQ(matched_allocs, 2u) << "one buffer per copy (2 copies), nothing else";
  EXPECT_EQ(r.hal.sent.size(), 4u);
}

TEST(Pipeline, DuplicatesDroppedReachesEverySourceWhoseCriteriaMatchedTheDroppedDestination) {
  Rig r(1);
  r.add("cs1", "cd1", 1);
  r.add("cs2", "cd2", 5);  // cd2 loses; three criteria of two sources matched it
  r.add("cs3", "cd2", 6);
  r.add("cs3", "cd2", 7);
  r.pl->process(udp_packet(0x0a000001, 53));
  ASSERT_EQ(r.hal.sent.size(), 1u);
  EXPECT_EQ(r.pl->stats().copies_dropped_max_duplicates, 1u);
  EXPECT_EQ(r.cp.dups["0:cs2"], 1u);
  EXPECT_EQ(r.cp.dups["0:cs3"], 1u) << "once per source per dropped copy, not per criterion";
  EXPECT_EQ(r.cp.dups.count("0:cs1"), 0u);
}

// Two capture groups that both define cd1 and cd2 with other addresses and max-duplicates.
namespace {
struct TwoGroupRig : Rig {
  TwoGroupRig() : Rig(3) {
    cfg.group_max_duplicates = {1, 2};
    pl = std::make_unique<Pipeline>(hal, drv, cp, cfg);
    std::map<DestKey, CopyDestination> d;
    d[DestKey{0, "cd1"}] = CopyDestination{0x0a000101u, 10, "g1/cd1"};
    d[DestKey{0, "cd2"}] = CopyDestination{0x0a000102u, 11, "g1/cd2"};
    d[DestKey{1, "cd1"}] = CopyDestination{0x0a000201u, 20, "g2/cd1"};
    d[DestKey{1, "cd2"}] = CopyDestination{0x0a000202u, 21, "g2/cd2"};
    pl->set_destinations(d);
  }
};
}  // namespace

TEST(Pipeline, SameDestinationIdInTwoGroupsGoesToEachGroupsOwnAddress) {
  TwoGroupRig r;
  r.add("a", "cd1", 1, 0);
  r.add("b", "cd1", 1, 1);
  r.pl->process(udp_packet(0x0a000001, 53));
  ASSERT_EQ(r.hal.sent.size(), 2u) << "one copy per (group, destination), not one per id";
  std::map<std::string, uint32_t> to;
  for (const auto& c : r.hal.sent) to[c.cdest_id] = r.copy_dst(c);
  EXPECT_EQ(to["g1/cd1"], 0x0a000101u);
  EXPECT_EQ(to["g2/cd1"], 0x0a000201u);
  EXPECT_EQ(r.pl->stats().copies_per_destination.at("g1/cd1"), 1u);
  EXPECT_EQ(r.pl->stats().copies_per_destination.at("g2/cd1"), 1u);
}

TEST(Pipeline, MaxDuplicatesAppliesPerCaptureGroup) {
  TwoGroupRig r;  // g1: 1 copy per packet, g2: 2
  r.add("a", "cd1", 1, 0);
  r.add("a", "cd2", 2, 0);
  r.add("b", "cd1", 3, 1);
  r.add("b", "cd2", 4, 1);
  r.pl->process(udp_packet(0x0a000001, 53));
  std::map<std::string, int> got;
  for (const auto& c : r.hal.sent) ++got[c.cdest_id];
  EXPECT_EQ(got, (std::map<std::string, int>{{"g1/cd1", 1}, {"g2/cd1", 1}, {"g2/cd2", 1}}));
  EXPECT_EQ(r.pl->stats().copies_dropped_max_duplicates, 1u);
  EXPECT_EQ(r.cp.dups["0:a"], 1u);
  EXPECT_EQ(r.cp.dups.count("1:b"), 0u) << "group 1's copies do not use group 0's allowance";
}
