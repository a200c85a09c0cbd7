// The packet path reads the criteria without the criteria lock (docs/firmware-concurrency.md,
// rule 2): a sequence counter in the classifier driver, bumped around every modification,
// validates each lookup and each rule -> criterion translation. The fake HAL's hooks play the
// control plane running between two of the reader's HAL calls, as another core may.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/pipeline.hpp"
#include "dfc/hal/card_map.hpp"
#include "dtcp_test_util.hpp"
#include "fake_hal.hpp"

using namespace dfc;
using namespace dfc::fw;

namespace {

class Criteria : public ControlPlaneView {
 public:
  const CriterionView* criterion_for_rule(RuleId id) const override {
    auto it = crit.find(id);
    return it == crit.end() ? nullptr : &it->second;
  }
  void account_hit(RuleId id, uint32_t) override { ++hits[id]; }
  void account_copy(RuleId, uint32_t) override {}
  uint64_t criteria_version() const override { return version; }
  void duplicates_dropped(const CriterionView&) override {}
  std::map<RuleId, CriterionView> crit;
  std::map<RuleId, uint64_t> hits;
  uint64_t version = 1;
};

// 10.0.0.0/8 -> anything, UDP dport 53
MatchTerm lf_dns_term() {
  MatchTerm t;
  t.family = MatchTerm::Family::V4;
  t.src.lo.lo = 0x0a000000;
  t.src.hi.lo = 0x0affffff;
  t.dst.hi.lo = 0xffffffff;
  t.proto_lo = t.proto_hi = 17;
  t.dport_lo = t.dport_hi = 53;
  t.need_ports = true;
  return t;
}

Packet lf_udp_packet(uint32_t src, uint16_t dport) {
  std::vector<uint8_t> d = {0x45, 0, 0, 36, 0, 0, 0, 0, 64, 17, 0, 0,
                            uint8_t(src >> 24), uint8_t(src >> 16), uint8_t(src >> 8), uint8_t(src),
                            192, 0, 2, 99, 0x30, 0x39, uint8_t(dport >> 8), uint8_t(dport), 0, 16, 0, 0,
                            1, 2, 3, 4, 5, 6, 7, 8};
  Packet p;
  p.data = d;
  p.link = LinkType::RawIp;
  return p;
}

struct SeqRig {
  test::FakeHal hal{256};
  ClassifierDriver drv{hal};
  Criteria cp;
  std::unique_ptr<Pipeline> pl;
  uint64_t seq = 0;
  unsigned seq_reads = 0;
  SeqRig() {
    pl = std::make_unique<Pipeline>(hal, drv, cp, PipelineConfig{});
    std::map<std::string, CopyDestination> d;
    for (int i = 0; i < 4; ++i) d["cd" + std::to_string(i)] = CopyDestination{0x0a460000u + uint32_t(i), 64};
    pl->set_destinations(d);
    // Counts the readers' reads of the counter, then runs the test's interleaving.
    hal.on_mem = [this](uint64_t addr, bool write) {
      if (write || addr != ClassifierDriver::sequence_addr()) return;
      ++seq_reads;
      if (at_seq_read) at_seq_read(seq_reads);
    };
  }
  // A control-plane modification as the DTCP server makes it: rule and criterion together.
  RuleId add(const std::string& cd) {
    ClassifierDriver::Update u(drv);
    auto id = drv.install({lf_dns_term()}, 5);
    EXPECT_TRUE(id.has_value());
    cp.crit[*id] = CriterionView{uint32_t(cp.crit.size() + 1), "cs1", cd, 5, ++seq, 0};
    ++cp.version;
    return *id;
  }
  void remove(RuleId r) {
    ClassifierDriver::Update u(drv);
    drv.remove(r);
    cp.crit.erase(r);
    ++cp.version;
  }
  std::vector<std::string> copies() const {
    std::vector<std::string> out;
    for (const Packet& p : hal.sent) out.push_back(p.cdest_id);
    return out;
  }
  std::function<void(unsigned)> at_seq_read;
};

const Packet kMatching = lf_udp_packet(0x0a000001, 53);

}  // namespace

