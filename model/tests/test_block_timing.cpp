// Each shared block's timing pinned against values worked out by hand from the profile's
// parameters (the arithmetic is written out next to each expectation, naming the parameter it
// uses), so that a single-point change of a block's formula fails here: the MACs' wire time
// (frame + preamble/SFD + inter-frame gap at the line rate) and their back-to-back queueing,
// the interconnect's wait under overlap, the L2 / DRAM path of the memory (latency, transfer
// at the DRAM bandwidth, queueing of back-to-back fills, a dirty write-back's occupancy), and
// the classifier's issue slot and result latency at its own clock. Every block is driven on
// its own before sc_start (SystemC time 0: the request time is the annotated delay).
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "block_harness.hpp"
#include "card_stats.hpp"
#include "classifier_target.hpp"
#include "dfc/hal/card_map.hpp"
#include "egress_port.hpp"
#include "ingress_port.hpp"
#include "interconnect.hpp"
#include "memory.hpp"
#include "semaphores.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;
using namespace dfc::model::test;

// ---- MACs --------------------------------------------------------------------------------

// Ethernet frame sizes on the wire (FCS included): the minimum, the maximum untagged, and an
// odd size in between. A Packet holds the frame without its 4-byte FCS.
constexpr size_t kMin = 64, kMax = 1518, kOdd = 997;
// ms400 ingress_bps = egress_bps = 10e9: one byte is 8 bits / 10 Gb/s = 800 ps on the wire,
// and every frame carries preamble + SFD (8 bytes) and the minimum inter-frame gap (12 bytes).
constexpr uint64_t kBytePs10G = 800;
constexpr uint64_t kWire64 = (64 + 8 + 12) * kBytePs10G;      //    67'200 ps
constexpr uint64_t kWire1518 = (1518 + 8 + 12) * kBytePs10G;  // 1'230'400 ps
constexpr uint64_t kWire997 = (997 + 8 + 12) * kBytePs10G;    //   813'600 ps

Packet ethernet(uint64_t id, size_t frame_with_fcs, uint64_t t_ps, Unit unit) {
  Packet p;
  p.id = id;
  p.unit = unit;
  p.link = LinkType::Ethernet;
  p.data.assign(frame_with_fcs - 4, 0);
  p.t_arrival_ps = t_ps;
  return p;
}

class Script : public IngressSource {
 public:
  std::deque<Packet> left;
  Next next(Packet& out, uint64_t, uint64_t&) override {
    if (left.empty()) return Next::End;
    out = std::move(left.front());
    left.pop_front();
    return Next::Packet;
  }
};

TEST(IngressTiming, WireTimeIsFramePlusPreambleAndGapAtTheLineRate) {
  const CardProfile prof = load_profile("ms400");
  ASSERT_EQ(prof.ingress_bps, 10e9);
  EXPECT_EQ(kWire1518, 1'230'400u);  // (1518 + 8 + 12) x 8 / 10^10 s
  // A frame's arrival is its last bit: the source's time, but never before the previous
  // frame's last bit plus this frame's own wire time (the line carries one frame at a time).
  Script src;
  CardStats st;
  const uint64_t t1 = 10'000'000, t2 = 20'000'000, t3 = 30'000'000;
  src.left = {ethernet(1, kMin, 0, Unit::Monitor), ethernet(2, kMax, t1, Unit::Monitor),
              ethernet(3, kOdd, t2, Unit::Monitor), ethernet(4, kMax, 0, Unit::Monitor),
              ethernet(5, kOdd, t3, Unit::Monitor)};
  IngressPort port("ingress_alone", prof, src, st);
  Packet p;
  uint64_t idle = 0;
  std::vector<uint64_t> at;
  while (port.pull(p, UINT64_MAX, idle) == IngressPort::Pull::Packet) at.push_back(p.t_arrival_ps);
  // Frame 1 (asked at 0) cannot have arrived before its wire time; 2 and 3 arrive when the
  // source says (the line was idle long enough); 4 (asked at 0, i.e. right behind 3) queues
  // behind frame 3's end; 5 arrives when the source says.
  EXPECT_EQ(at, (std::vector<uint64_t>{kWire64, t1, t2, t2 + kWire1518, t3}));
  EXPECT_EQ(port.busy_ps(), kWire64 + kWire1518 + kWire997 + kWire1518 + kWire997);
}

