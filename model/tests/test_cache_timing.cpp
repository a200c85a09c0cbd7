// A core's memory accesses through its L1, the interconnect, the shared L2 and the DRAM, pinned
// against values worked out by hand from the profile's parameters: an L1 hit, an L1 miss that
// hits the L2, an L2 miss that goes to DRAM, a miss whose dirty victim is written back first,
// and a streaming read whose missing lines travel as one burst. One card (SystemC elaborates
// once per process) with one data thread and an L1 of a single line, so that each access's
// hit or miss is known; its stub firmware makes one access per packet, packets far apart, and
// the card's done sink gives each handler's span in ps.
#include <gtest/gtest.h>

#include <systemc>

#include <map>
#include <memory>
#include <utility>

#include "card.hpp"
#include "classifier/classifier_ref.hpp"
#include "dfc/hal/card_map.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;

// Cycles each handler computes before its access, so that the ingress DMA's writes of the
// packet (at its arrival) are long over and the access finds the interconnect free.
constexpr uint64_t kLead = 1000;

// The line size (ms400 l1.line = 32) and four lines that are all in one L1 set.
constexpr uint64_t kLine = 32;
constexpr uint64_t kA = cardmap::FLOW_TABLE_BASE, kB = kA + 64 * kLine, kC = kA + 128 * kLine;
constexpr uint64_t kStream = kA + 4096 * kLine;  // eight lines never touched before

enum class Op { Read, Write, Stream8, None };
struct Step {
  Op op;
  uint64_t addr;
};
// One access per packet, in this order (packet id = index + 1).
const Step kSteps[] = {
    {Op::Read, kA},      // 1: cold: L1 miss, L2 miss
    {Op::Read, kA},      // 2: L1 hit
    {Op::Write, kA},     // 3: L1 hit (the line is dirty from now on)
    {Op::Read, kB},      // 4: L1 miss evicting the dirty a; b misses the L2
    {Op::Read, kA},      // 5: L1 miss (clean victim b); a hits the L2
    {Op::Read, kB},      // 6: L1 miss (clean victim a); b hits the L2
    {Op::Write, kC},     // 7: write miss: the line is filled first (write-allocate), L2 miss
    {Op::Write, kA},     // 8: write miss evicting the dirty c; a hits the L2
    {Op::Read, kB},      // 9: L1 miss evicting the dirty a; b hits the L2
    {Op::Stream8, kStream},  // 10: eight consecutive lines read as one sweep, all L2 misses
    {Op::None, 0},           // 11: the lead only: the span every handler has besides its access
};
constexpr uint64_t kBaseline = 11;
constexpr size_t kSteps_n = sizeof kSteps / sizeof kSteps[0];

struct Observed {
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> span;  // packet id -> handler start, end (ps)
  CardStats stats;
};

class OneAccessFirmware : public fw::FirmwareApp {
 public:
  explicit OneAccessFirmware(Hal& h) : h_(h) {}
  void on_packet(const Packet& p) override {
    h_.consume_cycles(kLead);
    const Step& s = kSteps[p.id - 1];
    switch (s.op) {
      case Op::Read: h_.mem_read(s.addr, 4); break;
      case Op::Write: h_.mem_write(s.addr, 4); break;
      case Op::Stream8: h_.mem_read(s.addr, 8 * kLine); break;
      case Op::None: break;
    }
  }
  void on_timer() override {}

 private:
  Hal& h_;
};

// One 60-byte frame per step, 100 us apart.
class Frames : public IngressSource {
 public:
  Next next(Packet& out, uint64_t, uint64_t&) override {
    if (n_ == kSteps_n) return Next::End;
    out = Packet{};
    out.id = ++n_;
    out.unit = Unit::Monitor;
    out.link = LinkType::Ethernet;
    out.data.assign(60, 0);
    out.t_arrival_ps = n_ * 100'000'000;
    return Next::Packet;
  }

 private:
  uint64_t n_ = 0;
};

const Observed& simulation() {
  static const Observed o = [] {
    Observed r;
    CardProfile p = load_profile("ms400");
    p.set("cores", 2);  // core 0 control, core 1 the one data thread (context 1)
    p.set("threads_per_core", 1);
    // 1 GHz: a cycle is exactly 1000 ps (ms400's 1.5 GHz cycle is not a whole number of ps).
    p.set("core_hz", 1e9);
    p.set("l1.bytes", 32);  // one line, one way: the L1 holds the last line touched
    p.set("l1.ways", 1);
    Frames src;
    Card card("card", p, std::make_unique<ClassifierRef>(64), [](Hal& h) { return std::make_unique<OneAccessFirmware>(h); },
              src, nullptr, nullptr, 0);
    card.set_done_sink([&r](const Packet& pk, uint64_t a, uint64_t b) { r.span[pk.id] = {a, b}; });
    sc_core::sc_start();
    r.stats = card.stats();
    return r;
  }();
  return o;
}

