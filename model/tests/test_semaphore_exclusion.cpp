// Mutual exclusion of a hardware semaphore in simulated time, with real hardware threads in
// cards running a stub firmware: two and three threads whose critical sections overlap, short
// ones (inside a quantum: the later thread finds the lock free in the host but held over an
// interval of its past) and long ones (the holder synchronises inside its critical section:
// the later thread finds it held and sleeps), a waiter that asks more than a quantum after the
// grant, a thread that asks first in simulated time though its packet arrived later, three
// threads of one core; each under schedule seeds 0 (none) to 5 (hw_thread.cpp Keeper: quanta
// of 10..100 % and extra sync points, so the host runs the threads in other orders).
//  * No two critical sections overlap in simulated time.
//  * A thread that asked while the lock was held gets it exactly when it is released.
//  * On separate cores the grants and releases are the ones worked out by hand from the
//    arrivals, the declared cycles and the register accesses, whatever the seed; the lock's
//    statistics (contended acquisitions, time waited) agree.
//  * On the block alone (SystemC threads, no card): a thread running ahead of SystemC time that
//    finds the lock held does not claim it at the release before a thread that asks earlier
//    in simulated time.
// SystemC elaborates once per process: every card is built in one elaboration and they run in
// one sc_start that the tests share (the cards share nothing but SystemC's clock).
#include <gtest/gtest.h>

#include <systemc>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "block_harness.hpp"
#include "card.hpp"
#include "classifier/classifier_ref.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;

constexpr unsigned kLock = 6;  // a semaphore no firmware convention uses
constexpr unsigned kSeeds = 5;

// Times in ns (the HAL's clock); the profile below makes every time a whole ns:
//  core_hz = 1e9: a declared cycle is 1 ns.
//  ingress_bps = 6.72e9: a 60-byte frame (64 with its FCS, + 8 preamble/SFD + 12 gap = 84 bytes,
//    672 bits) takes 100 ns on the wire, so the k-th frame (offered at 0) arrives at k x 100 ns.
//  interconnect (ms400): 500 MHz, 2 cycles per access + 1 beat for a 4-byte word: a semaphore
//    register access (the read before acquiring, the write before releasing) takes 6 ns.
constexpr uint64_t kFrameNs = 100;
constexpr uint64_t kRegNs = (2 + 1) * 2;
constexpr uint64_t kQuantumNs = 5000;  // ms400 quantum_ns

struct Section {
  uint64_t ask = 0, grant = 0, release = 0;  // ns
  unsigned ctx = 0;
};

struct Scenario {
  const char* name;
  unsigned cores, tpc;  // data threads: every thread of cores 1..cores-1
  // Per packet (packet k arrives at k x 100 ns on the k-th data thread): cycles computed before
  // asking, cycles held.
  std::vector<std::pair<uint64_t, uint64_t>> lead_hold;
  bool one_core;  // the threads share a pipeline: their compute interleaves (no exact times)
};

const Scenario kScenarios[] = {
    {"two_short", 3, 1, {{50, 1000}, {300, 1000}}, false},
    {"two_long", 3, 1, {{50, 12000}, {300, 12000}}, false},       // held over two quanta
    {"two_ask_late", 3, 1, {{50, 12000}, {7000, 1000}}, false},   // asks > a quantum after the grant
    {"two_reverse", 3, 1, {{400, 1000}, {100, 1000}}, false},     // the later packet asks first
    {"three_short", 4, 1, {{50, 1000}, {300, 1000}, {500, 1000}}, false},
    {"three_long", 4, 1, {{50, 6000}, {300, 6000}, {2000, 6000}}, false},
    {"three_one_core", 2, 3, {{50, 1000}, {300, 1000}, {500, 1000}}, true},
};

struct CardRun {
  const Scenario* sc = nullptr;
  unsigned seed = 0;
  CardProfile prof;
  std::map<uint64_t, Section> sections;  // by packet id
  CardStats stats;
  std::string label() const { return std::string(sc->name) + " seed " + std::to_string(seed); }
};

std::vector<unsigned> data_threads(const CardProfile& p) {
  std::vector<unsigned> t;
  for (unsigned c = p.control_cores; c < p.cores; ++c)
    for (unsigned i = 0; i < p.threads_per_core; ++i) t.push_back(c * p.threads_per_core + i);
  return t;
}

