// Verilated classifier vs the C++ reference model on random rules and random/corner keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "classifier_ref.hpp"
#include "classifier_rtl.hpp"
#include <gtkwave/fstapi.h>

#ifndef DFC_LONG
#define DFC_LONG 0
#endif


namespace dfc {
namespace {

abi::Entry random_entry(std::mt19937& rng, uint16_t group) {
  abi::Entry e;
  e.valid = (rng() % 16) != 0;
  e.group = group;
  for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) {
    // Sparse care bits so that a fair share of keys match.
    uint32_t m = rng() & rng() & rng();
    if (rng() % 3 == 0) m = 0;
    if (w >= abi::W_RANGE) m = rng() % 4 == 0 ? 1u << (rng() % 32) : 0;  // range-unit bits
    e.mask[w] = m;
    e.value[w] = rng() & m;
  }
  return e;
}

abi::KeyWords key_near(std::mt19937& rng, const abi::Entry& e) {
  abi::KeyWords k{};
  for (unsigned w = 0; w < abi::KEY_IN_WORDS; ++w) k[w] = (rng() & ~e.mask[w]) | e.value[w];
  if (rng() % 4 == 0) k[rng() % abi::KEY_IN_WORDS] ^= 1u << (rng() % 32);
  return k;
}

void random_units(std::mt19937& rng, model::ClassifierDevice& a, model::ClassifierDevice& b) {
  for (unsigned u = 0; u < abi::RANGE_UNITS; ++u) {
    abi::RangeUnit r;
    r.field = static_cast<abi::RangeField>(rng() % 3);
    r.lo = static_cast<uint16_t>(rng());
    r.hi = static_cast<uint16_t>(r.lo + rng() % 5000);
    a.write_range_unit(u, r);
    b.write_range_unit(u, r);
  }
}

class RtlVsRef : public ::testing::TestWithParam<uint32_t> {};

TEST_P(RtlVsRef, RandomRulesAndKeys) {
  const uint32_t depth = GetParam();
  std::mt19937 rng(depth * 7919u + 1);
  rtl::ClassifierRtl rtl(depth);
  model::ClassifierRef ref(depth);
  ASSERT_EQ(rtl.depth(), depth);
  random_units(rng, rtl, ref);
  std::vector<abi::Entry> entries(depth);
  for (uint32_t i = 0; i < depth; ++i) {
    entries[i] = random_entry(rng, static_cast<uint16_t>(rng() % 8));
    rtl.write_entry(i, entries[i]);
    ref.write_entry(i, entries[i]);
  }
  for (uint32_t g = 0; g < 8; ++g) {
    rtl.set_group_enable(g, g != 3);
    ref.set_group_enable(g, g != 3);
  }
  size_t hits = 0;
  for (int n = 0; n < (DFC_LONG ? 3000 : 1500); ++n) {
    abi::KeyWords k{};
    if (n % 3 == 0) {
      for (auto& w : k) w = rng();
    } else if (n % 50 == 1) {
      for (auto& w : k) w = 0;
    } else if (n % 50 == 2) {
      for (auto& w : k) w = ~0u;
    } else {
      k = key_near(rng, entries[rng() % depth]);
    }
    const abi::LookupResult a = rtl.lookup(k), b = ref.lookup(k);
    ASSERT_EQ(a.matches, b.matches) << "lookup " << n;
    ASSERT_EQ(a.cycles, b.cycles);
    hits += !b.matches.empty();
    if (n % 100 == 99) {  // rewrite some entries, toggle a group, re-check
      const uint32_t i = rng() % depth;
      entries[i] = random_entry(rng, static_cast<uint16_t>(rng() % 8));
      rtl.write_entry(i, entries[i]);
      ref.write_entry(i, entries[i]);
      const uint32_t g = rng() % 8;
      const bool en = rng() % 2;
      rtl.set_group_enable(g, en);
      ref.set_group_enable(g, en);
    }
  }
  EXPECT_GT(hits, depth < 64 ? 100u : 300u);
}

#if DFC_LONG
INSTANTIATE_TEST_SUITE_P(Depths, RtlVsRef, ::testing::Values(2048u, 4096u, 5000u, 16384u));
#else
INSTANTIATE_TEST_SUITE_P(Depths, RtlVsRef, ::testing::Values(1u, 64u, 100u, 256u, 1024u));

// Both traced variants record on the time axis they are given (at_time, 1 ps timescale), only
// inside the window; the variant without trace code refuses to open a trace.
TEST(Rtl, WaveformVariantsOnTheGivenTimeAxis) {
  {
    rtl::ClassifierRtl none(64);
    EXPECT_FALSE(none.open_trace(::testing::TempDir() + "none.vcd"));
    EXPECT_EQ(none.wave_timing(), nullptr);
  }
  const uint64_t t0 = 5'000'000, clock = 4000;  // 5 us; 250 MHz
  for (auto w : {rtl::ClassifierRtl::Wave::Vcd, rtl::ClassifierRtl::Wave::Fst}) {
    const bool vcd = w == rtl::ClassifierRtl::Wave::Vcd;
    const std::string path = ::testing::TempDir() + (vcd ? "classifier_trace.vcd" : "classifier_trace.fst");
    {
      rtl::ClassifierRtl r(64, w);
      r.set_wave_time(clock, t0, t0 + 100 * clock);
      ASSERT_TRUE(r.open_trace(path));
      abi::KeyWords k{};
      r.at_time(t0);
      r.lookup(k);
      r.at_time(t0 + 10);  // earlier than the previous lookup's last edge: moved after it
      r.lookup(k);
      for (int i = 0; i < 50; ++i) r.lookup(k);  // runs past the window's end
      const auto* t = r.wave_timing();
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->first_ps, t0);
      EXPECT_LE(t->last_ps, t0 + 100 * clock);
      EXPECT_GE(t->last_ps, t0 + 90 * clock);
      EXPECT_EQ(t->shifted, 1u);
      EXPECT_GT(t->max_shift_ps, 0u);
    }
    if (vcd) {
      std::FILE* f = std::fopen(path.c_str(), "r");
      ASSERT_NE(f, nullptr);
      char line[512];
      uint64_t first = UINT64_MAX, last = 0, n = 0;
      bool ps = false;
      while (std::fgets(line, sizeof line, f)) {
        if (std::string(line).find("1ps") != std::string::npos) ps = true;
        if (line[0] != '#') continue;
        const uint64_t t = std::strtoull(line + 1, nullptr, 10);
        EXPECT_GT(t, n ? last : 0) << "timestamps not increasing";
        if (!n++) first = t;
        last = t;
      }
      std::fclose(f);
      EXPECT_TRUE(ps) << "timescale 1ps";
      EXPECT_EQ(first, t0);
      EXPECT_LE(last, t0 + 100 * clock);
    } else {
      void* rd = fstReaderOpen(path.c_str());
      ASSERT_NE(rd, nullptr);
      EXPECT_EQ(fstReaderGetStartTime(rd), t0);
      EXPECT_LE(fstReaderGetEndTime(rd), t0 + 100 * clock);
      EXPECT_EQ(fstReaderGetTimescale(rd), -12);
      EXPECT_GT(fstReaderGetVarCount(rd), 10u);
      fstReaderClose(rd);
    }
  }
}

