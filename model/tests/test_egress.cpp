// The EgressPort and the EgressDma on their own: the port serialises queued copies back to
// back at the line rate, starts none before its data is read, and refuses a copy when
// egress_queue_packets copies wait (the one on the wire does not count); the DMA reads a copy
// out of its transmit buffer through the interconnect and the packet memory. Expected numbers
// come from the Ethernet framing and the profile's rates.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "block_harness.hpp"
#include "dfc/hal/card_map.hpp"
#include "egress_dma.hpp"
#include "egress_port.hpp"
#include "interconnect.hpp"
#include "memory.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;
using namespace dfc::model::test;

Packet copy(size_t bytes, LinkType link = LinkType::RawIp) {
  Packet p;
  p.unit = Unit::Copies;
  p.link = link;
  p.data.assign(bytes, 0);
  return p;
}

// Line time of a frame: padded to 64 bytes with its FCS, plus preamble, SFD and gap (20 bytes).
uint64_t line_ps(size_t frame_bytes, double bps) {
  return static_cast<uint64_t>(std::llround(double(std::max<size_t>(frame_bytes, 64) + 20) * 8.0 / bps * 1e12));
}

TEST(EgressPort, SerialisesCopiesBackToBackAtTheLineRate) {
  const CardProfile prof = load_profile("ms3");
  EgressPort port("egress", prof);
  // Copies are raw IP: serialised with a 14-byte Ethernet header and the FCS.
  const uint64_t w = line_ps(500 + 14 + 4, prof.egress_bps);
  EXPECT_EQ(w, 1'721'600u);  // 538 bytes at 2.5 Gbit/s
  uint64_t depart = 0;
  for (uint64_t k = 1; k <= 3; ++k) {
    ASSERT_TRUE(port.enqueue(copy(500), 0, 0, depart));
    EXPECT_EQ(depart, k * w);
  }
  // Not before its data is readable: a copy whose DMA read ends later starts then.
  const uint64_t ready = 10 * w;
  ASSERT_TRUE(port.enqueue(copy(20), 4 * w, ready, depart));
  EXPECT_EQ(depart, ready + line_ps(64, prof.egress_bps));
  EXPECT_EQ(port.free_ps(), depart);
  EXPECT_EQ(port.busy_ps(), 3 * w + line_ps(64, prof.egress_bps));
  std::vector<Usage> u;
  port.usage(u);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].name, "egress");
  EXPECT_EQ(u[0].busy_ps, port.busy_ps());
  EXPECT_EQ(u[0].kind, Usage::Kind::Port);
}

TEST(EgressPort, RefusesACopyWhenTheQueueIsFull) {
  CardProfile prof = load_profile("ms400");
  prof.egress_queue_packets = 2;
  EgressPort port("egress", prof);
  const uint64_t w = line_ps(1000 + 14 + 4, prof.egress_bps);
  uint64_t depart = 0;
  // At t = 0 the first copy goes on the wire at once; the next two wait; the fourth is refused.
  ASSERT_TRUE(port.enqueue(copy(1000), 0, 0, depart));
  ASSERT_TRUE(port.enqueue(copy(1000), 0, 0, depart));
  ASSERT_TRUE(port.enqueue(copy(1000), 0, 0, depart));
  EXPECT_EQ(port.queued_at(0), 2u);
  EXPECT_FALSE(port.enqueue(copy(1000), 0, 0, depart));
  EXPECT_EQ(port.busy_ps(), 3 * w);  // a refused copy costs nothing
  // Once the second copy is on the wire (at w), there is room again.
  EXPECT_FALSE(port.enqueue(copy(1000), w - 1, 0, depart));
  EXPECT_EQ(port.queued_at(w), 1u);
  ASSERT_TRUE(port.enqueue(copy(1000), w, 0, depart));
  EXPECT_EQ(depart, 4 * w);
}

// Completes elaboration (the interconnect's multi-socket binds its callbacks then) and reads a
// copy: the last test of this binary.
TEST(EgressDma, ReadsACopyThroughTheInterconnectAndThePacketMemory) {
  const CardProfile prof = load_profile("ms400");
  Interconnect ic("ic", prof);
  MemorySubsystem mem("memory", prof);
  StubTarget cls("classifier"), sems("semaphores");
  ic.to_target(decode::Target::Memory).bind(mem.socket);
  Driver unused_dma("ingress_dma", kDmaInitiator);  // the memory's DMA port, idle here
  unused_dma.socket.bind(mem.dma_port);
  ic.to_target(decode::Target::Classifier).bind(cls.socket);
  ic.to_target(decode::Target::Semaphores).bind(sems.socket);
  EgressDma dma("egress_dma");
  dma.socket.bind(ic.target);
  sc_core::sc_start(sc_core::SC_ZERO_TIME);

  const uint32_t bytes = 256;
  const uint64_t t = 3'000'000;
  const uint64_t fabric = static_cast<uint64_t>(
      (prof.ic_cycles_per_access + double(bytes) / prof.ic_bytes_per_cycle) * (1e12 / prof.ic_hz));
  const uint64_t sram = ps(prof.sram_latency_ns) + static_cast<uint64_t>(double(bytes) * (8e3 / prof.sram_gbps));
  EXPECT_EQ(dma.fetch(cardmap::TX_BUF_BASE, bytes, t), t + fabric + sram);
  // ms400: (2 + 32) cycles at 500 MHz, then 6 ns + 256 B at 64 Gbit/s.
  EXPECT_EQ(fabric + sram, 68'000u + 6'000u + 32'000u);
  // Asked for the current SystemC time: no annotated delay before the fabric.
  EXPECT_EQ(dma.fetch(cardmap::TX_BUF_BASE + cardmap::TX_BUF_BYTES, bytes, 0), fabric + sram);
}

}  // namespace
