// The MemorySubsystem on its own: packet memory (SRAM) reads cost latency + bytes at its
// bandwidth and its writes are posted; DRAM is reached through the shared L2, a miss paying the
// L2 lookup, the DRAM latency and the transfer, a hit the L2 lookup only; requests that overlap
// in simulated time queue on each memory. Expected times come from the ms400 profile.
#include <gtest/gtest.h>

#include "block_harness.hpp"
#include "dfc/hal/card_map.hpp"
#include "memory.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;
using namespace dfc::model::test;

class MemoryTest : public ::testing::Test {
 protected:
  MemoryTest() : prof(load_profile("ms400")), mem("memory", prof), cpu("cpu", 0) { cpu.socket.bind(mem.socket); }
  // Transfer time of `bytes` at `gbps` (Gbit/s: 8000 / gbps ps per byte), truncated to whole ps.
  static uint64_t xfer(uint64_t bytes, double gbps) { return static_cast<uint64_t>(double(bytes) * (8e3 / gbps)); }
  uint64_t sram(uint64_t bytes) const { return xfer(bytes, prof.sram_gbps); }
  uint64_t dram(uint64_t bytes) const { return xfer(bytes, prof.dram_gbps); }
  uint64_t line() const { return static_cast<uint64_t>(prof.l1_line); }

  CardProfile prof;
  MemorySubsystem mem;
  Driver cpu;
};

constexpr uint64_t kT = 50'000'000;  // 50 us: away from time 0 and window edges

TEST_F(MemoryTest, PacketMemoryReadCostsLatencyPlusTransferWritesArePosted) {
  EXPECT_EQ(cpu.read(cardmap::PKT_MEM_BASE, 64, kT), kT + ps(prof.sram_latency_ns) + sram(64));
  EXPECT_EQ(cpu.status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(ps(prof.sram_latency_ns) + sram(64), 6'000u + 8'000u);  // ms400: 6 ns + 64 B at 64 Gbit/s
  // A write does not stall its initiator, but it occupies the memory: a read right behind it
  // waits for its transfer.
  const uint64_t t = 2 * kT;
  EXPECT_EQ(cpu.write(cardmap::RX_RING_BASE, 256, t), t);
  EXPECT_EQ(cpu.read(cardmap::RX_RING_BASE, 64, t), t + sram(256) + ps(prof.sram_latency_ns) + sram(64));
  EXPECT_EQ(mem.sram_busy_ps(), sram(64) + sram(256) + sram(64));
  EXPECT_EQ(mem.dram_busy_ps(), 0u);
}

TEST_F(MemoryTest, DramMissPaysL2AndDramLatencyAndTransferHitPaysTheL2Only) {
  const uint64_t a = cardmap::CRITERIA_BASE + 7 * line();
  const uint64_t miss = ps(prof.l2_hit_ns) + ps(prof.dram_latency_ns) + dram(line());
  EXPECT_EQ(cpu.read(a, static_cast<uint32_t>(line()), kT), kT + miss);
  EXPECT_EQ(cpu.read(a, static_cast<uint32_t>(line()), 2 * kT), 2 * kT + ps(prof.l2_hit_ns));
  EXPECT_EQ(mem.l2().misses(), 1u);
  EXPECT_EQ(mem.l2().hits(), 1u);
  // The packet memory is the faster of the two for the same bytes.
  EXPECT_LT(ps(prof.sram_latency_ns) + sram(line()), miss);
  EXPECT_EQ(mem.dram_busy_ps(), dram(line()));
}

TEST_F(MemoryTest, ABurstOfMissingLinesPaysOneLatency) {
  const uint64_t a = cardmap::FLOW_TABLE_BASE;
  EXPECT_EQ(cpu.read(a, static_cast<uint32_t>(4 * line()), kT),
            kT + ps(prof.l2_hit_ns) + ps(prof.dram_latency_ns) + dram(4 * line()));
  // Half of a longer burst is in the L2 now: only the other half goes to DRAM.
  EXPECT_EQ(cpu.read(a, static_cast<uint32_t>(8 * line()), 2 * kT),
            2 * kT + ps(prof.l2_hit_ns) + ps(prof.dram_latency_ns) + dram(4 * line()));
}

TEST_F(MemoryTest, OverlappingDramMissesQueueOnTheDram) {
  const uint64_t a = cardmap::COUNTERS_BASE, b = cardmap::COUNTERS_BASE + 64 * line();
  const uint64_t lat = ps(prof.l2_hit_ns) + ps(prof.dram_latency_ns);
  EXPECT_EQ(cpu.read(a, static_cast<uint32_t>(line()), kT), kT + lat + dram(line()));
  // Same time, another line: its transfer starts after the first one's.
  EXPECT_EQ(cpu.read(b, static_cast<uint32_t>(line()), kT), kT + lat + 2 * dram(line()));
  // A DRAM request does not wait for the packet memory, which is another resource.
  EXPECT_EQ(cpu.read(cardmap::PKT_MEM_BASE, 64, kT), kT + ps(prof.sram_latency_ns) + sram(64));
}

TEST_F(MemoryTest, AddressBelowThePacketMemoryIsAnError) {
  cpu.read(cardmap::PKT_MEM_BASE - 64, 64, kT);
  EXPECT_EQ(cpu.status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST_F(MemoryTest, UsageReportsTheBusierHalfThenBothAsDetails) {
  cpu.read(cardmap::PKT_MEM_BASE, 64, kT);
  cpu.read(cardmap::DRAM_BASE, 1024, kT);  // DRAM is the busier
  std::vector<Usage> u;
  mem.usage(u);
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[0].name, "memory");
  EXPECT_EQ(u[0].kind, Usage::Kind::MemorySystem);
  EXPECT_EQ(u[0].busy_ps, dram(1024));
  EXPECT_EQ(u[1].name, "dram");
  EXPECT_EQ(u[1].busy_ps, dram(1024));
  EXPECT_EQ(u[2].name, "packet_memory");
  EXPECT_EQ(u[2].busy_ps, sram(64));
  EXPECT_EQ(u[1].kind, Usage::Kind::Detail);
  EXPECT_EQ(u[2].kind, Usage::Kind::Detail);
}

}  // namespace