TEST(SequenceCounter, OddWhileAModificationIsUnderWayAndBracketsNest) {
  test::FakeHal hal{64};
  ClassifierDriver drv(hal);
  EXPECT_EQ(drv.sequence(), 0u);
  {
    ClassifierDriver::Update outer(drv);
    EXPECT_EQ(drv.sequence() % 2, 1u);
    auto id = drv.install({lf_dns_term()}, 1);  // brackets itself: nested, no bump
    ASSERT_TRUE(id);
    EXPECT_EQ(drv.sequence(), 1u);
  }
  EXPECT_EQ(drv.sequence(), 2u);
  auto id = drv.install({lf_dns_term()}, 2);  // alone: its own bracket
  EXPECT_EQ(drv.sequence(), 4u);
  drv.remove(*id);
  EXPECT_EQ(drv.sequence(), 6u);
  // Every bump is a priced write of the counter's word.
  size_t writes = 0;
  for (const auto& m : hal.mem) writes += m.write && m.addr == ClassifierDriver::sequence_addr();
  EXPECT_EQ(writes, 6u);
  // A reader's read is priced too, and sees the value after it.
  EXPECT_EQ(drv.read_sequence(), 6u);
  EXPECT_FALSE(hal.mem.back().write);
  EXPECT_EQ(hal.mem.back().addr, cardmap::CRITERIA_SEQ);
}

TEST(LockFreeLookup, NoLockWithoutAConcurrentModification) {
  SeqRig r;
  r.add("cd1");
  r.pl->process(lf_udp_packet(0x0b000001, 53));  // miss, no rule: lookup only
  EXPECT_EQ(r.hal.lock_acquires, 0u);
  EXPECT_EQ(r.seq_reads, 2u) << "the lookup is validated by two reads of the counter";
  r.pl->process(kMatching);  // miss, one rule: lookup and translation lock-free, accounting locked
  EXPECT_EQ(r.hal.lock_acquires, 1u);
  EXPECT_EQ(r.seq_reads, 6u);
  EXPECT_EQ(r.copies(), std::vector<std::string>{"cd1"});
  const auto& s = r.pl->stats();
  EXPECT_EQ(s.criteria_read_retries + s.criteria_read_fallbacks + s.criteria_read_waits, 0u);
  EXPECT_EQ(r.hal.lock_errors, 0u);
  EXPECT_FALSE(r.hal.any_lock_held());
}

// The modification lands after the lookup and its translation, before the validating read:
// the translated result (the old rule) is discarded, and the retry sees the new rule.
TEST(LockFreeLookup, AModificationBetweenTheCounterReadsForcesARetryWithTheNewResult) {
  SeqRig r;
  const RuleId old_rule = r.add("cd1");
  RuleId new_rule = 0;
  r.at_seq_read = [&](unsigned n) {
    if (n != 2) return;
    r.remove(old_rule);
    new_rule = r.add("cd2");
  };
  r.pl->process(kMatching);
  EXPECT_EQ(r.copies(), std::vector<std::string>{"cd2"});
  EXPECT_EQ(r.cp.hits.count(old_rule), 0u);
  EXPECT_EQ(r.cp.hits[new_rule], 1u);
  EXPECT_EQ(r.pl->stats().criteria_read_retries, 1u);
  EXPECT_EQ(r.pl->stats().criteria_read_fallbacks, 0u);
  EXPECT_EQ(r.hal.lock_acquires, 1u);  // the accounting only
}

// The same for the translation of rules to criteria: a criterion changed while resolve()
// ran is translated again.
TEST(LockFreeLookup, ACriterionChangedDuringTheTranslationIsTranslatedAgain) {
  SeqRig r;
  const RuleId rule = r.add("cd1");
  r.at_seq_read = [&](unsigned n) {
    if (n != 4) return;  // reads 1, 2: the lookup; 3, 4: the translation
    ClassifierDriver::Update u(r.drv);
    r.cp.crit[rule].cdest_id = "cd3";
  };
  r.pl->process(kMatching);
  EXPECT_EQ(r.copies(), std::vector<std::string>{"cd3"});
  EXPECT_EQ(r.pl->stats().criteria_read_retries, 1u);
}