TEST(IngressTiming, BackToBackFramesEachStartWhenThePreviousWireTimeEnds) {
  const CardProfile prof = load_profile("ms400");
  Script src;
  CardStats st;
  // Everything offered at time 0: the MAC serialises them one after another.
  src.left = {ethernet(1, kMax, 0, Unit::Monitor), ethernet(2, kMin, 0, Unit::Monitor),
              ethernet(3, kOdd, 0, Unit::Monitor), ethernet(4, kMax, 0, Unit::Monitor)};
  IngressPort port("ingress_b2b", prof, src, st);
  Packet p;
  uint64_t idle = 0;
  std::vector<uint64_t> at;
  while (port.pull(p, UINT64_MAX, idle) == IngressPort::Pull::Packet) at.push_back(p.t_arrival_ps);
  const uint64_t e1 = kWire1518, e2 = e1 + kWire64, e3 = e2 + kWire997, e4 = e3 + kWire1518;
  EXPECT_EQ(at, (std::vector<uint64_t>{e1, e2, e3, e4}));
  EXPECT_EQ(e4, 3'341'600u);  // (1538 + 84 + 1017 + 1538) bytes x 800 ps
  EXPECT_EQ(st.monitor_first_arrival_ps, e1);
  EXPECT_EQ(st.monitor_last_arrival_ps, e4);
}

TEST(IngressTiming, SlowerLineScalesTheWireTime) {
  // ms3: ingress_bps = 2.5e9, a byte is 8 / 2.5e9 s = 3200 ps.
  const CardProfile prof = load_profile("ms3");
  ASSERT_EQ(prof.ingress_bps, 2.5e9);
  Script src;
  CardStats st;
  src.left = {ethernet(1, kMax, 0, Unit::Monitor), ethernet(2, kOdd, 0, Unit::Monitor)};
  IngressPort port("ingress_ms3", prof, src, st);
  Packet p;
  uint64_t idle = 0;
  ASSERT_EQ(port.pull(p, UINT64_MAX, idle), IngressPort::Pull::Packet);
  EXPECT_EQ(p.t_arrival_ps, (1518u + 8 + 12) * 3200);  // 4'921'600 ps
  ASSERT_EQ(port.pull(p, UINT64_MAX, idle), IngressPort::Pull::Packet);
  EXPECT_EQ(p.t_arrival_ps, (1518u + 8 + 12) * 3200 + (997u + 8 + 12) * 3200);
}

TEST(IngressTiming, ARuntIsPaddedToTheMinimumFrame) {
  const CardProfile prof = load_profile("ms400");
  Script src;
  CardStats st;
  // A 40-byte IP packet on a raw-IP link: 14 header + 40 + 4 FCS = 58 bytes, padded to 64.
  Packet ack = ethernet(1, kMin, 0, Unit::Monitor);
  ack.link = LinkType::RawIp;
  ack.data.assign(40, 0);
  src.left = {ack, ethernet(2, 50, 0, Unit::Monitor)};  // a 50-byte Ethernet frame: padded too
  IngressPort port("ingress_runt", prof, src, st);
  Packet p;
  uint64_t idle = 0;
  ASSERT_EQ(port.pull(p, UINT64_MAX, idle), IngressPort::Pull::Packet);
  EXPECT_EQ(p.t_arrival_ps, kWire64);
  ASSERT_EQ(port.pull(p, UINT64_MAX, idle), IngressPort::Pull::Packet);
  EXPECT_EQ(p.t_arrival_ps, 2 * kWire64);
}

Packet copy_of(size_t frame_with_fcs, LinkType link) {
  Packet p;
  p.unit = Unit::Copies;
  p.link = link;
  // A raw-IP copy is sent with a 14-byte Ethernet header and the FCS; an Ethernet one with the FCS.
  p.data.assign(frame_with_fcs - 4 - (link == LinkType::RawIp ? 14 : 0), 0);
  return p;
}

