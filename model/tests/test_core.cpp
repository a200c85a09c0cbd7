// A Core in the card, running a stub firmware that declares known work: every declared cycle
// advances the core's local time by one period of core_hz, a core runs ahead of SystemC time
// until its local time crosses the next quantum boundary and then synchronises, and the busy
// time it reports (and the card's utilisation built from every block) follows. One simulation
// (SystemC elaborates once per process) shared by the tests; expected numbers come from the
// profile's clock, quantum and work prices.
#include <gtest/gtest.h>

#include <systemc>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "card.hpp"
#include "classifier/classifier_ref.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;

constexpr double kCoreHz = 1.25e9;  // 800 ps a cycle
constexpr uint64_t kCyclePs = 800;
constexpr uint64_t kQuantumPs = 5'000'000;
// Packet 1 declares kFirst then kSecond cycles: the first stays inside the quantum, the two
// together cross its end.
constexpr uint64_t kFirst = 4000, kSecond = 3000;

struct Point {
  uint64_t sc_ps, local_ps;  // SystemC time and the core's local time (ns resolution)
};

struct Observed {
  std::vector<Point> p1;         // packet 1: start, after kFirst, after kSecond
  uint64_t p2_start = 0, p2_end = 0;
  CardStats stats;
  std::vector<std::pair<std::string, double>> utilisation;
  std::string bottleneck;
  CardProfile prof;
};

class ScriptedFirmware : public fw::FirmwareApp {
 public:
  ScriptedFirmware(Hal& h, Observed& o) : h_(h), o_(o) {}
  void on_packet(const Packet& p) override {
    if (p.id == 1) {
      mark();
      h_.consume_cycles(kFirst);
      mark();
      h_.consume_cycles(kSecond);
      mark();
    } else if (p.id == 2) {
      o_.p2_start = h_.now_ns();
      h_.work(Hal::Work::Hash, 10);
      h_.consume_cycles(125);
      h_.work(Hal::Work::CopyBuild, 2);
      o_.p2_end = h_.now_ns();
    }
  }
  void on_timer() override {}

 private:
  void mark() { o_.p1.push_back({sc_core::sc_time_stamp().value(), h_.now_ns() * 1000}); }
  Hal& h_;
  Observed& o_;
};

// Three monitored frames, 100 us apart.
class ThreeFrames : public IngressSource {
 public:
  Next next(Packet& out, uint64_t, uint64_t&) override {
    if (n_ == 3) return Next::End;
    out = Packet{};
    out.id = ++n_;
    out.unit = Unit::Monitor;
    out.link = LinkType::Ethernet;
    out.data.assign(60, 0);
    out.t_arrival_ps = (n_ - 1) * 100'000'000;
    return Next::Packet;
  }

 private:
  uint64_t n_ = 0;
};

const Observed& simulation() {
  static const Observed o = [] {
    Observed r;
    r.prof = load_profile("ms400");
    r.prof.set("cores", 1);
    r.prof.set("threads_per_core", 1);
    r.prof.set("core_hz", kCoreHz);
    r.prof.set("quantum_ns", double(kQuantumPs) / 1000);
    r.prof.set("descriptor_bytes", 0);  // the handler's own work only
    ThreeFrames src;
    Card card("card", r.prof, std::make_unique<ClassifierRef>(64),
              [&](Hal& h) { return std::make_unique<ScriptedFirmware>(h, r); }, src, nullptr, nullptr, 0);
    sc_core::sc_start();
    r.stats = card.stats();
    r.utilisation = card.utilisation();
    r.bottleneck = card.bottleneck();
    return r;
  }();
  return o;
}

TEST(Core, DeclaredCyclesAdvanceLocalTimeAtTheCoreClock) {
  const Observed& o = simulation();
  ASSERT_EQ(o.p1.size(), 3u);
  EXPECT_EQ(o.p1[1].local_ps - o.p1[0].local_ps, kFirst * kCyclePs);
  EXPECT_EQ(o.p1[2].local_ps - o.p1[1].local_ps, kSecond * kCyclePs);
  // Work is priced at the profile's cycles per operation.
  const double cycles = 10 * o.prof.work(Hal::Work::Hash) + 125 + 2 * o.prof.work(Hal::Work::CopyBuild);
  EXPECT_EQ((o.p2_end - o.p2_start) * 1000, static_cast<uint64_t>(cycles) * kCyclePs);
}

TEST(Core, RunsAheadOfSystemCTimeUntilItsQuantumEnds) {
  const Observed& o = simulation();
  ASSERT_EQ(o.p1.size(), 3u);
  const uint64_t start = o.p1[0].sc_ps, quantum_end = (start / kQuantumPs + 1) * kQuantumPs;
  ASSERT_LT(o.p1[0].local_ps, quantum_end);
  // Inside the quantum: SystemC time has not moved, the core is ahead of it.
  ASSERT_LT(o.p1[1].local_ps, quantum_end);
  EXPECT_EQ(o.p1[1].sc_ps, start);
  EXPECT_GT(o.p1[1].local_ps, o.p1[1].sc_ps);
  // Past the quantum's end: the core synchronised, SystemC time caught up with it.
  ASSERT_GE(o.p1[2].local_ps, quantum_end);
  EXPECT_GE(o.p1[2].sc_ps, quantum_end);
  EXPECT_EQ(o.p1[2].sc_ps / 1000, o.p1[2].local_ps / 1000);
  for (const Point& p : o.p1) EXPECT_LT(p.local_ps, p.sc_ps + kQuantumPs);  // never a quantum ahead
}

TEST(Core, BusyTimeIsTheSumOfItsHandlers) {
  const Observed& o = simulation();
  ASSERT_EQ(o.stats.core_busy_ps.size(), 1u);
  const uint64_t p2 = (o.p2_end - o.p2_start) * 1000;
  EXPECT_EQ(o.stats.core_busy_ps[0], (kFirst + kSecond) * kCyclePs + p2);
  EXPECT_EQ(o.stats.monitor_packets, 3u);
}

TEST(Card, UtilisationListsEveryBlocksResourcesByKind) {
  const Observed& o = simulation();
  std::vector<std::string> names;
  for (const auto& [k, v] : o.utilisation) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"core0", "interconnect", "memory", "classifier", "security", "ingress",
                                             "egress", "data_ring", "message_ring", "dram", "packet_memory"}));
  // Window: first monitored arrival (the first frame's line time) to the last handler's end.
  const double span = double(o.stats.monitor_last_done_ps - o.stats.monitor_first_arrival_ps);
  EXPECT_DOUBLE_EQ(o.utilisation[0].second, double(o.stats.core_busy_ps[0]) / span);
  EXPECT_EQ(o.bottleneck, "core");
  EXPECT_EQ(o.stats.classifier_lookups, 0u);
  EXPECT_EQ(o.stats.lock_contended, 0u);
}

}  // namespace
