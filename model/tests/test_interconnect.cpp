// The Interconnect on its own, with a recording stub behind each of its target sockets: it
// routes every range of the generated address map to its block and refuses the rest, and it
// prices each transaction as arbitration + data beats at the fabric clock, with overlapping
// requests on the same ring waiting for each other: the descriptor rings travel on the message
// ring (or stay in a core's own message station), everything else on the data ring. Expected
// times are computed from the profile's parameters.
#include <gtest/gtest.h>

#include <iterator>
#include <memory>
#include <vector>

#include "block_harness.hpp"
#include "card_decode.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/hal/classifier_abi.hpp"
#include "interconnect.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;
using namespace dfc::model::test;

class InterconnectTest : public ::testing::Test {
 protected:
  InterconnectTest() : prof(load_profile("ms400")), ic("ic", prof) {
    for (size_t i = 0; i < decode::kTargetCount; ++i) {
      stubs.push_back(std::make_unique<StubTarget>(decode::kTargetNames[i]));
      ic.to[i].bind(stubs.back()->socket);
    }
    cycle_ps = 1e12 / prof.ic_hz;
  }
  // Issues a transaction of `bytes` at t_ps straight into the interconnect (its multi-socket
  // binds callbacks only at the end of elaboration); returns its completion time.
  // `initiator`: a hardware thread's firmware context, or the DMA engines (no tag).
  uint64_t issue(uint64_t addr, uint32_t bytes, uint64_t t_ps, tlm::tlm_response_status* st = nullptr,
                 int initiator = kDmaInitiator) {
    std::vector<unsigned char> data(bytes);
    tlm::tlm_generic_payload gp;
    if (initiator != kDmaInitiator) gp.set_extension(new InitiatorId(initiator));
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(addr);
    gp.set_data_ptr(data.data());
    gp.set_data_length(bytes);
    gp.set_streaming_width(bytes);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_core::sc_time d = sc_core::sc_time::from_value(t_ps);
    ic.b_transport(0, gp, d);
    if (st) *st = gp.get_response_status();
    if (initiator != kDmaInitiator) gp.free_all_extensions();
    return d.value();  // SystemC time is 0
  }
  // Arbitration and address phase, then one beat per bus width of data.
  uint64_t service(uint32_t bytes) const {
    const auto bpc = static_cast<uint64_t>(prof.ic_bytes_per_cycle);
    return static_cast<uint64_t>((prof.ic_cycles_per_access + double((bytes + bpc - 1) / bpc)) * cycle_ps);
  }
  size_t hits(decode::Target t) const { return stubs[static_cast<size_t>(t)]->log.size(); }
  size_t total_hits() const {
    size_t n = 0;
    for (const auto& s : stubs) n += s->log.size();
    return n;
  }

  CardProfile prof;
  Interconnect ic;
  std::vector<std::unique_ptr<StubTarget>> stubs;
  double cycle_ps = 0;
};

TEST_F(InterconnectTest, RoutesBothEndsOfEveryRangeOfTheMapToItsBlock) {
  ASSERT_GT(std::size(decode::kRanges), 0u);
  for (const decode::Range& r : decode::kRanges) {
    for (const uint64_t a : {r.base, r.base + (r.size - 1)}) {
      const size_t before = hits(r.target), all = total_hits();
      tlm::tlm_response_status st{};
      issue(a, 4, 0, &st);
      EXPECT_EQ(st, tlm::TLM_OK_RESPONSE) << r.name << " at 0x" << std::hex << a;
      EXPECT_EQ(hits(r.target), before + 1) << r.name << " at 0x" << std::hex << a;
      EXPECT_EQ(total_hits(), all + 1) << "reached another block too: " << r.name;
    }
  }
}