TEST(EgressTiming, WireTimeIsFramePlusPreambleAndGapAtTheLineRate) {
  const CardProfile prof = load_profile("ms400");
  ASSERT_EQ(prof.egress_bps, 10e9);
  EgressPort port("egress_alone", prof);
  uint64_t depart = 0;
  // Copies queued on an idle port, each long after the previous left: each departs one wire
  // time after it was readable.
  const std::pair<size_t, uint64_t> cases[] = {{kMin, kWire64}, {kMax, kWire1518}, {kOdd, kWire997}};
  uint64_t ready = 0;
  for (const LinkType link : {LinkType::RawIp, LinkType::Ethernet})
    for (const auto& [frame, wire] : cases) {
      ready += 10'000'000;
      ASSERT_TRUE(port.enqueue(copy_of(frame, link), ready, ready, depart));
      EXPECT_EQ(depart, ready + wire) << frame << "-byte frame, link " << static_cast<int>(link);
    }
  EXPECT_EQ(port.busy_ps(), 2 * (kWire64 + kWire1518 + kWire997));
  // A 1500-byte IP packet is the classic 1518-byte frame (14 header + 1500 + 4 FCS).
  Packet ip1500;
  ip1500.unit = Unit::Copies;
  ip1500.link = LinkType::RawIp;
  ip1500.data.assign(1500, 0);
  ASSERT_TRUE(port.enqueue(ip1500, 100'000'000, 100'000'000, depart));
  EXPECT_EQ(depart, 100'000'000u + 1'230'400u);
  // A 40-byte IP packet (a bare TCP ACK) is a 58-byte frame, padded to the 64-byte minimum.
  Packet ack;
  ack.unit = Unit::Copies;
  ack.link = LinkType::RawIp;
  ack.data.assign(40, 0);
  ASSERT_TRUE(port.enqueue(ack, 200'000'000, 200'000'000, depart));
  EXPECT_EQ(depart, 200'000'000u + kWire64);
}

TEST(EgressTiming, BackToBackCopiesEachStartWhenThePreviousWireTimeEnds) {
  const CardProfile prof = load_profile("ms400");
  EgressPort port("egress_b2b", prof);
  uint64_t depart = 0;
  const uint64_t t = 1'000'000;
  ASSERT_TRUE(port.enqueue(copy_of(kMax, LinkType::RawIp), t, t, depart));
  EXPECT_EQ(depart, t + kWire1518);
  ASSERT_TRUE(port.enqueue(copy_of(kOdd, LinkType::RawIp), t, t, depart));
  EXPECT_EQ(depart, t + kWire1518 + kWire997);
  ASSERT_TRUE(port.enqueue(copy_of(kMin, LinkType::Ethernet), t + 1, t + 1, depart));
  EXPECT_EQ(depart, t + kWire1518 + kWire997 + kWire64);
  EXPECT_EQ(port.free_ps(), t + 2'111'200u);  // (1538 + 1017 + 84) bytes x 800 ps
  // Readable only after the line is free again: starts when readable, not when queued.
  const uint64_t late = t + 5'000'000;
  ASSERT_TRUE(port.enqueue(copy_of(kOdd, LinkType::Ethernet), t + 2, late, depart));
  EXPECT_EQ(depart, late + kWire997);
}

// ---- Interconnect ------------------------------------------------------------------------

// ms400: interconnect.hz = 500e6 (2000 ps a cycle), cycles_per_access = 2 (arbitration and
// address phase), bytes_per_cycle = 8 (one beat per 8 bytes).
constexpr uint64_t kIcCycle = 2000;
constexpr uint64_t kIc64 = (2 + 64 / 8) * kIcCycle;  // 20'000 ps
constexpr uint64_t kIc8 = (2 + 8 / 8) * kIcCycle;    //  6'000 ps
constexpr uint64_t kIc4 = (2 + 1) * kIcCycle;        //  6'000 ps: a partial beat is a whole beat

class IcTiming : public ::testing::Test {
 protected:
  IcTiming() : prof(load_profile("ms400")), ic("ic", prof) {
    for (size_t i = 0; i < decode::kTargetCount; ++i) {
      stubs.push_back(std::make_unique<StubTarget>(decode::kTargetNames[i]));
      ic.to[i].bind(stubs.back()->socket);
    }
  }
  // A transaction from initiator socket `who` at t_ps; returns when it completes (the stub
  // behind answers at once, so this is the fabric's own time).
  uint64_t issue(int who, uint32_t bytes, uint64_t t_ps) {
    std::vector<unsigned char> data(bytes);
    tlm::tlm_generic_payload gp;
    prepare_payload(gp, tlm::TLM_READ_COMMAND, cardmap::PKT_MEM_BASE, data.data(), bytes);
    sc_core::sc_time d = sc_core::sc_time::from_value(t_ps);
    ic.b_transport(who, gp, d);
    EXPECT_EQ(gp.get_response_status(), tlm::TLM_OK_RESPONSE);
    return d.value();  // SystemC time is 0
  }
  CardProfile prof;
  Interconnect ic;
  std::vector<std::unique_ptr<StubTarget>> stubs;
};

