// The tuple-space classifier against the linear-scan oracle (ClassifierRef): the same
// writes (entries overwritten and invalidated, range units re-programmed, groups toggled)
// must give the same full match list for every key.
#include <gtest/gtest.h>

#include <random>

#include "classifier_ref.hpp"
#include "classifier_tss.hpp"

namespace dfc::model {
namespace {

// Entries shaped like the firmware's: addresses exact / prefix / wildcard, protocol and
// ports exact or wildcard, a few range-unit bits; values drawn from small pools so that
// keys hit many entries at once (multi-match, shared masks and values).
abi::Entry random_entry(std::mt19937& rng) {
  abi::Entry e;
  e.valid = rng() % 8 != 0;
  e.group = static_cast<uint16_t>(rng() % 4);
  const unsigned sl = rng() % 3 == 0 ? 0 : 24 + rng() % 9, dl = rng() % 3 == 0 ? 0 : 24 + rng() % 9;
  e.mask[abi::W_SRC] = sl == 0 ? 0 : ~0u << (32 - sl);
  e.mask[abi::W_DST] = dl == 0 ? 0 : ~0u << (32 - dl);
  e.value[abi::W_SRC] = 0x0a000000u | (rng() % 16);
  e.value[abi::W_DST] = 0x0b000000u | (rng() % 16);
  if (rng() % 2) {
    e.mask[abi::W_META] = abi::META_PROTO_MAX << abi::META_PROTO_SHIFT;
    e.value[abi::W_META] = (rng() % 2 ? 6u : 17u) << abi::META_PROTO_SHIFT;
  }
  if (rng() % 2) {
    e.mask[abi::W_PORTS] = abi::PORTS_DPORT_MAX << abi::PORTS_DPORT_SHIFT;
    e.value[abi::W_PORTS] = (rng() % 4) << abi::PORTS_DPORT_SHIFT;
  }
  if (rng() % 4 == 0) {
    const unsigned u = rng() % 8;
    e.mask[abi::W_RANGE + u / 32] |= 1u << (u % 32);
    e.value[abi::W_RANGE + u / 32] |= 1u << (u % 32);
  }
  if (rng() % 16 == 0) e.value[abi::W_META] |= 0x100;  // value bits outside the mask: ignored
  return e;
}

abi::KeyWords random_key(std::mt19937& rng) {
  abi::KeyWords k{};
  k[abi::W_SRC] = 0x0a000000u | (rng() % 16);
  k[abi::W_DST] = 0x0b000000u | (rng() % 16);
  k[abi::W_META] = (rng() % 2 ? 6u : 17u) << abi::META_PROTO_SHIFT;
  k[abi::W_PORTS] = ((rng() % 4) << abi::PORTS_DPORT_SHIFT) | ((rng() % 8) << abi::PORTS_SPORT_SHIFT);
  return k;
}

TEST(ClassifierTss, SameMatchesAsLinearScanUnderRandomUpdates) {
  constexpr uint32_t kDepth = 512;
  ClassifierRef ref(kDepth);
  ClassifierTss tss(kDepth);
  std::mt19937 rng(7);
  for (uint32_t g = 0; g < 4; ++g) ref.set_group_enable(g, true), tss.set_group_enable(g, true);
  size_t total_matches = 0;
  for (int round = 0; round < 200; ++round) {
    for (int w = 0; w < 20; ++w) {
      const uint32_t i = rng() % kDepth;
      const abi::Entry e = random_entry(rng);
      ref.write_entry(i, e);
      tss.write_entry(i, e);
    }
    if (round % 10 == 0) {
      const uint32_t u = rng() % 8;
      abi::RangeUnit r{rng() % 3 == 0 ? abi::RangeField::Disabled
                                      : (rng() % 2 ? abi::RangeField::SrcPort : abi::RangeField::DstPort),
                       static_cast<uint16_t>(rng() % 4), static_cast<uint16_t>(2 + rng() % 6)};
      ref.write_range_unit(u, r);
      tss.write_range_unit(u, r);
    }
    if (round % 7 == 0) {
      const uint32_t g = rng() % 4;
      const bool on = rng() % 3 != 0;
      ref.set_group_enable(g, on);
      tss.set_group_enable(g, on);
    }
    for (int k = 0; k < 50; ++k) {
      const abi::KeyWords key = random_key(rng);
      const auto a = ref.lookup(key), b = tss.lookup(key);
      ASSERT_EQ(a.matches, b.matches) << "round " << round;
      ASSERT_EQ(a.cycles, b.cycles);
      total_matches += a.matches.size();
    }
  }
  EXPECT_GT(total_matches, 10000u);  // the comparison exercised multi-match results
}

TEST(ClassifierTss, InvalidatedAndOverwrittenEntriesLeaveTheirTuple) {
  ClassifierTss tss(8);
  tss.set_group_enable(0, true);
  abi::Entry e;
  e.valid = true;
  e.mask[abi::W_DST] = ~0u;
  e.value[abi::W_DST] = 42;
  tss.write_entry(3, e);
  abi::KeyWords k{};
  k[abi::W_DST] = 42;
  EXPECT_EQ(tss.lookup(k).matches, std::vector<uint32_t>{3});
  EXPECT_EQ(tss.tuples(), 1u);
  e.mask[abi::W_SRC] = ~0u;  // same index, new mask and value: moves to a new tuple
  e.value[abi::W_SRC] = 5;
  tss.write_entry(3, e);
  EXPECT_TRUE(tss.lookup(k).matches.empty());
  EXPECT_EQ(tss.tuples(), 1u);
  e.valid = false;
  tss.write_entry(3, e);
  EXPECT_EQ(tss.tuples(), 0u);
  k[abi::W_SRC] = 0;
  EXPECT_TRUE(tss.lookup(k).matches.empty());
}

TEST(ClassifierTss, FactoryModelIsTheTupleSpaceClassifier) {
  auto dev = make_classifier("model", 64);
  EXPECT_NE(dynamic_cast<ClassifierTss*>(dev.get()), nullptr);
}

}  // namespace
}  // namespace dfc::model