// Modifications at every read: the reader gives up after its lock-free attempts and reads
// under the lock, where no writer can be; it finishes with the right result.
TEST(LockFreeLookup, FallsBackToTheLockAfterBoundedRetries) {
  SeqRig r;
  r.add("cd1");
  r.at_seq_read = [&](unsigned) { ClassifierDriver::Update u(r.drv); };
  bool last_key_write_locked = false;
  r.hal.on_bus_write = [&](uint32_t addr) {
    const uint32_t off = (addr - dfc::abi::CLS_BASE) % cardmap::CLS_CTX_STRIDE + dfc::abi::CLS_BASE;
    if (off == dfc::abi::CLS_KEY) last_key_write_locked = r.hal.held[cardmap::HW_LOCK_CRITERIA];
  };
  r.pl->process(kMatching);
  EXPECT_EQ(r.copies(), std::vector<std::string>{"cd1"});
  const auto& s = r.pl->stats();
  EXPECT_EQ(s.criteria_read_fallbacks, 2u);  // the lookup and the translation
  EXPECT_EQ(s.criteria_read_retries, 2u * Pipeline::kLockFreeAttempts);
  EXPECT_TRUE(last_key_write_locked);
  EXPECT_EQ(r.hal.lock_acquires, 3u);  // two fallbacks, the accounting
  EXPECT_EQ(r.hal.lock_errors, 0u);
  EXPECT_FALSE(r.hal.any_lock_held());
}

// A modification under way (odd counter): the reader waits for its writer at the lock
// instead of spinning, then reads lock-free what the writer finished.
TEST(LockFreeLookup, AReaderWaitsAtTheLockForAModificationUnderWay) {
  SeqRig r;
  std::optional<ClassifierDriver::Update> writing;
  writing.emplace(r.drv);
  r.hal.on_lock_acquire = [&](unsigned) {
    if (!writing) return;
    r.add("cd2");  // the writer's work, done while the reader waits
    writing.reset();
  };
  r.pl->process(kMatching);
  EXPECT_EQ(r.copies(), std::vector<std::string>{"cd2"});
  const auto& s = r.pl->stats();
  EXPECT_EQ(s.criteria_read_waits, 1u);
  EXPECT_EQ(s.criteria_read_retries + s.criteria_read_fallbacks, 0u);
  EXPECT_EQ(r.hal.lock_acquires, 2u);  // the wait, the accounting
}

// A writer that never finishes (a bug) does not hang the reader: bounded waits, then the lock.
TEST(LockFreeLookup, AnOddCounterThatStaysOddStillEndsUnderTheLock) {
  SeqRig r;
  r.add("cd1");
  ClassifierDriver::Update stuck(r.drv);
  r.pl->process(kMatching);
  EXPECT_EQ(r.copies(), std::vector<std::string>{"cd1"});
  EXPECT_EQ(r.pl->stats().criteria_read_waits, 2u * Pipeline::kLockFreeAttempts);
  EXPECT_EQ(r.pl->stats().criteria_read_fallbacks, 2u);
  EXPECT_EQ(r.hal.lock_errors, 0u);
}

// The DTCP server brackets its modifications: the classifier writes of an ADD and a DELETE
// happen with the counter odd, and when it turns even again the rule and its criterion are
// both there (ADD) or both gone (DELETE).
class ServerBrackets : public dtcp_test::ServerTest {};

TEST_F(ServerBrackets, AddAndDeleteAreSeenWholeByLockFreeReaders) {
  unsigned entry_writes = 0, even_entry_writes = 0;
  hal.on_bus_write = [&](uint32_t addr) {
    if (addr < dfc::abi::CLS_ENTRY || addr >= dfc::abi::CLS_ENTRY + cls.depth() * dfc::abi::CLS_ENTRY_STRIDE) return;
    ++entry_writes;
    even_entry_writes += cls.sequence() % 2 == 0;
  };
  std::vector<bool> visible_at_even;  // at each bump to even: is rule 1 with its criterion?
  hal.on_mem = [&](uint64_t addr, bool write) {
    if (!write || addr != fw::ClassifierDriver::sequence_addr() || cls.sequence() % 2) return;
    visible_at_even.push_back(cls.entries_used(1) > 0 && srv.criterion_for_rule(1) != nullptr);
  };
  const uint32_t id = add_ok(cs1, {{"Source-Address", "10.1.0.0/16"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(visible_at_even, std::vector<bool>{true}) << "one bracket over the rule and its criterion";
  dtcp_test::Message d = request(cs1, "DELETE", {{"Criteria-ID", std::to_string(id)}});
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(visible_at_even, (std::vector<bool>{true, false}));
  EXPECT_GT(entry_writes, 0u);
  EXPECT_EQ(even_entry_writes, 0u);
  EXPECT_EQ(cls.sequence() % 2, 0u);
}