class LockFirmware : public fw::FirmwareApp {
 public:
  LockFirmware(Hal& h, CardRun& r) : h_(h), r_(r) {}
  void on_packet(const Packet& p) override {
    const auto& [lead, hold] = r_.sc->lead_hold.at(p.id - 1);
    Section& s = r_.sections[p.id];
    s.ctx = h_.core_id();
    h_.consume_cycles(lead);
    s.ask = h_.now_ns();
    h_.lock_acquire(kLock);
    s.grant = h_.now_ns();
    h_.consume_cycles(hold);
    h_.lock_release(kLock);
    s.release = h_.now_ns();
  }
  void on_timer() override {}

 private:
  Hal& h_;
  CardRun& r_;
};

// 60-byte UDP/IPv4 frames offered at time 0, the k-th built (by its source port) to land on the
// k-th data thread.
class Frames : public IngressSource {
 public:
  Frames(const CardProfile& p, size_t n)
      : dist_(p.hash_key == 3 ? Distribution::Key::Layer3 : Distribution::Key::Layer4, data_threads(p)) {
    const auto threads = data_threads(p);
    for (size_t i = 0; i < n; ++i) packets_.push_back(frame(i + 1, threads.at(i)));
  }
  Next next(Packet& out, uint64_t, uint64_t&) override {
    if (at_ == packets_.size()) return Next::End;
    out = packets_[at_++];
    return Next::Packet;
  }

 private:
  Packet frame(uint64_t id, unsigned ctx) {
    Packet p;
    p.id = id;
    p.unit = Unit::Monitor;
    p.link = LinkType::Ethernet;
    p.data.assign(60, 0);
    p.data[12] = 0x08;                                   // IPv4
    p.data[14] = 0x45, p.data[16] = 0, p.data[17] = 46;  // header, total length
    p.data[22] = 64, p.data[23] = 17;                    // TTL, UDP
    p.data[26] = 10, p.data[29] = 1, p.data[30] = 10, p.data[33] = 2;
    p.data[36] = 0x13, p.data[37] = 0x88;  // destination port 5000
    for (;; ++port_) {
      p.data[34] = uint8_t(port_ >> 8), p.data[35] = uint8_t(port_);
      if (dist_.target(dist_.hash(p)) == ctx) break;
    }
    ++port_;
    return p;
  }
  Distribution dist_;
  std::vector<Packet> packets_;
  size_t at_ = 0;
  uint16_t port_ = 1024;
};

// Three SystemC threads on one HwSemaphores block (no card), in the same simulation: the holder
// takes the lock at 0 and releases it at 20 ns; the one that runs ahead asks at SystemC time
// 10 ns for its local time 50 ns, while the lock is held; the third asks at 30 ns, when in
// simulated time nobody holds it.
struct AheadResult {
  uint64_t holder_grant = 0, ahead_grant = 0, third_grant = 0;
};
AheadResult g_ahead;

class AheadOfTheRelease : public sc_core::sc_module {
 public:
  HwSemaphores sems{"sems"};
  test::Driver bus{"bus"};  // the register side, unused here but bound as in the card
  explicit AheadOfTheRelease(sc_core::sc_module_name n) : sc_module(n) {
    bus.socket.bind(sems.socket);
    SC_HAS_PROCESS(AheadOfTheRelease);
    SC_THREAD(holder);
    SC_THREAD(ahead);
    SC_THREAD(third);
  }