namespace dfc::model {
namespace {

TEST(ClassifierTss, RelaxKeepsBytePrefixesAndDropsTheRest) {
  abi::EntryWords m{};
  m[abi::W_SRC] = 0xfffff000u;     // /20 -> /16
  m[abi::W_DST] = ~0u;             // /32 kept
  m[abi::W_META] = 0xffu;          // protocol byte: not a prefix, dropped
  m[abi::W_PORTS] = 0xffff0000u;   // destination port exact: a 16-bit prefix, kept
  m[abi::W_RANGE] = 1u << 5;       // range bit: dropped
  const abi::EntryWords t = ClassifierTss::relax(m);
  EXPECT_EQ(t[abi::W_SRC], 0xffff0000u);
  EXPECT_EQ(t[abi::W_DST], ~0u);
  EXPECT_EQ(t[abi::W_META], 0u);
  EXPECT_EQ(t[abi::W_PORTS], 0xffff0000u);
  EXPECT_EQ(t[abi::W_RANGE], 0u);
}

// Prefix-shaped rules over the whole address space: entries of different prefix lengths
// share relaxed tuples and buckets, and the full-mask check inside a bucket decides.
TEST(ClassifierTss, PrefixRulesSharingBucketsMatchTheLinearScan) {
  constexpr uint32_t kDepth = 2048;
  ClassifierRef ref(kDepth);
  ClassifierTss tss(kDepth);
  ref.set_group_enable(0, true);
  tss.set_group_enable(0, true);
  std::mt19937 rng(11);
  for (uint32_t i = 0; i < kDepth; ++i) {
    abi::Entry e;
    e.valid = true;
    const unsigned sl = rng() % 33, dl = 16 + rng() % 17;
    e.mask[abi::W_SRC] = sl == 0 ? 0 : ~0u << (32 - sl);
    e.mask[abi::W_DST] = ~0u << (32 - dl);
    e.value[abi::W_SRC] = 0x0a000000u | (rng() & 0x0000ffffu);
    e.value[abi::W_DST] = 0x0b0b0000u | (rng() & 0x000000ffu);
    ref.write_entry(i, e);
    tss.write_entry(i, e);
  }
  EXPECT_LT(tss.tuples(), 40u);
  size_t matches = 0;
  for (int k = 0; k < 3000; ++k) {
    abi::KeyWords key{};
    key[abi::W_SRC] = 0x0a000000u | (rng() & 0x0000ffffu);
    key[abi::W_DST] = 0x0b0b0000u | (rng() & 0x000000ffu);
    const auto a = ref.lookup(key), b = tss.lookup(key);
    ASSERT_EQ(a.matches, b.matches);
    matches += a.matches.size();
  }
  EXPECT_GT(matches, 3000u);
}

}  // namespace
}  // namespace dfc::model
