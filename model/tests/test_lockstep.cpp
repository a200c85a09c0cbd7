// The lockstep classifier: clean when RTL and model agree (random tables, writes interleaved
// with lookups), and a clear stop at the first divergence, which is injected here by a device
// wrapper that corrupts exactly one answer.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "classifier_lockstep.hpp"
#include "classifier_ref.hpp"
#include "classifier_rtl.hpp"

namespace dfc::model {
namespace {

// Forwards to a reference model but drops the last match of lookup number `corrupt_at`.
class CorruptOnce : public ClassifierDevice {
 public:
  CorruptOnce(uint32_t depth, uint64_t corrupt_at) : ref_(depth), at_(corrupt_at) {}
  uint32_t depth() const override { return ref_.depth(); }
  void write_entry(uint32_t i, const abi::Entry& e) override { ref_.write_entry(i, e); }
  void write_range_unit(uint32_t u, const abi::RangeUnit& r) override { ref_.write_range_unit(u, r); }
  void set_group_enable(uint32_t g, bool en) override { ref_.set_group_enable(g, en); }
  abi::LookupResult lookup(const abi::KeyWords& k) override {
    abi::LookupResult r = ref_.lookup(k);
    if (++n_ == at_ && !r.matches.empty()) {
      r.matches.pop_back();
      r.cycles = lookup_cycles(r.matches.size());
    }
    return r;
  }
  std::string name() const override { return "corrupted"; }

 private:
  ClassifierRef ref_;
  uint64_t at_, n_ = 0;
};

abi::Entry port_entry(uint16_t dport, uint16_t group = 0) {
  abi::Entry e;
  e.valid = true;
  e.group = group;
  e.mask[abi::W_PORTS] = 0xffff0000u;
  e.value[abi::W_PORTS] = uint32_t{dport} << 16;
  return e;
}

abi::KeyWords port_key(uint16_t dport) {
  abi::KeyWords k{};
  k[abi::W_PORTS] = uint32_t{dport} << 16;
  k[abi::W_META] = 17;
  return k;
}

TEST(Lockstep, FirstDivergenceStopsWithKeyAnswersAndEntries) {
  ClassifierLockstep ls(std::make_unique<CorruptOnce>(64, 3), std::make_unique<ClassifierRef>(64));
  ls.set_group_enable(0, true);
  ls.write_entry(5, port_entry(53));
  ls.write_entry(9, port_entry(53));
  ls.write_entry(12, port_entry(80));
  EXPECT_EQ(ls.lookup(port_key(53)).matches, (std::vector<uint32_t>{5, 9}));
  EXPECT_EQ(ls.lookup(port_key(80)).matches, (std::vector<uint32_t>{12}));
  try {
    ls.lookup(port_key(53));  // the third lookup: the corrupted device drops entry 9
    FAIL() << "divergence not detected";
  } catch (const LockstepDivergence& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("divergence at lookup 3"), std::string::npos) << m;
    EXPECT_NE(m.find("00350000_00000011"), std::string::npos) << "key words shown: " << m;
    EXPECT_NE(m.find("corrupted answer  [5]"), std::string::npos) << m;
    EXPECT_NE(m.find("model answer  [5 9]"), std::string::npos) << m;
    EXPECT_NE(m.find("entry 9: corrupted no match, model matches"), std::string::npos) << m;
    EXPECT_NE(m.find("ternary match 1"), std::string::npos) << m;
    EXPECT_EQ(m.find("entry 5:"), std::string::npos) << "only the disagreeing entries: " << m;
  }
  ASSERT_TRUE(ClassifierLockstep::first_divergence().has_value());
  EXPECT_NE(ClassifierLockstep::first_divergence()->find("lookup 3"), std::string::npos);
}

// Inside a SystemC thread the host must not throw: a handler stops the run instead, and
// the lookup goes on with the primary's answer.
TEST(Lockstep, DivergenceHandlerIsCalledInsteadOfThrowing) {
  ClassifierLockstep ls(std::make_unique<CorruptOnce>(64, 2), std::make_unique<ClassifierRef>(64));
  std::vector<std::string> reports;
  ls.set_on_divergence([&](const std::string& r) { reports.push_back(r); });
  ls.set_group_enable(0, true);
  ls.write_entry(5, port_entry(53));
  ls.write_entry(9, port_entry(53));
  EXPECT_EQ(ls.lookup(port_key(53)).matches, (std::vector<uint32_t>{5, 9}));
  abi::LookupResult r;
  ASSERT_NO_THROW(r = ls.lookup(port_key(53)));  // the corrupted primary drops entry 9
  EXPECT_EQ(r.matches, (std::vector<uint32_t>{5})) << "the primary's answer is what the firmware sees";
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("divergence at lookup 2"), std::string::npos) << reports[0];
}

TEST(Lockstep, RequiresEqualDepths) {
  EXPECT_THROW(ClassifierLockstep(std::make_unique<ClassifierRef>(64), std::make_unique<ClassifierRef>(32)),
               std::invalid_argument);
}

TEST(Lockstep, RtlAndModelAgreeOnRandomTablesWithInterleavedWrites) {
  auto dev = make_classifier("lockstep", 256);
  EXPECT_EQ(dev->name(), "lockstep");
  std::mt19937 rng(7);
  dev->set_group_enable(0, true);
  for (unsigned u = 0; u < 8; ++u) {
    abi::RangeUnit r;
    r.field = static_cast<abi::RangeField>(1 + u % 2);
    r.lo = static_cast<uint16_t>(rng() % 1000);
    r.hi = static_cast<uint16_t>(r.lo + rng() % 2000);
    dev->write_range_unit(u, r);
  }
  size_t hits = 0;
  for (int t = 0; t < 600; ++t) {
    abi::Entry e = port_entry(static_cast<uint16_t>(rng() % 16), static_cast<uint16_t>(rng() % 3 == 0 ? 2 : 0));
    if (rng() % 4 == 0) e.mask[abi::W_RANGE] = e.value[abi::W_RANGE] = 1u << (rng() % 8);
    if (rng() % 8 == 0) e.valid = false;
    dev->write_entry(rng() % 256, e);
    if (t % 50 == 0) dev->set_group_enable(2, (t / 50) % 2);
    abi::KeyWords k = port_key(static_cast<uint16_t>(rng() % 16));
    k[abi::W_PORTS] |= rng() % 3000;  // source port for the range units
    hits += dev->lookup(k).matches.size();  // throws on any divergence
  }
  EXPECT_GT(hits, 300u);
}

}  // namespace
}  // namespace dfc::model