 private:
  static constexpr unsigned kL = 0;
  // Holds from the grant for `hold_ns` of SystemC time, then releases.
  void hold(int who, uint64_t grant, uint64_t hold_ns) {
    if (grant > now_ps()) wait(at_ps(grant - now_ps()));
    wait(at_ps(hold_ns * 1000));
    sems.release(kL, who, now_ps());
  }
  void holder() {
    g_ahead.holder_grant = sems.acquire(kL, 10, 0);
    hold(10, g_ahead.holder_grant, 20);
  }
  void ahead() {
    wait(at_ps(10'000));
    g_ahead.ahead_grant = sems.acquire(kL, 11, 50'000);
    hold(11, g_ahead.ahead_grant, 15);
  }
  void third() {
    wait(at_ps(30'000));
    g_ahead.third_grant = sems.acquire(kL, 12, 30'000);
    hold(12, g_ahead.third_grant, 15);
  }
};

const std::vector<CardRun>& runs() {
  static const std::vector<CardRun> all = [] {
    std::vector<CardRun> rs;
    for (const Scenario& sc : kScenarios)
      for (unsigned seed = 0; seed <= kSeeds; ++seed) {
        CardRun r;
        r.sc = &sc;
        r.seed = seed;
        r.prof = load_profile("ms400");
        r.prof.set("cores", sc.cores);
        r.prof.set("threads_per_core", sc.tpc);
        r.prof.set("control_cores", 1);
        r.prof.set("data_cores", 0);
        r.prof.set("core_hz", 1e9);
        r.prof.set("ingress_bps", 6.72e9);
        r.prof.set("schedule_seed", seed);
        rs.push_back(std::move(r));
      }
    // Every card in one elaboration (rs no longer grows: the firmwares keep references).
    std::vector<std::unique_ptr<Frames>> sources;
    std::vector<std::unique_ptr<Card>> cards;
    for (CardRun& r : rs) {
      sources.push_back(std::make_unique<Frames>(r.prof, r.sc->lead_hold.size()));
      cards.push_back(std::make_unique<Card>(
          ("card_" + std::string(r.sc->name) + "_" + std::to_string(r.seed)).c_str(), r.prof,
          std::make_unique<ClassifierRef>(64), [&r](Hal& h) { return std::make_unique<LockFirmware>(h, r); },
          *sources.back(), nullptr, nullptr, 0));
    }
    AheadOfTheRelease ahead("ahead_of_the_release");
    sc_core::sc_start();
    for (size_t i = 0; i < rs.size(); ++i) rs[i].stats = cards[i]->stats();
    return rs;
  }();
  return all;
}

// The critical sections of a run in grant order.
std::vector<Section> by_grant(const CardRun& r) {
  std::vector<Section> v;
  for (const auto& [id, s] : r.sections) v.push_back(s);
  std::sort(v.begin(), v.end(), [](const Section& a, const Section& b) { return a.grant < b.grant; });
  return v;
}

const LockStats* lock_stats(const CardRun& r) {
  for (const LockStats& l : r.stats.locks)
    if (l.name == HwSemaphores::lock_name(kLock)) return &l;
  return nullptr;
}

TEST(SemaphoreExclusion, EveryThreadRanItsCriticalSectionOnItsOwnThread) {
  for (const CardRun& r : runs()) {
    ASSERT_EQ(r.sections.size(), r.sc->lead_hold.size()) << r.label();
    const auto threads = data_threads(r.prof);
    for (const auto& [id, s] : r.sections) EXPECT_EQ(s.ctx, threads.at(id - 1)) << r.label() << " packet " << id;
  }
}

TEST(SemaphoreExclusion, NoTwoCriticalSectionsOverlapAndAWaiterStartsExactlyAtTheRelease) {
  for (const CardRun& r : runs()) {
    const std::vector<Section> v = by_grant(r);
    for (size_t i = 0; i < v.size(); ++i) {
      // Asked, waited for the register read, then got it (no earlier than it asked).
      EXPECT_GE(v[i].grant, v[i].ask + kRegNs) << r.label();
      EXPECT_GT(v[i].release, v[i].grant) << r.label();
      if (i == 0) continue;
      EXPECT_GE(v[i].grant, v[i - 1].release) << r.label() << ": section " << i << " overlaps the previous one";
      // It asked (its register read done) while the previous holder had it: it gets the lock
      // at the very release, not later.
      if (v[i].ask + kRegNs < v[i - 1].release) {
        EXPECT_EQ(v[i].grant, v[i - 1].release) << r.label() << ": section " << i;
      }
    }
  }
}

// The sections of a scenario on separate cores, worked out by hand: packet k asks at
// k x 100 ns + `before` (the receive loop's work before the handler) + its lead, gets the lock
// one register read later or at the previous holder's release (the lock goes to the one that
// asked first in simulated time), and releases after its hold and the register write.
std::vector<Section> by_hand(const Scenario& sc, uint64_t before) {
  std::vector<Section> v;
  for (size_t k = 0; k < sc.lead_hold.size(); ++k) {
    Section s;
    s.ask = (k + 1) * kFrameNs + before + sc.lead_hold[k].first;
    v.push_back(s);
  }
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a].ask < v[b].ask; });
  uint64_t free_at = 0;
  for (size_t i : order) {
    v[i].grant = std::max(v[i].ask + kRegNs, free_at);
    v[i].release = v[i].grant + sc.lead_hold[i].second + kRegNs;
    free_at = v[i].release;
  }
  std::sort(v.begin(), v.end(), [](const Section& a, const Section& b) { return a.grant < b.grant; });
  return v;
}

// The time from a packet's arrival to its handler's start (the receive loop reads the packet's
// descriptor in its core's message station): measured on
// the first packet of two_short without a schedule seed, the same for every packet on its own core.
uint64_t before_handler_ns() {
  const CardRun& r = runs().front();
  return r.sections.at(1).ask - kFrameNs - r.sc->lead_hold[0].first;
}

TEST(SemaphoreExclusion, TheHandlerStartsADescriptorReadAfterTheArrival) {
  // At the arrival t the ingress DMA writes the frame on the data ring (60 bytes: (2 + 8) x 2 ns
  // = 20 ns) and its descriptor on the message ring (16 bytes: (2 + 2) x 2 ns = 8 ns); the
  // thread's read of its own receive ring is its core's message station and crosses neither
  // ring: the packet memory's latency (memory.sram_latency_ns = 6) and 16 bytes at 64 Gb/s
  // (2 ns), the SRAM being free at t: the handler starts at t + 8 ns.
  EXPECT_EQ(before_handler_ns(), 6u + 2);
}

TEST(SemaphoreExclusion, HandWorkedGrantsAndReleasesOnSeparateCoresUnderEverySeed) {
  // Spot checks of the arithmetic by_hand does (two_short, nothing before the handler): the
  // holder asks at 100 + 50 = 150 ns, gets it at 156 (register read), releases at
  // 156 + 1000 + 6 = 1162; the waiter asks at 200 + 300 = 500 ns and gets it at 1162,
  // releases at 2168.
  const std::vector<Section> two = by_hand(kScenarios[0], 0);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].grant, 156u);
  EXPECT_EQ(two[0].release, 1162u);
  EXPECT_EQ(two[1].grant, 1162u);
  EXPECT_EQ(two[1].release, 2168u);
  const uint64_t before = before_handler_ns();
  for (const CardRun& r : runs()) {
    if (r.sc->one_core) continue;
    const std::vector<Section> got = by_grant(r), want = by_hand(*r.sc, before);
    ASSERT_EQ(got.size(), want.size()) << r.label();
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].ask, want[i].ask) << r.label() << " section " << i;
      EXPECT_EQ(got[i].grant, want[i].grant) << r.label() << " section " << i;
      EXPECT_EQ(got[i].release, want[i].release) << r.label() << " section " << i;
    }
  }
}