// Hand-worked prices (ms400, core_hz set to 1 GHz):
//  l1.hit_cycles = 3 at 1 GHz: every line looked up in the L1 costs 3000 ps of issue.
//  interconnect: 500 MHz (2000 ps), 2 cycles per access + one per 8 bytes (bytes_per_cycle):
//    a 32-byte line is (2 + 4) x 2000 = 12'000 ps, a 256-byte burst (2 + 32) x 2000 = 68'000 ps.
//  l2.hit_ns = 12: 12'000 ps. memory.dram_latency_ns = 70: 70'000 ps.
//  memory.dram_gbps = 85: 8000 / 85 ps per byte; a line 3011.76 -> 3011 ps (whole ps, truncated),
//    eight lines as one burst 24'094.1 -> 24'094 ps.
constexpr uint64_t kL1Hit = 3 * 1000;
constexpr uint64_t kIcLine = (2 + kLine / 8) * 2000, kIcBurst8 = (2 + 8 * kLine / 8) * 2000;
constexpr uint64_t kL2 = 12'000, kDramLat = 70'000, kDramLine = 3'011, kDram8 = 24'094;

uint64_t span_ps(uint64_t id) {
  const auto& s = simulation().span.at(id);
  return s.second - s.first;
}

// The access's own cost: its handler's span minus that of the handler that makes no access
// (the lead, and the receive loop's read of the packet's descriptor in its core's message
// station: the same for every packet).
uint64_t cost(uint64_t id) { return span_ps(id) - span_ps(kBaseline); }

TEST(CacheTiming, EveryPacketWasHandled) {
  ASSERT_EQ(simulation().span.size(), kSteps_n);
  EXPECT_EQ(simulation().stats.monitor_packets, kSteps_n);
  // The baseline: the receive loop's descriptor read and the lead. At the arrival the ingress
  // DMA writes the frame on the data ring and its descriptor on the message ring; the thread's
  // read of its own ring is its core's message station, so it waits for neither ring: only the
  // packet memory's latency (6 ns) and 16 bytes at 64 Gb/s (2 ns), the SRAM being free then
  // (the DMA's writes reach it after their ring transfers, at +8 ns and +20 ns).
  EXPECT_EQ(span_ps(kBaseline), (6 + 2) * 1000 + kLead * 1000);
}

TEST(CacheTiming, L1HitCostsTheHitCyclesOnly) {
  EXPECT_EQ(cost(2), kL1Hit);  // read hit
  EXPECT_EQ(cost(3), kL1Hit);  // write hit
  EXPECT_EQ(kL1Hit, 3'000u);
}

TEST(CacheTiming, L1MissThatHitsTheL2CostsTheLineOverTheInterconnectAndTheL2Lookup) {
  const uint64_t expected = kL1Hit + kIcLine + kL2;
  EXPECT_EQ(expected, 27'000u);
  EXPECT_EQ(cost(5), expected);
  EXPECT_EQ(cost(6), expected);
}

TEST(CacheTiming, L2MissAddsTheDramLatencyAndTheLinesTransfer) {
  const uint64_t expected = kL1Hit + kIcLine + kL2 + kDramLat + kDramLine;
  EXPECT_EQ(expected, 100'011u);
  EXPECT_EQ(cost(1), expected);  // read miss
  EXPECT_EQ(cost(7), expected);  // write miss: write-allocate fills the line the same way
}

TEST(CacheTiming, ADirtyVictimsWriteBackHoldsTheFillBehindItOnTheInterconnect) {
  // The write-back is posted (the core does not wait for the memory), but it takes the
  // interconnect for a line first, and the fill that follows at the same time waits for it.
  EXPECT_EQ(cost(4), kL1Hit + kIcLine + kIcLine + kL2 + kDramLat + kDramLine);  // 112'011: L2 miss
  EXPECT_EQ(cost(8), kL1Hit + kIcLine + kIcLine + kL2);                         //  39'000: L2 hit
  EXPECT_EQ(cost(9), kL1Hit + kIcLine + kIcLine + kL2);
  EXPECT_EQ(cost(9) - cost(6), kIcLine) << "a dirty victim costs exactly one line on the interconnect";
}

TEST(CacheTiming, AStreamingReadOfEightLinesPaysOneDramLatencyAndEightLinesAtTheBandwidth) {
  // Eight L1 lookups (the first evicts b, clean), then the missing lines as one 256-byte burst:
  // interconnect (2 + 32) cycles, the L2 lookup, one DRAM latency, 256 bytes at 85 Gb/s.
  const uint64_t expected = 8 * kL1Hit + kIcBurst8 + kL2 + kDramLat + kDram8;
  EXPECT_EQ(expected, 198'094u);
  EXPECT_EQ(cost(10), expected);
  // Eight separate line fills would each have paid the latency.
  EXPECT_LT(cost(10), 8 * (kL1Hit + kIcLine + kL2 + kDramLat + kDramLine));
}

}  // namespace
