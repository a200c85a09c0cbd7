// Hardware threads sharing a core (docs/model.md §2), each card running a stub firmware whose
// handlers declare known work:
//  * two compute-only threads on one core share its pipeline: each gets half of it, while two
//    threads on two cores do not slow each other;
//  * a thread waiting for a DRAM miss leaves the pipeline to its siblings, so 4 threads per
//    core carry more than twice what 1 thread carries on the same core;
//  * stall attribution: compute, a lock held by another thread, a classifier result; every
//    thread's and every core's five times sum to the run's span, and a core's compute is its
//    pipeline's issue-busy time.
// SystemC elaborates once per process, so every card is built in one elaboration and runs in
// one sc_start that the tests share (the cards share nothing but SystemC's clock). Expected
// numbers come from the profile's clock, memory latencies and classifier clock.
#include <gtest/gtest.h>

#include <systemc>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "card.hpp"
#include "classifier/classifier_ref.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/hal/classifier_abi.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;

// Per-packet compute of the sharing cards: long enough that a packet's few non-compute
// nanoseconds (its descriptor read) are far below the 1 % the tests allow.
constexpr uint64_t kCompute = 20000;
constexpr unsigned kPerThread = 20;       // packets per data thread (sharing, lock-free cards)
constexpr unsigned kMissPackets = 120;    // packets of the DRAM-miss cards, over all threads
constexpr unsigned kLock = 7;             // a semaphore no firmware convention uses
constexpr uint64_t kHold = 150000;        // cycles the lock holder keeps the lock
constexpr uint64_t kWaiterLead = 1000;    // cycles the waiter computes before it asks

enum class Handler { Compute, ComputeMiss, Lock, Classifier };

struct Done {
  unsigned ctx = 0;
  uint64_t start_ps = 0, end_ps = 0;
};

// One card of the shared simulation and what was observed of it.
struct CardRun {
  std::string name;
  Handler handler = Handler::Compute;
  CardProfile prof;
  uint64_t miss_cycles = 0;            // ComputeMiss: compute before the miss
  std::map<uint64_t, Done> done;       // by packet id
  // Lock card, in ns (the HAL's clock): the holder's grant and release, the waiter's request
  // and grant.
  uint64_t hold_grant_ns = 0, hold_release_ns = 0, wait_request_ns = 0, wait_grant_ns = 0;
  unsigned holder_ctx = 0, waiter_ctx = 0;
  CardStats stats;
  double cycle_ps() const { return 1e12 / prof.core_hz; }
};

// The data threads of a profile with data_cores 0 (docs/model.md §2): every thread of the
// cores after the control cores, by firmware context.
std::vector<unsigned> data_threads(const CardProfile& p) {
  std::vector<unsigned> t;
  for (unsigned c = p.control_cores; c < p.cores; ++c)
    for (unsigned i = 0; i < p.threads_per_core; ++i) t.push_back(c * p.threads_per_core + i);
  return t;
}

class StubFirmware : public fw::FirmwareApp {
 public:
  StubFirmware(Hal& h, CardRun& r) : h_(h), r_(r) {}
  void on_packet(const Packet& p) override {
    r_.done[p.id].ctx = h_.core_id();
    switch (r_.handler) {
      case Handler::Compute: h_.consume_cycles(kCompute); break;
      case Handler::ComputeMiss:
        h_.consume_cycles(r_.miss_cycles);
        // A line no packet touched before: a miss in the L1 and the L2.
        h_.mem_read(cardmap::FLOW_TABLE_BASE + p.id * 4096, 4);
        break;
      case Handler::Lock: lock(p); break;
      case Handler::Classifier: classify(); break;
    }
  }
  void on_timer() override {}

