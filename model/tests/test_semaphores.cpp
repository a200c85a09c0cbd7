// The HwSemaphores on their own: a lock is held from acquire to release; a core that asks for
// it at a time another core held it starts after that interval; a core that finds it held now
// waits in simulated time until the release, and that is counted as contention; misuse throws.
#include <gtest/gtest.h>

#include <stdexcept>

#include "block_harness.hpp"
#include "card_stats.hpp"
#include "dfc/hal/card_map.hpp"
#include "semaphores.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;
using namespace dfc::model::test;

TEST(Semaphores, AcquireReleaseAndIntervalsHeldInAnotherCoresTime) {
  HwSemaphores sems("sems");
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CRITERIA, 0, 1'000), 1'000u);
  sems.release(cardmap::HW_LOCK_CRITERIA, 0, 5'000);
  // Core 1 lags: it asks at 3 ns, inside [1 ns, 5 ns) when core 0 held the lock, so it gets it
  // at 5 ns. Nobody holds the lock now, so that is no contention.
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CRITERIA, 1, 3'000), 5'000u);
  sems.release(cardmap::HW_LOCK_CRITERIA, 1, 6'000);
  // Core 2 asks at 1 ns, when core 0 took it: after core 0 (5 ns), which is inside core 1's
  // [5 ns, 6 ns), so after that too.
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CRITERIA, 2, 1'000), 6'000u);
  sems.release(cardmap::HW_LOCK_CRITERIA, 2, 7'000);
  // Outside every held interval: at once. Another lock is independent.
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CRITERIA, 0, 9'000), 9'000u);
  EXPECT_EQ(sems.acquire(cardmap::HW_LOCK_CLASSIFIER, 1, 2'000), 2'000u);
  EXPECT_EQ(sems.contended(), 0u);
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

// Two cores as SystemC threads: core 0 takes the lock at 0 and releases it at 100 ns; core 1
// asks at 10 ns, sleeps, and gets it at the release.
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
    got_ps = sems.acquire(0, 1, now_ps());
    woke_ps = now_ps();
    sems.release(0, 1, now_ps());
  }
};

// Starts the simulation: the last test of this binary.
TEST(Semaphores, ASecondCoreWaitsForTheReleaseAndIsCountedAsContention) {
  TwoCores top("top");
  sc_core::sc_start();
  EXPECT_EQ(top.got_ps, 100'000u);
  EXPECT_EQ(top.woke_ps, 100'000u);
  EXPECT_EQ(top.sems.contended(), 1u);
  CardStats st;
  top.sems.add_stats(st);
  EXPECT_EQ(st.lock_contended, 1u);
}

}  // namespace
