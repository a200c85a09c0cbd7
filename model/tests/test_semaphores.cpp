// The HwSemaphores on their own: a lock is held from acquire to release; a hardware thread that
// asks for it at a time another thread held it starts after that interval; a thread that finds
// it held now waits in simulated time until the release; both count as contention, with the
// time waited, per lock (CardStats::locks); misuse throws.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "block_harness.hpp"
#include "card_stats.hpp"
#include "dfc/hal/card_map.hpp"
#include "semaphores.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;
using namespace dfc::model::test;

const LockStats* find_lock(const CardStats& st, const std::string& name) {
  for (const auto& l : st.locks)
    if (l.name == name) return &l;
  return nullptr;
}

TEST(Semaphores, AcquireReleaseAndIntervalsHeldInAnotherThreadsTime) {
  HwSemaphores sems("sems");
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CRITERIA, 0, 1'000), 1'000u);
  sems.release(cardmap::HW_LOCK_CRITERIA, 0, 5'000);
  // Thread 1 lags: it asks at 3 ns, inside [1 ns, 5 ns) when thread 0 held the lock, so it gets
  // it at 5 ns: contended, 2 ns waited.
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CRITERIA, 1, 3'000), 5'000u);
  sems.release(cardmap::HW_LOCK_CRITERIA, 1, 6'000);
  // Thread 2 asks at 1 ns, when thread 0 took it: after thread 0 (5 ns), which is inside
  // thread 1's [5 ns, 6 ns), so after that too: 5 ns waited.
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CRITERIA, 2, 1'000), 6'000u);
  sems.release(cardmap::HW_LOCK_CRITERIA, 2, 7'000);
  // Outside every held interval: at once. Another lock is independent.
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CRITERIA, 0, 9'000), 9'000u);
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CLASSIFIER, 1, 2'000), 2'000u);
  EXPECT_EQ(sems.contended(), 2u);

  CardStats st;
  sems.add_stats(st);
  EXPECT_EQ(st.lock_contended, 2u);
  const LockStats* crit = find_lock(st, "criteria");
  ASSERT_NE(crit, nullptr);
  EXPECT_EQ(crit->acquisitions, 4u);
  EXPECT_EQ(crit->contended, 2u);
  EXPECT_EQ(crit->wait_ps, (5'000u - 3'000u) + (6'000u - 1'000u));
  const LockStats* cls = find_lock(st, "classifier");
  ASSERT_NE(cls, nullptr);
  EXPECT_EQ(cls->acquisitions, 1u);
  EXPECT_EQ(cls->contended, 0u);
  EXPECT_EQ(cls->wait_ps, 0u);
}

TEST(Semaphores, StatsListTheNamedLocksAndEveryLockUsed) {
  HwSemaphores sems("sems");
  // Uncontended acquisitions of an unnamed lock: counted, nothing waited.
  const unsigned other = cardmap::HW_LOCK_COUNT - 1;
  for (uint64_t t : {1'000u, 3'000u, 5'000u}) {
    EXPECT_EQ(sems.acquire(other, 4, t), t);
    sems.release(other, 4, t + 1'000);
  }
  CardStats st;
  st.lock_contended = 99;  // overwritten, not added to
  sems.add_stats(st);
  EXPECT_EQ(st.lock_contended, 0u);
  ASSERT_EQ(st.locks.size(), 3u) << "criteria, classifier (named, unused) and the one used";
  EXPECT_EQ(st.locks[0].name, "criteria");
  EXPECT_EQ(st.locks[0].acquisitions, 0u);
  EXPECT_EQ(st.locks[1].name, "classifier");
  EXPECT_EQ(st.locks[2].name, "lock" + std::to_string(other));
  EXPECT_EQ(st.locks[2].acquisitions, 3u);
  EXPECT_EQ(st.locks[2].contended, 0u);
  EXPECT_EQ(st.locks[2].wait_ps, 0u);
  EXPECT_EQ(HwSemaphores::lock_name(cardmap::HW_LOCK_CLASSIFIER), "classifier");
}

TEST(Semaphores, MisuseThrows) {
  HwSemaphores sems("sems");
  EXPECT_THROW(sems.acquire(cardmap::HW_LOCK_COUNT, 0, 0), std::runtime_error);
  sems.acquire(0, 0, 0);
  EXPECT_THROW(sems.acquire(0, 0, 10), std::runtime_error);  // already holds it
  EXPECT_THROW(sems.release(0, 1, 10), std::runtime_error);  // does not hold it
  EXPECT_THROW(sems.release(1, 0, 10), std::runtime_error);
  EXPECT_NO_THROW(sems.release(0, 0, 10));
}

TEST(Semaphores, RegisterWindowHasOneWordPerLock) {
  HwSemaphores sems("sems");
  Driver cpu("cpu", 0);
  cpu.socket.bind(sems.socket);
  cpu.read(cardmap::HW_SEM_BASE + 4 * (cardmap::HW_LOCK_COUNT - 1), 4, 0);
  EXPECT_EQ(cpu.status(), tlm::TLM_OK_RESPONSE);
  cpu.read(cardmap::HW_SEM_BASE + 4 * cardmap::HW_LOCK_COUNT, 4, 0);
  EXPECT_EQ(cpu.status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

// Two hardware threads as SystemC threads: thread 0 takes the lock at 0 and releases it at
// 100 ns; thread 5 asks at 10 ns, sleeps, and gets it at the release (90 ns waited).
class TwoCores : public sc_core::sc_module {
 public:
  HwSemaphores sems{"sems"};
  Driver bus{"bus"};  // the register side, unused here but bound as in the card
  uint64_t got_ps = 0, woke_ps = 0;
  explicit TwoCores(sc_core::sc_module_name n) : sc_module(n) {
    bus.socket.bind(sems.socket);
    SC_HAS_PROCESS(TwoCores);
    SC_THREAD(core0);
    SC_THREAD(core1);
  }

 private:
  void core0() {
    sems.acquire(0, 0, now_ps());
    wait(100, sc_core::SC_NS);
    sems.release(0, 0, now_ps());
  }
  void core1() {
    wait(10, sc_core::SC_NS);
    got_ps = sems.acquire(0, 5, now_ps());
    woke_ps = now_ps();
    sems.release(0, 5, now_ps());
  }
};

// Starts the simulation: the last test of this binary.
TEST(Semaphores, ASecondThreadWaitsForTheReleaseAndIsCountedAsContention) {
  TwoCores top("top");
  sc_core::sc_start();
  EXPECT_EQ(top.got_ps, 100'000u);
  EXPECT_EQ(top.woke_ps, 100'000u);
  EXPECT_EQ(top.sems.contended(), 1u);
  CardStats st;
  top.sems.add_stats(st);
  EXPECT_EQ(st.lock_contended, 1u);
  const LockStats* l = find_lock(st, HwSemaphores::lock_name(0));
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->acquisitions, 2u);
  EXPECT_EQ(l->contended, 1u);
  EXPECT_EQ(l->wait_ps, 90'000u);
}

}  // namespace