 private:
  void lock(const Packet& p) {
    if (p.id == 1) {  // the holder
      r_.holder_ctx = h_.core_id();
      h_.lock_acquire(kLock);
      r_.hold_grant_ns = h_.now_ns();
      h_.consume_cycles(kHold);
      r_.hold_release_ns = h_.now_ns();
      h_.lock_release(kLock);
      return;
    }
    r_.waiter_ctx = h_.core_id();
    h_.consume_cycles(kWaiterLead);
    r_.wait_request_ns = h_.now_ns();
    h_.lock_acquire(kLock);
    r_.wait_grant_ns = h_.now_ns();
    h_.lock_release(kLock);
  }
  // One lookup in this thread's own context: the key, then the result.
  void classify() {
    const uint32_t ctx = h_.core_id() * cardmap::CLS_CTX_STRIDE;
    uint32_t key[dfc::abi::KEY_IN_WORDS] = {};
    h_.bus_write(dfc::abi::CLS_KEY + ctx, key, dfc::abi::KEY_IN_WORDS);
    uint32_t result[2] = {};
    h_.bus_read(dfc::abi::CLS_RESULT + ctx, result, 2);
  }
  Hal& h_;
  CardRun& r_;
};

// 60-byte UDP/IPv4 frames, back to back at the line rate, each built (by its source port) to
// land on the data thread its position asks for, round robin over `order`.
class Frames : public IngressSource {
 public:
  Frames(const CardProfile& p, const std::vector<unsigned>& order, unsigned n)
      : dist_(p.hash_key == 3 ? Distribution::Key::Layer3 : Distribution::Key::Layer4, data_threads(p)) {
    for (unsigned i = 0; i < n; ++i) packets_.push_back(frame(i + 1, order[i % order.size()]));
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
    p.t_arrival_ps = 0;
    p.data.assign(60, 0);
    p.data[12] = 0x08;                                 // IPv4
    p.data[14] = 0x45, p.data[16] = 0, p.data[17] = 46;  // header, total length
    p.data[22] = 64, p.data[23] = 17;                  // TTL, UDP
    const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    std::copy(src, src + 4, &p.data[26]);
    std::copy(dst, dst + 4, &p.data[30]);
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

CardProfile profile(unsigned cores, unsigned tpc) {
  CardProfile p = load_profile("ms400");
  p.set("cores", cores);
  p.set("threads_per_core", tpc);
  p.set("control_cores", 1);
  p.set("data_cores", 0);
  p.set("rx_ring_entries", 1024);  // every packet of a run fits its thread's ring
  return p;
}

struct Sim {
  std::vector<std::unique_ptr<CardRun>> runs;
  const CardRun& get(const std::string& n) const {
    for (const auto& r : runs)
      if (r->name == n) return *r;
    throw std::logic_error("no run " + n);
  }
};

// Builds the seven cards of the shared simulation from one table of their setups and runs them.
const Sim& simulation() {
  static const Sim sim = [] {
    Sim sm;
    Sim* s = &sm;
    struct Setup {
      const char* name;
      unsigned cores, tpc;
      Handler h;
      unsigned packets;
    };
    const Setup setups[] = {
        {"one", 2, 1, Handler::Compute, kPerThread},          // core 1: one thread
        {"shared", 2, 2, Handler::Compute, 2 * kPerThread},   // core 1: two threads
        {"apart", 3, 1, Handler::Compute, 2 * kPerThread},    // cores 1 and 2: one thread each
        {"miss1", 2, 1, Handler::ComputeMiss, kMissPackets},  // core 1: one thread
        {"miss4", 2, 4, Handler::ComputeMiss, kMissPackets},  // core 1: four threads
        {"lock", 3, 1, Handler::Lock, 2},                     // holder on core 1, waiter on core 2
        {"classifier", 2, 1, Handler::Classifier, kPerThread},
    };
    std::vector<std::unique_ptr<Frames>> sources;
    std::vector<std::unique_ptr<Card>> cards;
    for (const Setup& u : setups) {
      auto r = std::make_unique<CardRun>();
      r->name = u.name;
      r->handler = u.h;
      r->prof = profile(u.cores, u.tpc);
      if (u.h == Handler::ComputeMiss) {
        // A DRAM slow enough that a miss is twice a handler's compute: one thread per core
        // then waits more than it computes; the compute is half the least a miss can take.
        r->prof.set("memory.dram_latency_ns", 560);
        r->miss_cycles = static_cast<uint64_t>((r->prof.dram_latency_ns + r->prof.l2_hit_ns) * 1e-9 * r->prof.core_hz / 2);
      }
      CardRun& run = *r;
      sources.push_back(std::make_unique<Frames>(run.prof, data_threads(run.prof), u.packets));
      cards.push_back(std::make_unique<Card>(
          (std::string("card_") + u.name).c_str(), run.prof, std::make_unique<ClassifierRef>(64),
          [&run](Hal& h) { return std::make_unique<StubFirmware>(h, run); }, *sources.back(), nullptr, nullptr, 0));
      cards.back()->set_done_sink([&run](const Packet& p, uint64_t a, uint64_t b) {
        run.done[p.id].start_ps = a;
        run.done[p.id].end_ps = b;
      });
      s->runs.push_back(std::move(r));
    }
    sc_core::sc_start();
    for (size_t i = 0; i < cards.size(); ++i) s->runs[i]->stats = cards[i]->stats();
    return sm;
  }();
  return sim;
}

// Per packet time of a thread in the steady state: from its first handler's end to its last's,
// over the packets in between (the first packet may start before its sibling has work).
double period_ps(const CardRun& r, unsigned ctx) {
  std::vector<uint64_t> ends;
  for (const auto& [id, d] : r.done)
    if (d.ctx == ctx) ends.push_back(d.end_ps);
  std::sort(ends.begin(), ends.end());
  if (ends.size() < 2) return 0;
  return double(ends.back() - ends.front()) / double(ends.size() - 1);
}

// Per packet time of the whole card while every data thread has packets: from the first
// handler's end to the first time a thread ends its last packet, over the packets that end in
// between. (Past that point fewer threads share the core: the run's tail, not its rate.)
double card_period_ps(const CardRun& r) {
  std::map<unsigned, uint64_t> last;  // per thread: its last end
  uint64_t first = UINT64_MAX;
  for (const auto& [id, d] : r.done) first = std::min(first, d.end_ps), last[d.ctx] = std::max(last[d.ctx], d.end_ps);
  uint64_t until = UINT64_MAX;
  for (const auto& [ctx, t] : last) until = std::min(until, t);
  size_t n = 0;
  for (const auto& [id, d] : r.done) n += d.end_ps <= until;
  return n < 2 ? 0 : double(until - first) / double(n - 1);
}

unsigned packets_on(const CardRun& r, unsigned ctx) {
  unsigned n = 0;
  for (const auto& [id, d] : r.done) n += d.ctx == ctx;
  return n;
}

TEST(HwThread, EveryPacketLandsOnTheThreadItWasBuiltFor) {
  const Sim& s = simulation();
  for (const char* n : {"one", "shared", "apart", "miss4"}) {
    const CardRun& r = s.get(n);
    const auto threads = data_threads(r.prof);
    for (unsigned ctx : threads)
      EXPECT_EQ(packets_on(r, ctx), r.done.size() / threads.size()) << n << " thread " << ctx;
    EXPECT_EQ(r.stats.monitor_packets, r.done.size()) << n;
  }
}

TEST(HwThread, TwoThreadsOfOneCoreEachGetHalfThePipeline) {
  const Sim& s = simulation();
  const CardRun &one = s.get("one"), &shared = s.get("shared"), &apart = s.get("apart");
  const double c = double(kCompute) * one.cycle_ps();
  // Alone on its core, a thread's packet takes its compute (and a descriptor read).
  const double alone = period_ps(one, 1);
  EXPECT_GE(alone, c * (1 - 1e-9));
  EXPECT_LT(alone, c * 1.01);
  // Two threads of core 1 (contexts 2 and 3): each packet takes twice as long.
  for (unsigned ctx : {2u, 3u}) {
    EXPECT_NEAR(period_ps(shared, ctx) / alone, 2.0, 0.02) << "thread " << ctx;
    EXPECT_NEAR(period_ps(shared, ctx), 2 * c, 0.02 * c) << "thread " << ctx;
  }
  // One thread on each of cores 1 and 2: neither slows the other.
  for (unsigned ctx : {1u, 2u}) EXPECT_NEAR(period_ps(apart, ctx) / alone, 1.0, 0.01) << "core " << ctx;
}

TEST(HwThread, AThreadWaitingForDramLeavesThePipelineToItsSiblings) {
  const Sim& s = simulation();
  const CardRun &m1 = s.get("miss1"), &m4 = s.get("miss4");
  ASSERT_EQ(m1.done.size(), kMissPackets);
  ASSERT_EQ(m4.done.size(), kMissPackets);
  const CardProfile& p = m1.prof;
  // Pipeline work per packet: the handler's compute and the L1 lookup of its miss.
  const double issue = double(m1.miss_cycles + static_cast<uint64_t>(p.l1_hit_cycles)) * m1.cycle_ps();
  const double miss_min = (p.l2_hit_ns + p.dram_latency_ns) * 1000;  // the least a DRAM miss takes
  const double t1 = card_period_ps(m1), t4 = card_period_ps(m4);
  // One thread: the miss adds to the compute.
  EXPECT_GE(t1, issue + miss_min);
  // Four threads: the pipeline issues while a thread waits; three siblings' work (3 x issue)
  // covers any miss, so the core's issue rate is the limit (10 %: the threads' quanta leave
  // the odd issue slot unused).
  EXPECT_GE(t4, issue * (1 - 1e-9));
  EXPECT_LT(t4, issue * 1.1) << "the miss should be hidden";
  EXPECT_GT(t1 / t4, 2.0) << "4 threads " << t4 << " ps per packet, 1 thread " << t1;
  // The single thread waits for memory longer than it computes.
  const StallTimes& th = m1.stats.stalls.at(1).threads.at(0);
  EXPECT_GT(th.memory_ps, th.compute_ps);
}

TEST(HwThread, ComputeOnlyHandlerReportsCompute) {
  const CardRun& r = simulation().get("one");
  const StallTimes& t = r.stats.stalls.at(1).threads.at(0);
  const double c = double(kPerThread) * double(kCompute) * r.cycle_ps();
  EXPECT_NEAR(double(t.compute_ps), c, 1.0);
  EXPECT_EQ(t.lock_ps, 0u);
  EXPECT_EQ(t.classifier_ps, 0u);
  // Memory: only the receive loop's descriptor reads.
  EXPECT_GT(t.memory_ps, 0u);
  EXPECT_LT(double(t.memory_ps), 0.01 * c);
  EXPECT_EQ(r.stats.stalls.at(1).role, "data");
}

TEST(HwThread, LockWaitIsAttributedToLock) {
  const CardRun& r = simulation().get("lock");
  ASSERT_EQ(r.done.size(), 2u);
  ASSERT_NE(r.holder_ctx, r.waiter_ctx);
  // The holder keeps the lock for its compute (whole ns of the HAL's clock).
  EXPECT_NEAR(double(r.hold_release_ns - r.hold_grant_ns), double(kHold) * r.cycle_ps() / 1000, 1.0);
  ASSERT_GT(r.hold_release_ns, r.wait_request_ns) << "the waiter must ask while the lock is held";
  const double expected = double(r.hold_release_ns - r.wait_request_ns) * 1000;
  const StallTimes& w = r.stats.stalls.at(r.waiter_ctx).threads.at(0);
  EXPECT_NEAR(double(w.lock_ps), expected, 0.01 * expected);
  EXPECT_NEAR(double(w.compute_ps), double(kWaiterLead) * r.cycle_ps(), 1.0);  // the wait is not compute
  EXPECT_NEAR(double(r.wait_grant_ns - r.wait_request_ns) * 1000, expected, 0.01 * expected);
  // The holder never waited: its lock time is its two register accesses, far below the wait.
  const StallTimes& h = r.stats.stalls.at(r.holder_ctx).threads.at(0);
  EXPECT_LT(double(h.lock_ps), 0.01 * expected);
  // The lock's own statistics agree.
  bool found = false;
  for (const LockStats& l : r.stats.locks) {
    if (l.name != HwSemaphores::lock_name(kLock)) continue;
    found = true;
    EXPECT_EQ(l.acquisitions, 2u);
    EXPECT_EQ(l.contended, 1u);
    EXPECT_NEAR(double(l.wait_ps), expected, 0.01 * expected);
  }
  EXPECT_TRUE(found);
}

TEST(HwThread, ClassifierResultWaitIsAttributedToClassifier) {
  const CardRun& r = simulation().get("classifier");
  const StallTimes& t = r.stats.stalls.at(1).threads.at(0);
  EXPECT_EQ(r.stats.classifier_lookups, kPerThread);
  // At least a key write and a result read inside the block's clock per packet.
  const double reg_ps = r.prof.classifier_reg_cycles * 1e12 / r.prof.classifier_hz;
  EXPECT_GE(double(t.classifier_ps), kPerThread * 2 * reg_ps);
  EXPECT_EQ(t.compute_ps, 0u);  // the handler declares no work
  EXPECT_EQ(t.lock_ps, 0u);
}

TEST(HwThread, EveryThreadsAndCoresTimesSumToTheRunsSpan) {
  for (const auto& r : simulation().runs) {
    const CardStats& st = r->stats;
    ASSERT_EQ(st.stalls.size(), r->prof.cores) << r->name;
    ASSERT_GT(st.end_ps, 0u) << r->name;
    for (size_t c = 0; c < st.stalls.size(); ++c) {
      ASSERT_EQ(st.stalls[c].threads.size(), r->prof.threads_per_core) << r->name;
      for (size_t t = 0; t < st.stalls[c].threads.size(); ++t)
        EXPECT_EQ(st.stalls[c].threads[t].total(), st.end_ps) << r->name << " core " << c << " thread " << t;
      EXPECT_EQ(st.stalls[c].core.total(), st.end_ps) << r->name << " core " << c;
    }
  }
}

TEST(HwThread, CoreComputeIsItsPipelinesIssueBusyTime) {
  for (const auto& r : simulation().runs) {
    const CardStats& st = r->stats;
    for (size_t c = 0; c < st.stalls.size(); ++c)
      EXPECT_EQ(st.stalls[c].core.compute_ps, st.core_busy_ps.at(c)) << r->name << " core " << c;
  }
  // Two threads sharing core 1: the pipeline issued both threads' work once, while each
  // thread's own compute also counts the slots it waited for.
  const CardRun& s = simulation().get("shared");
  const double both = 2.0 * kPerThread * double(kCompute) * s.cycle_ps();
  EXPECT_NEAR(double(s.stats.stalls.at(1).core.compute_ps), both, 2.0);  // each thread carries < 1 ps of a cycle
  // Every packet of a thread waits for one of its sibling's, except the first, which finds
  // the pipeline free.
  for (const StallTimes& t : s.stats.stalls.at(1).threads) {
    EXPECT_GE(double(t.compute_ps), (both - double(kCompute) * s.cycle_ps()) * 0.999);
    EXPECT_LE(double(t.compute_ps), both + 1);
  }
  const CardRun& m4 = simulation().get("miss4");
  const double issued = double(kMissPackets) * double(m4.miss_cycles + static_cast<uint64_t>(m4.prof.l1_hit_cycles)) * m4.cycle_ps();
  EXPECT_NEAR(double(m4.stats.stalls.at(1).core.compute_ps), issued, 1.0);
}

}  // namespace
