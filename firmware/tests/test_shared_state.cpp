// The firmware's state shared between hardware threads (docs/firmware-concurrency.md §5): each
// shared word is an atomic or is touched under HW_LOCK_CRITERIA, and the sequence-lock readers
// tell the race checker where their unchecked attempts are. Two kinds of test:
//  * the fake HAL's hooks play another core between two HAL calls (deterministic): which
//    calls run under the lock, which inside a hinted attempt;
//  * real host threads on the same objects (the atomics are the host's): counts are exact,
//    order and completeness hold, the shared clock never tears or goes back. A plain variable
//    in place of an atomic loses updates there.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dfc/fw/firmware.hpp"
#include "dfc/fw/overload.hpp"
#include "dfc/fw/pipeline.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/util/latest_time.hpp"
#include "dfc/util/locked_atomic64.hpp"
#include "dtcp_test_util.hpp"
#include "fake_hal.hpp"

using dfc::Hal;
using dfc::Packet;
using dfc::cardmap::HW_LOCK_CRITERIA;

// Named, not anonymous: the fixtures below hold these types, and a unity build (CI) would
// otherwise give them a member of internal linkage from an included file (-Wsubobject-linkage).
namespace shared_state_fixtures {

Packet shared_state_udp(uint32_t src, uint16_t dport) {
  Packet p;
  p.data = {0x45, 0, 0, 36, 0, 0, 0, 0, 64, 17, 0, 0, uint8_t(src >> 24), uint8_t(src >> 16), uint8_t(src >> 8),
            uint8_t(src), 192, 0, 2, 99, 0x30, 0x39, uint8_t(dport >> 8), uint8_t(dport), 0, 16, 0, 0,
            1, 2, 3, 4, 5, 6, 7, 8};
  p.link = dfc::LinkType::RawIp;
  p.unit = dfc::Unit::Monitor;
  return p;
}

// A fake HAL several host threads may call at once (the locks are real mutexes, the core id
// is the calling thread's); the classifier is only used by the constructor's thread.
class ThreadedHal : public dfc::test::FakeHal {
 public:
  void lock_acquire(unsigned lock) override { locks_[lock].lock(); }
  void lock_release(unsigned lock) override { locks_[lock].unlock(); }
  void work(Work, uint64_t) override {}
  void mem_read(uint64_t, uint32_t) override {}
  void mem_write(uint64_t, uint32_t) override {}
  void race_hint(RaceHint) override {}
  bool transmit(Packet&& p) override {
    std::lock_guard<std::mutex> g(sent_mu_);
    sent.push_back(std::move(p));
    return true;
  }

 private:
  std::mutex locks_[dfc::cardmap::HW_LOCK_COUNT];
  std::mutex sent_mu_;
};

bool is_key_write(uint32_t addr) {
  return (addr - dfc::abi::CLS_BASE) % dfc::cardmap::CLS_CTX_STRIDE + dfc::abi::CLS_BASE == dfc::abi::CLS_KEY;
}

}  // namespace shared_state_fixtures
using namespace shared_state_fixtures;

// ---- The sequence-lock readers' hints --------------------------------------------------------

