// ClassifierDriver on the fake HAL (reference classifier behind the real bus decode).
#include <gtest/gtest.h>

#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_key.hpp"
#include "fake_hal.hpp"

using dfc::fw::ClassifierDriver;
using dfc::fw::FlowKey;
using dfc::fw::MatchTerm;

namespace dfc {
namespace {

FlowKey v4(uint32_t s, uint32_t d, uint8_t proto, uint16_t sp, uint16_t dp) {
  FlowKey k;
  k.src.lo = s;
  k.dst.lo = d;
  k.proto = proto;
  k.has_ports = true;
  k.sport = sp;
  k.dport = dp;
  return k;
}

MatchTerm v4term() {
  MatchTerm t;
  t.family = MatchTerm::Family::V4;
  t.src.hi.lo = 0xffffffffu;
  t.dst.hi.lo = 0xffffffffu;
  return t;
}

TEST(ClassifierDriver, InstallClassifyRemove) {
  test::FakeHal hal(64);
  ClassifierDriver drv(hal);
  EXPECT_EQ(drv.depth(), 64u);
  MatchTerm t = v4term();
  t.dport_lo = t.dport_hi = 80;
  t.proto_lo = t.proto_hi = 6;
  auto id = drv.install({t}, 10);
  ASSERT_TRUE(id);
  EXPECT_EQ(drv.entries_used(*id), 1u);
  EXPECT_EQ(drv.classify(v4(1, 2, 6, 1234, 80).words()), std::vector<fw::RuleId>{*id});
  EXPECT_TRUE(drv.classify(v4(1, 2, 17, 1234, 80).words()).empty());
  EXPECT_TRUE(drv.classify(v4(1, 2, 6, 1234, 81).words()).empty());
  drv.remove(*id);
  EXPECT_TRUE(drv.classify(v4(1, 2, 6, 1234, 80).words()).empty());
  EXPECT_EQ(drv.entries_used(), 0u);
  EXPECT_EQ(drv.rules(), 0u);
}

TEST(ClassifierDriver, PriorityOrderAndMultiMatch) {
  test::FakeHal hal(64);
  ClassifierDriver drv(hal);
  auto low = drv.install({MatchTerm::any()}, 100);
  MatchTerm t = v4term();
  t.src.lo.lo = 0x0a000000;
  t.src.hi.lo = 0x0affffff;
  auto high = drv.install({t}, 5);
  auto mid = drv.install({t}, 50);
  ASSERT_TRUE(low && high && mid);
  auto r = drv.classify(v4(0x0a010203, 1, 6, 1, 2).words());
  EXPECT_EQ(r, (std::vector<fw::RuleId>{*high, *mid, *low}));
  r = drv.classify(v4(0x0b010203, 1, 6, 1, 2).words());
  EXPECT_EQ(r, (std::vector<fw::RuleId>{*low}));
}

TEST(ClassifierDriver, PortRangeUsesRangeUnit) {
  test::FakeHal hal(64);
  ClassifierDriver drv(hal);
  MatchTerm t = v4term();
  t.dport_lo = 1024;
  t.dport_hi = 65535;
  t.sport_lo = 1;
  t.sport_hi = 1000;
  auto id = drv.install({t}, 1);
  ASSERT_TRUE(id);
  EXPECT_EQ(drv.entries_used(*id), 1u);
  EXPECT_EQ(drv.range_units_used(), 2u);
  EXPECT_EQ(drv.classify(v4(1, 2, 6, 1000, 1024).words()).size(), 1u);
  EXPECT_TRUE(drv.classify(v4(1, 2, 6, 0, 1024).words()).empty());
  EXPECT_TRUE(drv.classify(v4(1, 2, 6, 5, 1023).words()).empty());
  drv.remove(*id);
  EXPECT_EQ(drv.range_units_used(), 0u);
}

TEST(ClassifierDriver, ExclusionTerms) {
  test::FakeHal hal(64);
  ClassifierDriver drv(hal);
  MatchTerm pos = v4term();
  pos.proto_lo = pos.proto_hi = 17;
  MatchTerm ex = v4term();
  ex.dport_lo = ex.dport_hi = 53;
  ex.exclude = true;
  auto id = drv.install({pos, ex}, 1);
  ASSERT_TRUE(id);
  EXPECT_EQ(drv.classify(v4(1, 2, 17, 9, 54).words()).size(), 1u);
  EXPECT_TRUE(drv.classify(v4(1, 2, 17, 9, 53).words()).empty());
  EXPECT_TRUE(drv.classify(v4(1, 2, 6, 9, 54).words()).empty());
}

TEST(ClassifierDriver, TableFullLeavesNothingVisible) {
  test::FakeHal hal(64);
  ClassifierDriver drv(hal);
  MatchTerm t = v4term();
  t.src.lo.lo = 1;  // 62 prefixes each: 62 x 62 entries do not fit
  t.src.hi.lo = 0xfffffffe;
  t.dst = t.src;
  EXPECT_FALSE(drv.install({t}, 1).has_value());
  EXPECT_EQ(drv.entries_used(), 0u);
  EXPECT_TRUE(drv.classify(v4(5, 2, 6, 9, 54).words()).empty());
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(drv.install({MatchTerm::any()}, 2));
  EXPECT_FALSE(drv.install({MatchTerm::any()}, 0).has_value());
  EXPECT_EQ(drv.classify(v4(5, 2, 6, 9, 54).words()).size(), 64u);
}

}  // namespace
}  // namespace dfc