#endif

TEST(Rtl, ResetStateMatchesNothing) {
  rtl::ClassifierRtl rtl(64);
  abi::KeyWords k{};
  EXPECT_TRUE(rtl.lookup(k).matches.empty());
  EXPECT_EQ(rtl.lookup(k).cycles, abi::CLS_LOOKUP_LATENCY);
}

// The lookup cost is counted from the clock: the clocks the wrapper simulated for a
// lookup are the cycles it reports, up to the result window; the matches past the window are
// drained (full list) but not charged. The model's formula must give the same figures.
TEST(Rtl, LookupCyclesAreTheClocksCountedAtThePorts) {
  for (uint32_t matches : {0u, 1u, 5u, abi::CLS_MAX_RESULTS - 1, abi::CLS_MAX_RESULTS,
                           abi::CLS_MAX_RESULTS + 1, 100u, 200u}) {
    rtl::ClassifierRtl rtl(256);
    model::ClassifierRef ref(256);
    abi::Entry e;
    e.valid = true;
    e.group = 1;
    // Entries 3, 4, ... match everything; entry 0 is valid but never matches the zero key.
    for (uint32_t i = 0; i < matches; ++i) {
      rtl.write_entry(3 + i, e);
      ref.write_entry(3 + i, e);
    }
    abi::Entry miss = e;
    miss.mask[abi::W_META] = 1;
    miss.value[abi::W_META] = 1;
    rtl.write_entry(0, miss);
    ref.write_entry(0, miss);
    rtl.set_group_enable(1, true);
    ref.set_group_enable(1, true);
    const abi::KeyWords k{};
    const uint64_t c0 = rtl.clocks();
    const abi::LookupResult a = rtl.lookup(k), b = ref.lookup(k);
    const uint64_t simulated = rtl.clocks() - c0;
    ASSERT_EQ(a.matches.size(), matches);
    EXPECT_EQ(a.matches, b.matches);
    const uint32_t window = std::min(matches, abi::CLS_MAX_RESULTS);
    EXPECT_EQ(a.cycles, abi::CLS_LOOKUP_LATENCY + window) << matches << " matches";
    EXPECT_EQ(simulated, uint64_t(abi::CLS_LOOKUP_LATENCY) + matches) << "clocks simulated";
    EXPECT_EQ(a.cycles, b.cycles) << "model formula vs counted clocks, " << matches << " matches";
  }
}