TEST_F(InterconnectTest, FirmwareAddressesReachTheBlocksTheMapNames) {
  // The firmware's constants (card_map.hpp) and the decode table come from the same map.
  const std::pair<uint64_t, decode::Target> cases[] = {
      {cardmap::PKT_MEM_BASE, decode::Target::Memory},
      {cardmap::RX_RING_BASE, decode::Target::Memory},
      {cardmap::TX_BUF_BASE, decode::Target::Memory},
      {cardmap::FLOW_TABLE_BASE + 3 * cardmap::FLOW_TABLE_CORE_STRIDE, decode::Target::Memory},
      {cardmap::COUNTERS_BASE, decode::Target::Memory},
      {dfc::abi::CLS_KEY, decode::Target::Classifier},
      {dfc::abi::CLS_RESULT + (cardmap::CLS_CONTEXTS - 1) * uint64_t{cardmap::CLS_CTX_STRIDE},
       decode::Target::Classifier},
      {cardmap::HW_SEM_BASE + 4 * cardmap::HW_LOCK_CLASSIFIER, decode::Target::Semaphores},
  };
  for (const auto& [addr, target] : cases) {
    const size_t before = hits(target);
    issue(addr, 4, 0);
    EXPECT_EQ(hits(target), before + 1) << "0x" << std::hex << addr;
    EXPECT_EQ(stubs[static_cast<size_t>(target)]->log.back().addr, addr) << "the block sees the full address";
  }
}

TEST_F(InterconnectTest, UnmappedAddressGetsAnErrorAndReachesNoBlock) {
  const uint64_t after_contexts = dfc::abi::CLS_BASE + uint64_t{cardmap::CLS_CONTEXTS} * cardmap::CLS_CTX_STRIDE;
  for (const uint64_t a : {uint64_t{0}, uint64_t{dfc::abi::CLS_BASE} - 4, after_contexts,
                           uint64_t{cardmap::HW_SEM_BASE} + 0x1000, cardmap::PKT_MEM_BASE - 4}) {
    tlm::tlm_response_status st{};
    const uint64_t done = issue(a, 4, 1'000'000, &st);
    EXPECT_EQ(st, tlm::TLM_ADDRESS_ERROR_RESPONSE) << "0x" << std::hex << a;
    EXPECT_GE(done, 1'000'000u);  // the request still took its arbitration slot
  }
  EXPECT_EQ(total_hits(), 0u);
}

TEST_F(InterconnectTest, ServiceIsArbitrationPlusOneBeatPerBusWidth) {
  const uint64_t t = 10'000'000;
  EXPECT_EQ(issue(cardmap::PKT_MEM_BASE, 64, t), t + service(64));
  // ms400: 2 cycles of arbitration + 8 beats of 8 bytes at 500 MHz.
  EXPECT_EQ(service(64), 20'000u);
  EXPECT_EQ(issue(cardmap::PKT_MEM_BASE, 1, 2 * t), 2 * t + service(1));
  EXPECT_EQ(issue(cardmap::PKT_MEM_BASE, 17, 3 * t), 3 * t + service(17));
  EXPECT_EQ(ic.busy_ps(), service(64) + service(1) + service(17));
  EXPECT_EQ(ic.wait_ps(), 0u);
  std::vector<Usage> u;
  ic.usage(u);
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[0].name, "interconnect");
  EXPECT_EQ(u[0].busy_ps, ic.busy_ps());
  EXPECT_EQ(u[0].kind, Usage::Kind::MemorySystem);
  EXPECT_EQ(u[1].name, "data_ring");
  EXPECT_EQ(u[1].busy_ps, service(64) + service(1) + service(17));
  EXPECT_EQ(u[2].name, "message_ring");
  EXPECT_EQ(u[2].busy_ps, 0u);
  EXPECT_EQ(u[1].kind, Usage::Kind::Detail);
  EXPECT_EQ(u[2].kind, Usage::Kind::Detail);
}

TEST_F(InterconnectTest, OverlappingRequestsWaitForEachOtherOthersDoNot) {
  const uint64_t t = 10'000'000, s = service(64);
  EXPECT_EQ(issue(cardmap::PKT_MEM_BASE, 64, t), t + s);
  EXPECT_EQ(issue(cardmap::DRAM_BASE, 64, t), t + 2 * s);         // a core and a DMA engine collide
  EXPECT_EQ(issue(dfc::abi::CLS_KEY, 64, t + s), t + 3 * s);            // arrives while the second is served
  EXPECT_EQ(issue(cardmap::PKT_MEM_BASE, 64, t + 100 * s), t + 101 * s);  // later: free
  // A request issued last by the host but earlier in simulated time (a lagging core) does not
  // wait behind bookings in its future.
  EXPECT_EQ(issue(cardmap::PKT_MEM_BASE, 64, t / 2), t / 2 + s);
  EXPECT_EQ(ic.wait_ps(), 2 * s);  // the second and the third each waited one service
  EXPECT_EQ(ic.busy_ps(), 5 * s);
}