TEST_F(IcTiming, TheSecondOfTwoOverlappingTransfersWaitsTheFirstsRemainingOccupancy) {
  ASSERT_EQ(prof.ic_hz, 500e6);
  ASSERT_EQ(prof.ic_cycles_per_access, 2);
  ASSERT_EQ(prof.ic_bytes_per_cycle, 8);
  const uint64_t t = 1'000'000;
  // Initiator 0 (a core): 64 bytes at t, alone: its service only.
  EXPECT_EQ(issue(0, 64, t), t + kIc64);
  EXPECT_EQ(ic.wait_ps(), 0u);
  // Initiator 1 (a DMA engine): 64 bytes at t + 5 ns, while the first still has 15 ns to go.
  const uint64_t t1 = t + 5'000;
  const uint64_t done1 = issue(1, 64, t1);
  const uint64_t wait1 = done1 - t1 - kIc64;
  EXPECT_EQ(wait1, kIc64 - 5'000) << "the first transfer's remaining occupancy";
  EXPECT_EQ(wait1, 15'000u);
  EXPECT_EQ(ic.wait_ps(), 15'000u);
  // A third, 4 bytes, 1 ns after the second asked: behind the second's end (t + 40 ns).
  const uint64_t t2 = t1 + 1'000;
  const uint64_t done2 = issue(0, 4, t2);
  EXPECT_EQ(done2 - t2 - kIc4, t + 2 * kIc64 - t2);  // 34 ns waited
  EXPECT_EQ(ic.wait_ps(), 15'000u + 34'000u);
  EXPECT_EQ(ic.busy_ps(), 2 * kIc64 + kIc4);
}

TEST_F(IcTiming, TransfersThatDoNotOverlapInSimulatedTimeDoNotWait) {
  const uint64_t t = 1'000'000;
  EXPECT_EQ(issue(0, 64, t), t + kIc64);
  // Starting exactly when the first ends: no wait.
  EXPECT_EQ(issue(1, 64, t + kIc64), t + 2 * kIc64);
  // Issued later by the host but earlier in simulated time, and over before t: no wait.
  EXPECT_EQ(issue(1, 8, t - kIc8), t);
  EXPECT_EQ(issue(0, 64, t - 100'000), t - 100'000 + kIc64);
  // Far later: free.
  EXPECT_EQ(issue(0, 8, t + 1'000'000), t + 1'000'000 + kIc8);
  EXPECT_EQ(ic.wait_ps(), 0u);
  EXPECT_EQ(ic.busy_ps(), 3 * kIc64 + 2 * kIc8);
}

TEST_F(IcTiming, ThreeInitiatorsQueueInTheirOrderOfArrival) {
  const uint64_t t = 2'000'000;
  EXPECT_EQ(issue(0, 64, t), t + kIc64);
  // 8 bytes at t + 1 ns: waits 19 ns (until t + 20 ns), served 6 ns.
  EXPECT_EQ(issue(1, 8, t + 1'000), t + kIc64 + kIc8);
  // 64 bytes at t + 2 ns: waits for both (until t + 26 ns): 24 ns.
  EXPECT_EQ(issue(2, 64, t + 2'000), t + kIc64 + kIc8 + kIc64);
  EXPECT_EQ(ic.wait_ps(), 19'000u + 24'000u);
}

// ---- Memory: L2 and DRAM -----------------------------------------------------------------

// ms400: l1.line = 32 (the L2's line too), l2.hit_ns = 12, memory.dram_latency_ns = 70,
// memory.dram_gbps = 85: 8000 / 85 ps per byte, a 32-byte line is 3011.76 ps, which the
// memory truncates to whole ps.
constexpr uint64_t kLine = 32;
constexpr uint64_t kL2Hit = 12'000, kDramLat = 70'000;
constexpr uint64_t kDramLine = 3'011;   // trunc(32 x 8000 / 85)
constexpr uint64_t kDram8Lines = 24'094;  // trunc(256 x 8000 / 85), one burst

class MemTiming : public ::testing::Test {
 protected:
  explicit MemTiming(const char* tweak = nullptr) : prof(load_profile("ms400")) {
    if (tweak) prof.set(tweak);
  }
  void build() {
    mem = std::make_unique<MemorySubsystem>("memory", prof);
    // Two initiators: a core's port and the ingress DMA's own port on the memory.
    cpu.push_back(std::make_unique<Driver>("cpu", 0));
    cpu.back()->socket.bind(mem->socket);
    cpu.push_back(std::make_unique<Driver>("dma", kDmaInitiator));
    cpu.back()->socket.bind(mem->dma_port);
  }
  void SetUp() override {
    ASSERT_EQ(prof.l1_line, 32);
    ASSERT_EQ(prof.l2_hit_ns, 12);
    ASSERT_EQ(prof.dram_latency_ns, 70);
    ASSERT_EQ(prof.dram_gbps, 85);
  }
  CardProfile prof;
  std::unique_ptr<MemorySubsystem> mem;
  std::vector<std::unique_ptr<Driver>> cpu;
};

constexpr uint64_t kT = 50'000'000;

TEST_F(MemTiming, L2MissPaysL2LookupDramLatencyAndTheLinesTransferAHitTheLookupOnly) {
  build();
  const uint64_t a = cardmap::FLOW_TABLE_BASE + 5 * kLine;
  EXPECT_EQ(cpu[0]->read(a, kLine, kT), kT + kL2Hit + kDramLat + kDramLine);  // 85'011 ps
  EXPECT_EQ(cpu[0]->read(a, kLine, 2 * kT), 2 * kT + kL2Hit);
  EXPECT_EQ(mem->dram_busy_ps(), kDramLine);
}

TEST_F(MemTiming, BackToBackLineFillsQueueOnTheDramOneTransferApart) {
  build();
  // Eight line fills asked for at the same time (by two initiators), all L2 misses: the
  // k-th (from 1) reaches the DRAM at t + l2.hit_ns, waits for k - 1 transfers, then pays
  // the latency and its own transfer. N fills thus take N x line / bandwidth after the first
  // latency.
  for (uint64_t k = 1; k <= 8; ++k) {
    const uint64_t done = cpu[k % 2]->read(cardmap::COUNTERS_BASE + 1000 * kLine * k, kLine, kT);
    EXPECT_EQ(done, kT + kL2Hit + (k - 1) * kDramLine + kDramLat + kDramLine) << "fill " << k;
  }
  EXPECT_EQ(mem->dram_busy_ps(), 8 * kDramLine);
  // Fills spaced by more than a transfer do not queue: each pays just its own.
  const uint64_t t = 2 * kT;
  for (uint64_t k = 0; k < 4; ++k)
    EXPECT_EQ(cpu[0]->read(cardmap::CRITERIA_BASE + kLine * k, kLine, t + k * kDramLine),
              t + k * kDramLine + kL2Hit + kDramLat + kDramLine);
}

TEST_F(MemTiming, ABurstOfEightMissingLinesPaysOneLatencyAndEightLinesAtTheBandwidth) {
  build();
  EXPECT_EQ(cpu[0]->read(cardmap::FLOW_TABLE_BASE, 8 * kLine, kT), kT + kL2Hit + kDramLat + kDram8Lines);
  // Now in the L2: the same burst is one L2 lookup.
  EXPECT_EQ(cpu[0]->read(cardmap::FLOW_TABLE_BASE, 8 * kLine, 2 * kT), 2 * kT + kL2Hit);
}

// An L2 of one line (l2.bytes = 32, l2.ways = 1): any other line evicts it.
class TinyL2Timing : public MemTiming {
 protected:
  TinyL2Timing() : MemTiming("l2.ways=1") { prof.set("l2.bytes", 32); }
};

TEST_F(TinyL2Timing, ADirtyVictimsWriteBackOccupiesTheDramForOneLine) {
  build();
  const uint64_t a = cardmap::FLOW_TABLE_BASE, b = a + 64 * kLine, c = a + 128 * kLine;
  // A write miss: posted (returns at once), its line fill occupies the DRAM.
  EXPECT_EQ(cpu[0]->write(a, kLine, kT), kT);
  EXPECT_EQ(mem->dram_busy_ps(), kDramLine);
  // A read of b at t2 evicts the dirty a: its write-back takes the DRAM over
  // [t2, t2 + 3011 ps); b's own fill reaches the DRAM only at t2 + l2.hit_ns, after it.
  const uint64_t t2 = 2 * kT;
  EXPECT_EQ(cpu[0]->read(b, kLine, t2), t2 + kL2Hit + kDramLat + kDramLine);
  EXPECT_EQ(mem->dram_busy_ps(), 3 * kDramLine) << "fill of a, write-back of a, fill of b";
  // Another initiator's miss that reaches the DRAM at t2 + 1 ns, during the write-back, waits
  // for the write-back's end (t2 + 3011 ps), then pays latency and transfer.
  const uint64_t tc = t2 + 1'000 - kL2Hit;
  EXPECT_EQ(cpu[1]->read(c, kLine, tc), t2 + kDramLine + kDramLat + kDramLine);
  // A clean victim (b, read only) costs the DRAM nothing.
  EXPECT_EQ(mem->dram_busy_ps(), 4 * kDramLine);
}

// ---- Semaphores ---------------------------------------------------------------------------

TEST(SemaphoreTiming, AGrantSkipsEveryRecordedHoldingThatCoversItWhateverOrderTheyWereRecordedIn) {
  // Threads run decoupled, so holdings may be recorded in another order than their simulated
  // times: here [5 ns, 6 ns) by thread 0 first, then [1 ns, 5 ns) by thread 1 (it lagged in
  // the host). Thread 2 asks at 2 ns: inside thread 1's holding, so not before 5 ns, which is
  // inside thread 0's: it gets the lock at 6 ns (4 ns waited), never while another held it.
  HwSemaphores sems("sems_out_of_order");
  const unsigned lock = cardmap::HW_LOCK_COUNT - 1;
  EXPECT_EQ(sems.acquire(lock, 0, 5'000), 5'000u);
  sems.release(lock, 0, 6'000);
  EXPECT_EQ(sems.acquire(lock, 1, 1'000), 1'000u);  // before thread 0's holding: free then
  sems.release(lock, 1, 5'000);
  EXPECT_EQ(sems.acquire(lock, 2, 2'000), 6'000u);
  sems.release(lock, 2, 7'000);
  // Right at a holding's end: free (the holding is [start, end)).
  EXPECT_EQ(sems.acquire(lock, 3, 7'000), 7'000u);
  sems.release(lock, 3, 8'000);
  CardStats st;
  sems.add_stats(st);
  ASSERT_FALSE(st.locks.empty());
  EXPECT_EQ(st.locks.back().acquisitions, 4u);
  EXPECT_EQ(st.locks.back().contended, 1u);
  EXPECT_EQ(st.locks.back().wait_ps, 4'000u);
}

// ---- Classifier --------------------------------------------------------------------------

constexpr uint32_t kLookupCycles = 5;  // what the stand-in device reports per lookup

// Matches entry key[0] of every key, in kLookupCycles clocks.
class FixedDevice : public ClassifierDevice {
 public:
  uint32_t depth() const override { return 64; }
  void write_entry(uint32_t, const dfc::abi::Entry&) override {}
  void write_range_unit(uint32_t, const dfc::abi::RangeUnit&) override {}
  void set_group_enable(uint32_t, bool) override {}
  dfc::abi::LookupResult lookup(const dfc::abi::KeyWords& key) override { return {{key[0]}, kLookupCycles}; }
  std::string name() const override { return "fixed"; }
};

// ms400 with classifier.issue_cycles = 3 (so that the issue slot differs from one clock and
// from the register access): classifier.hz = 250e6 is 4000 ps a clock; reg_cycles = 2 is
// 8000 ps per register access; an issue slot is 3 x 4000 = 12'000 ps; a lookup's result is
// ready kLookupCycles x 4000 = 20'000 ps after its issue slot starts.
constexpr uint64_t kClsCycle = 4'000, kClsReg = 2 * kClsCycle, kClsIssue = 3 * kClsCycle;
constexpr uint64_t kClsLookup = kLookupCycles * kClsCycle;

class ClsTiming : public ::testing::Test {
 protected:
  ClsTiming() : prof(make_prof()), cls("classifier", std::make_unique<FixedDevice>(), prof) {
    for (int i = 0; i < 3; ++i) {
      core.push_back(std::make_unique<Driver>(("core" + std::to_string(i)).c_str(), i));
      core.back()->socket.bind(cls.socket);
    }
  }
  static CardProfile make_prof() {
    CardProfile p = load_profile("ms400");
    p.set("classifier.issue_cycles", 3);
    return p;
  }
  // Writes a key (word 0 = k) into context c at t; returns when the write completes.
  uint64_t key(unsigned c, uint32_t k, uint64_t t) {
    std::vector<uint32_t> w(dfc::abi::KEY_IN_WORDS, 0);
    w[0] = k;
    return core[c]->transport(tlm::TLM_WRITE_COMMAND, dfc::abi::CLS_KEY + uint64_t{c} * cardmap::CLS_CTX_STRIDE, w, t);
  }
  // Reads context c's result count and first match at t; returns when the read completes.
  uint64_t result(unsigned c, uint64_t t, uint32_t& first) {
    std::vector<uint32_t> r(2, 0);
    const uint64_t done =
        core[c]->transport(tlm::TLM_READ_COMMAND, dfc::abi::CLS_RESULT + uint64_t{c} * cardmap::CLS_CTX_STRIDE, r, t);
    first = r[1];
    return done;
  }
  CardProfile prof;
  ClassifierTarget cls;
  std::vector<std::unique_ptr<Driver>> core;
};

TEST_F(ClsTiming, OneLookupIssuesAfterTheKeyWriteAndIsReadyTheDevicesCyclesLater) {
  ASSERT_EQ(prof.classifier_hz, 250e6);
  ASSERT_EQ(prof.classifier_reg_cycles, 2);
  const uint64_t t = 10'000'000;
  // The key write is a register access (8 ns); the lookup's issue slot starts right after.
  EXPECT_EQ(key(0, 7, t), t + kClsReg);
  uint32_t first = 0;
  // The result read, asked at once, completes when the result is ready: issue at t + 8 ns,
  // ready 20 ns later.
  EXPECT_EQ(result(0, t + kClsReg, first), t + kClsReg + kClsLookup);  // t + 28 ns
  EXPECT_EQ(first, 7u);
  // Asked after the result is ready: the register access only.
  EXPECT_EQ(result(0, t + 1'000'000, first), t + 1'000'000 + kClsReg);
  EXPECT_EQ(cls.busy_ps(), kClsIssue);
}

TEST_F(ClsTiming, BackToBackLookupsAreOneIssueSlotApart) {
  const uint64_t t = 10'000'000;
  // Three contexts write their keys at the same time: their lookups issue at t + 8 ns,
  // t + 20 ns and t + 32 ns (one 12 ns slot apart); each result follows 20 ns after its slot.
  for (unsigned c = 0; c < 3; ++c) EXPECT_EQ(key(c, 10 + c, t), t + kClsReg) << "the key write itself never waits";
  uint32_t first = 0;
  for (unsigned c = 0; c < 3; ++c) {
    EXPECT_EQ(result(c, t, first), t + kClsReg + c * kClsIssue + kClsLookup) << "context " << c;
    EXPECT_EQ(first, 10 + c);
  }
  // One context issuing two lookups back to back (the second key 1 ns after the first): the
  // second waits for the next free slot, t2 + 8 ns + 12 ns, and is ready 20 ns after that.
  const uint64_t t2 = 2 * t;
  key(0, 1, t2);
  key(0, 2, t2 + 1'000);
  EXPECT_EQ(result(0, t2 + 1'000, first), t2 + kClsReg + kClsIssue + kClsLookup);
  EXPECT_EQ(first, 2u);
  // Lookups far apart do not wait for each other.
  const uint64_t t3 = 3 * t;
  key(1, 3, t3);
  EXPECT_EQ(result(1, t3, first), t3 + kClsReg + kClsLookup);
  EXPECT_EQ(cls.busy_ps(), 6 * kClsIssue);
  EXPECT_EQ(cls.lookups(), 6u);
}

}  // namespace