// Every lock-free attempt (the lookup, the rule -> criterion translation) runs between a
// SeqReadBegin and a SeqReadEnd that the firmware's HAL wrapper passes on; nothing else does.
TEST(RaceHints, EachLockFreeAttemptIsBracketedThroughTheFirmwaresHal) {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(dtcp_test::kConfig, "test.conf");
  dfc::test::FakeHal hal{256};
  hal.advance_to(1'000'000'000ull);
  dfc::fw::Firmware fw(cfg, hal);
  unsigned key_writes = 0, key_writes_hinted = 0;
  hal.on_bus_write = [&](uint32_t addr) {
    if (!is_key_write(addr)) return;
    ++key_writes;
    key_writes_hinted += hal.in_seq_read;
  };
  fw.on_packet(shared_state_udp(0x0b000001, 53));  // a miss: one lock-free lookup
  EXPECT_EQ(key_writes, 1u);
  EXPECT_EQ(key_writes_hinted, 1u) << "the lookup runs inside the attempt's hints";
  EXPECT_EQ(hal.race_hints, (std::vector<Hal::RaceHint>{Hal::RaceHint::SeqReadBegin, Hal::RaceHint::SeqReadEnd}));
  EXPECT_EQ(hal.race_hint_errors, 0u);
  EXPECT_FALSE(hal.in_seq_read);
}

// The fallback under the lock is not a sequence-lock read: no hint around it (the checker
// checks it like any locked access).
TEST(RaceHints, TheLockedFallbackIsNotHinted) {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(dtcp_test::kConfig, "test.conf");
  dfc::test::FakeHal hal{256};
  dfc::fw::ClassifierDriver drv(hal);
  struct NoCriteria : dfc::fw::ControlPlaneView {
    const dfc::fw::CriterionView* criterion_for_rule(dfc::fw::RuleId) const override { return nullptr; }
    void account_hit(dfc::fw::RuleId, uint32_t) override {}
    void account_copy(dfc::fw::RuleId, uint32_t) override {}
    uint64_t criteria_version() const override { return 1; }
    void duplicates_dropped(const dfc::fw::CriterionView&) override {}
  } cp;
  dfc::fw::Pipeline pl(hal, drv, cp, dfc::fw::PipelineConfig{});
  // A writer modifies at every read of the counter: every lock-free attempt fails.
  hal.on_mem = [&](uint64_t addr, bool write) {
    if (!write && addr == dfc::fw::ClassifierDriver::sequence_addr()) dfc::fw::ClassifierDriver::Update u(drv);
  };
  unsigned locked_unhinted = 0, hinted = 0;
  hal.on_bus_write = [&](uint32_t addr) {
    if (!is_key_write(addr)) return;
    if (hal.in_seq_read) ++hinted;
    else if (hal.held[HW_LOCK_CRITERIA]) ++locked_unhinted;
  };
  pl.process(shared_state_udp(0x0b000001, 53));
  EXPECT_EQ(pl.stats().criteria_read_fallbacks, 1u);
  EXPECT_EQ(hinted, dfc::fw::Pipeline::kLockFreeAttempts);
  EXPECT_EQ(locked_unhinted, 1u);
  EXPECT_EQ(hal.race_hints.size(), 2u * dfc::fw::Pipeline::kLockFreeAttempts);
  EXPECT_EQ(hal.race_hint_errors, 0u);
  EXPECT_EQ(hal.lock_errors, 0u);
}

// ---- The deferred-transmit queue -------------------------------------------------------------

namespace dtcp_test {

class SharedOutbox : public ServerTest {
 protected:
  SharedOutbox() { srv.set_deferred_transmit(true); }
  uint64_t noop() {
    const uint64_t s = ++seq1;
    deliver(cs1, build(cs1, "NOOP", {}, s));
    return s;
  }
  std::vector<std::string> reply_seqs() {
    std::vector<std::string> out;
    for (const auto& m : collect(cs1)) out.push_back(m.get("Seq").value_or("?"));
    return out;
  }
};

// The queue is the producers' (under the criteria lock): each message is taken off it under
// that lock, and signed and sent outside it.
TEST_F(SharedOutbox, EachMessageIsTakenUnderTheLockAndSentOutsideIt) {
  noop(), noop(), noop();
  unsigned sent_locked = 0;
  hal.on_transmit = [&](const Packet&) { sent_locked += hal.any_lock_held(); };
  const uint64_t before = hal.lock_acquires;
  EXPECT_TRUE(srv.flush_transmit());
  EXPECT_EQ(hal.sent.size(), 3u);
  EXPECT_EQ(hal.lock_acquires - before, 3u) << "one short hold per message taken";
  EXPECT_EQ(sent_locked, 0u) << "signing and transmit never hold the lock";
  EXPECT_EQ(hal.lock_errors, 0u);
  EXPECT_FALSE(srv.flush_transmit()) << "empty: nothing to do";
  EXPECT_EQ(hal.lock_acquires - before, 3u) << "the empty test takes no lock";
}

// Two cores in flush_transmit: the second finds the first draining and returns at once (it
// does not wait behind a long answer); what the control core pushes meanwhile still leaves,
// after everything queued before it.
TEST_F(SharedOutbox, ASecondCoreDoesNotWaitAndNothingPushedMeanwhileIsLeftBehind) {
  const uint64_t s1 = noop(), s2 = noop();
  uint64_t s3 = 0, s4 = 0;
  bool second_sent = true;
  hal.on_lock_acquire = [&](unsigned) {
    if (s3) return;
    s3 = noop();  // the control core, between the drainer's HAL calls
    const size_t n = hal.sent.size();
    second_sent = srv.flush_transmit() || hal.sent.size() != n;  // another core
  };
  hal.on_transmit = [&](const Packet&) {
    if (s4) return;
    s4 = noop();
    EXPECT_FALSE(srv.flush_transmit()) << "the drainer is sending: another core returns";
  };
  EXPECT_TRUE(srv.flush_transmit());
  EXPECT_FALSE(second_sent);
  EXPECT_EQ(reply_seqs(), (std::vector<std::string>{std::to_string(s1), std::to_string(s2), std::to_string(s3),
                                                    std::to_string(s4)}));
  EXPECT_FALSE(srv.flush_transmit()) << "nothing left";
  EXPECT_EQ(hal.lock_errors, 0u);
}

// A refused transmit is counted under the lock (the server's counters are its state).
TEST_F(SharedOutbox, ARefusedTransmitIsCountedUnderTheLock) {
  noop();
  hal.tx_full = true;
  bool counted_unlocked = false;
  hal.on_transmit = [&](const Packet&) { counted_unlocked = srv.counters().tx_dropped != 0; };
  EXPECT_TRUE(srv.flush_transmit());
  EXPECT_EQ(srv.counters().tx_dropped, 1u);
  EXPECT_FALSE(counted_unlocked);
  EXPECT_EQ(hal.lock_acquires, 2u) << "the pop and the count";
  EXPECT_EQ(hal.lock_errors, 0u);
}

// Real threads: one producer (the control core, under the lock) and three cores draining
// whenever they like, one message or all. Every reply leaves once, in request order.
class ThreadedOutbox : public ::testing::Test {
 protected:
  dfc::config::DfcConfig cfg = dfc::config::parse_config(kConfig, "test.conf");
  ThreadedHal hal;
  dfc::fw::ClassifierDriver cls{hal};
  dfc::dtcp::Server srv{cfg, hal, cls};
};

TEST_F(ThreadedOutbox, RepliesLeaveOnceAndInOrderWhateverCoresDrain) {
  srv.set_deferred_transmit(true);
  hal.advance_to(1'000'000'000ull);
  // Requests are built (and signed) before the threads start.
  std::vector<Packet> requests;
  constexpr uint64_t kN = 1500, kFirst = 1000;
  for (uint64_t s = kFirst + 1; s <= kFirst + kN; ++s) {
    const std::string text =
        dfc::dtcp::sign("NOOP DTCP/0.7\r\nCsource-ID: cs1\r\nSeq: " + std::to_string(s) + "\r\n", "secret1");
    Packet p;
    p.unit = dfc::Unit::Control;
    p.data.assign(text.begin(), text.end());
    p.src_ip = "10.0.0.1", p.src_port = 5555, p.dst_ip = "10.1.0.0", p.dst_port = 2400;
    requests.push_back(std::move(p));
  }
  std::atomic<bool> done{false};
  std::vector<std::thread> cores;
  for (unsigned c = 0; c < 3; ++c)
    cores.emplace_back([&, c] {
      for (;;) {
        const bool last = done.load();
        const bool sent = srv.flush_transmit(c == 0 ? SIZE_MAX : 1);
        if (last && !sent) break;
      }
    });
  for (const Packet& p : requests) {
    hal.lock_acquire(HW_LOCK_CRITERIA);
    srv.on_datagram(p);
    hal.lock_release(HW_LOCK_CRITERIA);
  }
  done = true;
  for (auto& t : cores) t.join();
  EXPECT_FALSE(srv.flush_transmit()) << "every queued reply was sent by the cores";
  ASSERT_EQ(hal.sent.size(), kN);
  for (uint64_t i = 0; i < kN; ++i) {
    const std::string text(hal.sent[i].data.begin(), hal.sent[i].data.end());
    ASSERT_NE(text.find("\r\nSeq: " + std::to_string(kFirst + 1 + i) + "\r\n"), std::string::npos)
        << "reply " << i << " out of order: " << text;
  }
}

}  // namespace dtcp_test

// ---- The firmware's clock --------------------------------------------------------------------

// Four threads advance the shared time with their own, interleaved times. Every value
// published has equal halves (k * 0x1'0000'0001), so a value read half-written shows; no
// thread ever sees time go back, and the end is the largest time offered.
TEST(LatestTime, SharedByThreadsItNeverTearsNorGoesBack) {
  dfc::util::LatestTime t;
  constexpr uint32_t kThreads = 4, kSteps = 100000;
  constexpr uint64_t kUnit = 0x1'0000'0001ull;
  std::atomic<uint64_t> torn{0}, backwards{0};
  std::vector<std::thread> th;
  for (uint32_t id = 0; id < kThreads; ++id)
    th.emplace_back([&, id] {
      uint64_t last = 0;
      for (uint32_t i = 0; i < kSteps; ++i) {
        // Mostly forward, every 8th step one from the past (a core whose local time lags).
        const bool past = i % 8 == 7 && i > 64 && i + 1 < kSteps;
        const uint64_t k = past ? uint64_t{i - 64} * kThreads + id : uint64_t{i} * kThreads + id;
        const uint64_t r = t.advance(k * kUnit);
        if ((r >> 32) != (r & 0xffffffffu)) ++torn;
        if (r < last || r < k * kUnit) ++backwards;
        last = r;
      }
    });
  for (auto& x : th) x.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(backwards.load(), 0u);
  EXPECT_EQ(t.load(), (uint64_t{kSteps - 1} * kThreads + kThreads - 1) * kUnit);
}

TEST(LatestTime, OneThreadSeesTheMaximum) {
  dfc::util::LatestTime t;
  EXPECT_EQ(t.load(), 0u);
  EXPECT_EQ(t.advance(5), 5u);
  EXPECT_EQ(t.advance(3), 5u) << "an older time gives the latest";
  EXPECT_EQ(t.advance(0x1'0000'0002ull), 0x1'0000'0002ull);
  EXPECT_EQ(t.load(), 0x1'0000'0002ull);
}

// ---- The input-rate counter ------------------------------------------------------------------

// count_packet never evaluates: a packet that finds its window over is left to the caller,
// which takes the lock and closes the window (the evaluation and events are shared state).
TEST(OverloadCounting, AClosedWindowIsLeftToTheLockedClose) {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(dtcp_test::kConfig, "test.conf");
  dfc::fw::OverloadMonitor m(cfg, dfc::fw::OverloadOptions{});
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(m.count_packet(500'000'000ull));
  EXPECT_TRUE(m.count_packet(1'200'000'000ull));
  EXPECT_EQ(m.last_window_pps(), 0u) << "not evaluated without the lock";
  m.close_window(1'200'000'000ull);
  EXPECT_EQ(m.last_window_pps(), 7u);
  EXPECT_FALSE(m.count_packet(1'300'000'000ull));
  m.tick(2'000'000'000ull);
  EXPECT_EQ(m.last_window_pps(), 2u) << "the closing packet counts in its own window";
}

// Every data thread counts without a lock: the window's count is exact.
TEST(OverloadCounting, ConcurrentCountsAreExact) {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(dtcp_test::kConfig, "test.conf");
  dfc::fw::OverloadMonitor m(cfg, dfc::fw::OverloadOptions{});
  constexpr unsigned kThreads = 4, kPackets = 200000;
  std::vector<std::thread> th;
  for (unsigned i = 0; i < kThreads; ++i)
    th.emplace_back([&] {
      for (unsigned k = 0; k < kPackets; ++k) m.count_packet(100);
    });
  for (auto& x : th) x.join();
  m.tick(1'000'000'000ull);
  EXPECT_EQ(m.last_window_pps(), uint64_t{kThreads} * kPackets);
}

// In the firmware: no lock for a monitored packet inside its window, one at the window's end.
TEST(OverloadCounting, TheFirmwareLocksOnlyAtTheWindowsEnd) {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(dtcp_test::kConfig, "test.conf");
  dfc::test::FakeHal hal{256};
  hal.advance_to(1'000'000'000ull);
  dfc::fw::Firmware fw(cfg, hal);
  fw.on_packet(shared_state_udp(0x0b000001, 53));  // the first closes the window of second 0
  const uint64_t before = hal.lock_acquires;
  for (uint32_t i = 0; i < 5; ++i) fw.on_packet(shared_state_udp(0x0b000002 + i, 53));
  EXPECT_EQ(hal.lock_acquires, before);
  hal.advance_to(2'100'000'000ull);
  fw.on_packet(shared_state_udp(0x0b000001, 53));
  EXPECT_EQ(hal.lock_acquires, before + 1);
  EXPECT_EQ(fw.overload().last_window_pps(), 6u);
  EXPECT_EQ(hal.lock_errors, 0u);
}

// ---- Restart, per-core states ----------------------------------------------------------------

// A restart runs on a hardware thread while the others account: under the criteria lock.
TEST(FirmwareShared, RestartTakesTheCriteriaLock) {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(dtcp_test::kConfig, "test.conf");
  dfc::test::FakeHal hal{256};
  hal.advance_to(1'000'000'000ull);
  dfc::fw::Firmware fw(cfg, hal);
  bool restarted_locked = false;
  hal.on_transmit = [&](const Packet&) {};
  hal.on_bus_write = [&](uint32_t) {};
  const uint64_t before = hal.lock_acquires;
  hal.on_lock_acquire = [&](unsigned lock) { restarted_locked |= lock == HW_LOCK_CRITERIA; };
  fw.restart("test");
  EXPECT_TRUE(restarted_locked);
  EXPECT_GT(hal.lock_acquires, before);
  EXPECT_EQ(fw.server().restarts(), 1u);
  EXPECT_EQ(hal.lock_errors, 0u);
  EXPECT_FALSE(hal.any_lock_held());
}

// A core the pipeline was not told of gets its state on first use, under the lock (two new
// cores may arrive at once); one beyond kMaxCores is refused with a clear error.
TEST(FirmwareShared, ACoreAddedAtRunTimeIsMadeUnderTheLock) {
  dfc::test::FakeHal hal{256};
  dfc::fw::ClassifierDriver drv(hal);
  struct NoCriteria : dfc::fw::ControlPlaneView {
    const dfc::fw::CriterionView* criterion_for_rule(dfc::fw::RuleId) const override { return nullptr; }
    void account_hit(dfc::fw::RuleId, uint32_t) override {}
    void account_copy(dfc::fw::RuleId, uint32_t) override {}
    uint64_t criteria_version() const override { return 1; }
    void duplicates_dropped(const dfc::fw::CriterionView&) override {}
  } cp;
  dfc::fw::PipelineConfig pc;
  pc.cores = 2;
  dfc::fw::Pipeline pl(hal, drv, cp, pc);
  hal.core = 1;
  pl.process(shared_state_udp(0x0b000001, 53));
  EXPECT_EQ(hal.lock_acquires, 0u) << "a declared core: no lock";
  hal.core = 5;
  pl.process(shared_state_udp(0x0b000002, 53));
  EXPECT_EQ(hal.lock_acquires, 1u);
  pl.process(shared_state_udp(0x0b000003, 53));
  EXPECT_EQ(hal.lock_acquires, 1u) << "made once";
  EXPECT_EQ(pl.flow_entries(), 3u) << "each core's published count";
  hal.core = dfc::fw::Pipeline::kMaxCores;
  try {
    pl.process(shared_state_udp(0x0b000004, 53));
    ADD_FAILURE() << "expected an error";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("kMaxCores"), std::string::npos) << e.what();
  }
  EXPECT_EQ(hal.lock_errors, 0u);
}

// ---- The image's 64-bit atomics (firmware/image/atomic64.cpp), over a host lock --------------

namespace {
std::mutex g_atomic64_mutex;
struct HostLock {
  static void acquire() { g_atomic64_mutex.lock(); }
  static void release() { g_atomic64_mutex.unlock(); }
};
using A64 = dfc::util::LockedAtomic64<HostLock>;
}  // namespace

TEST(LockedAtomic64, OperationsHaveTheLibatomicMeaning) {
  volatile uint64_t w = 0x1'0000'0000ull;
  EXPECT_EQ(A64::load(&w), 0x1'0000'0000ull);
  A64::store(&w, 0xffff'ffffull);
  EXPECT_EQ(A64::fetch_op(&w, 1, A64::add), 0xffff'ffffull);
  EXPECT_EQ(w, 0x1'0000'0000ull) << "the carry crosses the word halves";
  EXPECT_EQ(A64::op_fetch(&w, 1, A64::sub), 0xffff'ffffull);
  EXPECT_EQ(A64::exchange(&w, 7), 0xffff'ffffull);
  uint64_t expected = 6;
  EXPECT_FALSE(A64::compare_exchange(&w, &expected, 9));
  EXPECT_EQ(expected, 7u) << "a failed exchange reports the value found";
  EXPECT_TRUE(A64::compare_exchange(&w, &expected, 9));
  EXPECT_EQ(w, 9u);
  EXPECT_EQ(A64::fetch_op(&w, 3, A64::bit_and), 9u);
  EXPECT_EQ(A64::fetch_op(&w, 4, A64::bit_or), 1u);
  EXPECT_EQ(A64::op_fetch(&w, 1, A64::bit_xor), 4u);
}

TEST(LockedAtomic64, ConcurrentAddsAreExact) {
  volatile uint64_t w = 0xffff'ff00ull;  // the sum crosses 2^32
  constexpr unsigned kThreads = 4, kAdds = 50000;
  std::vector<std::thread> th;
  for (unsigned i = 0; i < kThreads; ++i)
    th.emplace_back([&] {
      for (unsigned k = 0; k < kAdds; ++k) A64::fetch_op(&w, 1, A64::add);
    });
  for (auto& x : th) x.join();
  EXPECT_EQ(A64::load(&w), 0xffff'ff00ull + uint64_t{kThreads} * kAdds);
}