TEST(SemaphoreExclusion, TheLocksStatisticsCountTheWaitersAndTheTimeTheyWaited) {
  for (const CardRun& r : runs()) {
    const LockStats* l = lock_stats(r);
    ASSERT_NE(l, nullptr) << r.label();
    EXPECT_EQ(l->acquisitions, r.sc->lead_hold.size()) << r.label();
    // Waited: from the request (after the register read) to the grant.
    uint64_t waiters = 0, wait_ns = 0;
    for (const auto& [id, s] : r.sections)
      if (s.grant > s.ask + kRegNs) ++waiters, wait_ns += s.grant - s.ask - kRegNs;
    EXPECT_EQ(l->contended, waiters) << r.label();
    EXPECT_EQ(l->wait_ps, wait_ns * 1000) << r.label();
    // On separate cores all but the first thread find the lock taken. (Threads of one core
    // share its pipeline in the order the host books it, which the seed changes: one may
    // finish its lead only after the lock is free again.)
    if (!r.sc->one_core) {
      EXPECT_EQ(waiters, r.sc->lead_hold.size() - 1) << r.label();
    }
  }
}

TEST(SemaphoreExclusion, ScenariosCoverWhatTheyClaim) {
  // two_long and three_long: the first holder keeps the lock over a quantum boundary and more.
  EXPECT_GT(kScenarios[1].lead_hold[0].second, 2 * kQuantumNs);
  EXPECT_GT(kScenarios[5].lead_hold[0].second, kQuantumNs);
  // two_ask_late: the waiter asks more than a quantum after the holder's grant, still inside.
  const std::vector<Section> late = by_hand(kScenarios[2], before_handler_ns());
  EXPECT_GT(late[1].ask, late[0].grant + kQuantumNs);
  EXPECT_LT(late[1].ask, late[0].release);
  // two_reverse: the packet that arrived second holds the lock first.
  for (const CardRun& r : runs()) {
    if (std::string(r.sc->name) != "two_reverse") continue;
    EXPECT_LT(r.sections.at(2).grant, r.sections.at(1).grant) << r.label();
  }
}

TEST(SemaphoreExclusion, AThreadAheadOfAReleaseDoesNotTakeTheLockInItsFutureBeforeAnEarlierAsker) {
  runs();
  // The holder: [0, 20 ns). The thread 40 ns ahead of SystemC time asks for 50 ns while the
  // lock is held: it sleeps until its own time rather than claim the lock at the release. So
  // the third, asking at 30 ns when the lock is free in simulated time, gets it at once and
  // holds [30, 45 ns); the one ahead gets it at its own 50 ns.
  EXPECT_EQ(g_ahead.holder_grant, 0u);
  EXPECT_EQ(g_ahead.third_grant, 30'000u);
  EXPECT_EQ(g_ahead.ahead_grant, 50'000u);
}

}  // namespace
