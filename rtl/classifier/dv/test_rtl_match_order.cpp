// The RTL's multi-match order, on its own: the first-match result is the LOWEST matching
// index (the firmware's priority order depends on it), and the match stream lists every
// match in ascending order, within one 64-entry word and across words. Checked both at the
// cycle level (res_first, m_idx) and through lookup(), for sets of matching entries chosen so
// that a reversed priority encoder, a "last word wins" scan or a stream that skips or repeats
// an entry gives a different answer. The expected answers are computed here (sorted sets), not
// by the C++ reference model.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "classifier_rtl.hpp"

namespace dfc {
namespace {

constexpr uint32_t kDepth = 256;  // four 64-entry words

// Entry matching exactly the keys whose protocol byte is `proto` (everything else wildcard).
abi::Entry proto_entry(uint8_t proto) {
  abi::Entry e;
  e.valid = true;
  e.group = 1;
  e.mask[abi::W_META] = abi::META_PROTO_MAX << abi::META_PROTO_SHIFT;
  e.value[abi::W_META] = uint32_t{proto} << abi::META_PROTO_SHIFT;
  return e;
}

abi::KeyWords proto_key(uint8_t proto) {
  abi::KeyWords k{};
  k[abi::W_META] = uint32_t{proto} << abi::META_PROTO_SHIFT;
  return k;
}

// Installs `hits` as entries matching protocol 6 and every other index as protocol 17.
void load(rtl::ClassifierRtl& rtl, const std::set<uint32_t>& hits) {
  for (uint32_t i = 0; i < kDepth; ++i) rtl.write_entry(i, proto_entry(hits.count(i) ? 6 : 17));
  rtl.set_group_enable(1, true);
}

void expect_order(rtl::ClassifierRtl& rtl, const std::set<uint32_t>& hits) {
  const std::vector<uint32_t> want(hits.begin(), hits.end());
  const abi::KeyWords k = proto_key(6);
  // Cycle level: key at edge 1, first-match result at edge 2, then one match per clock.
  rtl::ClassifierRtl::CycleIn in;
  in.key = &k;
  rtl.step(in);
  auto o = rtl.step({});
  ASSERT_TRUE(o.res_valid);
  ASSERT_EQ(o.res_hit, !want.empty());
  if (want.empty()) return;
  EXPECT_EQ(o.res_first, want.front()) << "first match must be the lowest index";
  EXPECT_EQ(o.res_count, want.size());
  std::vector<uint32_t> stream;
  for (size_t n = 0; n < want.size(); ++n) {
    o = rtl.step({});
    ASSERT_TRUE(o.m_valid) << "stream ended after " << n;
    stream.push_back(o.m_idx);
  }
  EXPECT_EQ(stream, want);
  // And through the device interface the firmware's bus sees.
  EXPECT_EQ(rtl.lookup(k).matches, want);
}

TEST(RtlMatchOrder, LowestIndexFirstWithinOneWord) {
  rtl::ClassifierRtl rtl(kDepth);
  for (const std::set<uint32_t>& hits :
       {std::set<uint32_t>{5, 9}, {0, 63}, {62, 63}, {1, 2, 3}, {40}, {7, 8, 31, 32, 33}}) {
    load(rtl, hits);
    expect_order(rtl, hits);
  }
}

TEST(RtlMatchOrder, LowestIndexFirstAcrossWords) {
  rtl::ClassifierRtl rtl(kDepth);
  for (const std::set<uint32_t>& hits :
       {std::set<uint32_t>{63, 64}, {200, 70}, {255, 0}, {64, 128, 192}, {130, 129, 250, 65}, {191, 192}}) {
    load(rtl, hits);
    expect_order(rtl, hits);
  }
}

TEST(RtlMatchOrder, RandomSetsAscending) {
  rtl::ClassifierRtl rtl(kDepth);
  std::mt19937 rng(13);
  for (int t = 0; t < 12; ++t) {
    std::set<uint32_t> hits;
    const int n = 1 + static_cast<int>(rng() % 9);
    while (static_cast<int>(hits.size()) < n) hits.insert(rng() % kDepth);
    load(rtl, hits);
    expect_order(rtl, hits);
  }
}

TEST(RtlMatchOrder, InvalidatingTheFirstMatchPromotesTheNext) {
  rtl::ClassifierRtl rtl(kDepth);
  std::set<uint32_t> hits{10, 20, 100};
  load(rtl, hits);
  expect_order(rtl, hits);
  abi::Entry off = proto_entry(6);
  off.valid = false;
  rtl.write_entry(10, off);
  hits.erase(10);
  expect_order(rtl, hits);
}

}  // namespace
}  // namespace dfc