TEST(Rtl, DepthOutOfRangeThrows) {
  EXPECT_THROW(rtl::ClassifierRtl(0), std::invalid_argument);
  EXPECT_THROW(rtl::ClassifierRtl(rtl::ClassifierRtl::kMaxDepth + 1), std::invalid_argument);
  rtl::ClassifierRtl r(10);
  EXPECT_THROW(r.write_entry(10, abi::Entry{}), std::out_of_range);
}

TEST(Rtl, FactoryMakesBoth) {
  auto a = model::make_classifier("rtl", 64);
  auto b = model::make_classifier("model", 64);
  EXPECT_EQ(a->name(), "rtl");
  EXPECT_EQ(b->name(), "model");
  EXPECT_THROW(model::make_classifier("fpga", 64), std::invalid_argument);
}

TEST(Rtl, FactorySwitchesWaveformsOn) {
  model::ClassifierOptions o;
  o.wave = ::testing::TempDir() + "factory_wave.vcd";
  EXPECT_THROW(model::make_classifier("model", 64, o), std::invalid_argument);
  {
    auto d = model::make_classifier("rtl", 64, o);
    abi::KeyWords k{};
    for (int i = 0; i < 10; ++i) d->lookup(k);
    ASSERT_NE(d->wave_timing(), nullptr);
    auto l = model::make_classifier("lockstep", 64, o);  // the primary records
    EXPECT_NE(l->wave_timing(), nullptr);
    EXPECT_EQ(model::make_classifier("rtl", 64)->wave_timing(), nullptr);  // off until asked for
  }
  std::FILE* f = std::fopen(o.wave.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::fseek(f, 0, SEEK_END);
  EXPECT_GT(std::ftell(f), 100L);
  std::fclose(f);
  o.wave_format = "lxt";
  EXPECT_THROW(model::make_classifier("rtl", 64, o), std::invalid_argument);
  o.wave_format = "vcd";
  o.wave = "/nonexistent-dir/x.vcd";
  EXPECT_THROW(model::make_classifier("rtl", 64, o), std::runtime_error);
}

}  // namespace
}  // namespace dfc
