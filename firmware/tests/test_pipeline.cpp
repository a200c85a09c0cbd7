// The packet match pipeline on the fake HAL: copies, max-duplicates choice, flow-table
// caching and invalidation, accounting of every packet.
#include <gtest/gtest.h>

#include <map>

#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/pipeline.hpp"
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