// The driver's descriptor words (a receive descriptor, a free-buffer entry, a transmit
// descriptor) written by the DMA engines are messages: they take the message ring, priced like
// the data ring, and do not wait behind data-ring traffic that overlaps them in time.
TEST_F(InterconnectTest, DescriptorRingsTravelOnTheMessageRingNotTheDataRing) {
  const uint64_t t = 10'000'000, s64 = service(64), s4 = service(4);
  EXPECT_EQ(issue(cardmap::PKT_MEM_BASE, 64, t), t + s64);  // a frame into its buffer: data ring
  EXPECT_EQ(issue(cardmap::RX_RING_BASE + 4, 4, t), t + s4);  // its descriptor at the same time
  EXPECT_EQ(issue(cardmap::FREE_RING_BASE + 64, 4, t), t + 2 * s4);  // behind the descriptor
  EXPECT_EQ(issue(cardmap::TX_RING_BASE, 16, t + 100 * s64), t + 100 * s64 + service(16));
  EXPECT_EQ(ic.data_ring_busy_ps(), s64);
  EXPECT_EQ(ic.message_ring_busy_ps(), 2 * s4 + service(16));
  EXPECT_EQ(ic.busy_ps(), std::max(s64, 2 * s4 + service(16)));
  EXPECT_EQ(ic.wait_ps(), s4);  // only the free-ring word waited (for the descriptor)
  EXPECT_EQ(ic.data_ring_transactions(), 1u);
  EXPECT_EQ(ic.message_ring_transactions(), 3u);
  EXPECT_EQ(hits(decode::Target::Memory), 4u);  // all of them reached the memory
}

// A hardware thread's own receive and transmit rings are its core's message-station buckets:
// taking a descriptor occupies no ring (only the memory behind it prices the access). The same
// words of a context on another core, and its own free-buffer ring (messages to the MAC), do.
TEST_F(InterconnectTest, AThreadsOwnCoresRingsAreItsMessageStation) {
  const auto tpc = static_cast<int>(prof.threads_per_core);
  ASSERT_EQ(tpc, 4);
  const int ctx = 5;  // core 1, thread 1
  const uint64_t rx_own = cardmap::RX_RING_BASE + 4 * cardmap::RING_STRIDE;    // context 4: core 1
  const uint64_t tx_own = cardmap::TX_RING_BASE + 7 * cardmap::RING_STRIDE;    // context 7: core 1
  const uint64_t rx_other = cardmap::RX_RING_BASE + 8 * cardmap::RING_STRIDE;  // context 8: core 2
  const uint64_t free_own = cardmap::FREE_RING_BASE + 5 * cardmap::RING_STRIDE + 64;
  const uint64_t t = 10'000'000, s4 = service(4);
  EXPECT_EQ(issue(rx_own + 4, 4, t, nullptr, ctx), t);  // no ring time at all
  EXPECT_EQ(issue(tx_own + 4, 4, t, nullptr, ctx), t);
  EXPECT_EQ(ic.busy_ps(), 0u);
  EXPECT_EQ(ic.station_accesses(), 2u);
  EXPECT_EQ(issue(rx_other + 4, 4, 2 * t, nullptr, ctx), 2 * t + s4);
  EXPECT_EQ(issue(free_own, 4, 3 * t, nullptr, ctx), 3 * t + s4);
  EXPECT_EQ(ic.message_ring_busy_ps(), 2 * s4);
  EXPECT_EQ(ic.data_ring_busy_ps(), 0u);
  // The same core's packet buffer is memory: the data ring.
  EXPECT_EQ(issue(cardmap::PKT_MEM_BASE, 38, 4 * t, nullptr, ctx), 4 * t + service(38));
  EXPECT_EQ(ic.data_ring_busy_ps(), service(38));
  EXPECT_EQ(hits(decode::Target::Memory), 5u);
  // ms400 at 500 MHz, 8 B per cycle, 2 cycles per access: a descriptor word 3 cycles, a 38-byte
  // header 7 cycles.
  EXPECT_EQ(s4, 6'000u);
  EXPECT_EQ(service(38), 14'000u);
}

}  // namespace
