// The ClassifierTarget on its own, over a stand-in device whose lookups take a known number of
// clocks: a lookup's result is readable its device cycles after its issue slot, lookups from
// different contexts share the pipeline one issue slot apart, each context keeps its own key
// and result, and the issue slot's busy time is what utilisation reports. Expected times come
// from the ms400 profile (classifier clock, issue and register cycles).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "block_harness.hpp"
#include "card_stats.hpp"
#include "classifier_target.hpp"
#include "dfc/hal/card_map.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;
using namespace dfc::model::test;

constexpr uint32_t kLookupCycles = 5;

// Matches entry key[0] of every key, in kLookupCycles clocks.
class FixedDevice : public ClassifierDevice {
 public:
  uint32_t depth() const override { return 64; }
  void write_entry(uint32_t, const dfc::abi::Entry&) override { ++entries; }
  void write_range_unit(uint32_t, const dfc::abi::RangeUnit&) override {}
  void set_group_enable(uint32_t, bool) override {}
  dfc::abi::LookupResult lookup(const dfc::abi::KeyWords& key) override { return {{key[0]}, kLookupCycles}; }
  std::string name() const override { return "fixed"; }
  int entries = 0;
};

class ClassifierTargetTest : public ::testing::Test {
 protected:
  ClassifierTargetTest()
      : prof(load_profile("ms400")), cls("classifier", std::make_unique<FixedDevice>(), prof), core0("core0", 0),
        core1("core1", 1) {
    core0.socket.bind(cls.socket);
    core1.socket.bind(cls.socket);
    const double cyc = 1e12 / prof.classifier_hz;
    cycle = static_cast<uint64_t>(cyc + 0.5);
    issue = static_cast<uint64_t>(cyc * prof.classifier_issue_cycles + 0.5);
    reg = static_cast<uint64_t>(cyc * prof.classifier_reg_cycles + 0.5);
  }
  static uint64_t ctx(unsigned c) { return uint64_t{c} * cardmap::CLS_CTX_STRIDE; }
  // Writes a key whose word 0 is `k` into context c at t; returns when the write completes.
  uint64_t lookup(Driver& d, unsigned c, uint32_t k, uint64_t t) {
    std::vector<uint32_t> key(dfc::abi::KEY_IN_WORDS, 0);
    key[0] = k;
    return d.transport(tlm::TLM_WRITE_COMMAND, dfc::abi::CLS_KEY + ctx(c), key, t);
  }
  // Reads the result window's count and first match from context c at t.
  uint64_t result(Driver& d, unsigned c, uint64_t t, uint32_t& count, uint32_t& first) {
    std::vector<uint32_t> r(2, 0);
    const uint64_t done = d.transport(tlm::TLM_READ_COMMAND, dfc::abi::CLS_RESULT + ctx(c), r, t);
    count = r[0], first = r[1];
    return done;
  }

  CardProfile prof;
  ClassifierTarget cls;
  Driver core0, core1;
  uint64_t cycle = 0, issue = 0, reg = 0;
};

constexpr uint64_t kT = 20'000'000;

TEST_F(ClassifierTargetTest, ResultIsReadyTheDevicesCyclesAfterTheIssueSlot) {
  // The key write takes the register access; the lookup issues right after it.
  EXPECT_EQ(lookup(core0, 0, 7, kT), kT + reg);
  const uint64_t ready = kT + reg + kLookupCycles * cycle;
  uint32_t n = 0, first = 0;
  // Read at once: the read waits for the result.
  EXPECT_EQ(result(core0, 0, kT + reg, n, first), ready);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(first, 7u);
  // Read long after: only the register access.
  EXPECT_EQ(result(core0, 0, 2 * kT, n, first), 2 * kT + reg);
  EXPECT_EQ(ready - kT, 8'000u + 5 * 4'000u);  // ms400: 2 + 5 clocks at 250 MHz
}

TEST_F(ClassifierTargetTest, EachCoreHasItsOwnContextAndTheyShareThePipeline) {
  lookup(core0, 0, 3, kT);
  lookup(core1, 1, 9, kT);  // same time: one issue slot later
  uint32_t n = 0, first = 0;
  EXPECT_EQ(result(core1, 1, kT, n, first), kT + reg + issue + kLookupCycles * cycle);
  EXPECT_EQ(first, 9u);
  EXPECT_EQ(result(core0, 0, kT, n, first), kT + reg + kLookupCycles * cycle);
  EXPECT_EQ(first, 3u);  // core 1's lookup did not overwrite core 0's result
  EXPECT_EQ(cls.lookups(), 2u);
}

TEST_F(ClassifierTargetTest, BusyTimeIsOneIssueSlotPerLookupAndOneClockPerEntryWrite) {
  for (uint32_t i = 0; i < 10; ++i) lookup(core0, 0, i, kT + i * 1'000'000);
  // Commit entry 3 (its control word, valid): the table is taken for one clock.
  std::vector<uint32_t> ctl{dfc::abi::CLS_ENTRY_VALID};
  const uint64_t t = 2 * kT;
  const uint32_t entry3 = dfc::abi::CLS_ENTRY + 3 * dfc::abi::CLS_ENTRY_STRIDE + dfc::abi::CLS_ENTRY_CTRL_OFF;
  EXPECT_EQ(core0.transport(tlm::TLM_WRITE_COMMAND, entry3, ctl, t), t + reg + cycle);
  EXPECT_EQ(static_cast<FixedDevice&>(cls.device()).entries, 1);
  EXPECT_EQ(cls.busy_ps(), 10 * issue + cycle);
  std::vector<Usage> u;
  cls.usage(u);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].name, "classifier");
  EXPECT_EQ(u[0].busy_ps, cls.busy_ps());
  EXPECT_EQ(u[0].kind, Usage::Kind::Accelerator);
  CardStats st;
  cls.add_stats(st);
  EXPECT_EQ(st.classifier_lookups, 10u);
}

TEST_F(ClassifierTargetTest, BadAccessesAreRefused) {
  std::vector<uint32_t> w(1, 0);
  core0.transport(tlm::TLM_READ_COMMAND, dfc::abi::CLS_BASE + ctx(cardmap::CLS_CONTEXTS), w, kT);
  EXPECT_EQ(core0.status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);  // past the last context
  core0.read(dfc::abi::CLS_DEPTH, 6, kT);
  EXPECT_EQ(core0.status(), tlm::TLM_BURST_ERROR_RESPONSE);  // not whole words
  core0.transport(tlm::TLM_READ_COMMAND, dfc::abi::CLS_DEPTH + ctx(2), w, kT);
  EXPECT_EQ(core0.status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(w[0], 64u);
}

}  // namespace
