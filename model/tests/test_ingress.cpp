// The IngressPort and the IngressDma on their own, fed by a scripted source, with a recording
// stub where the interconnect would be: the port spaces monitored frames at the line rate
// (control frames are not paced); the DMA writes each frame into its buffer slot and its
// descriptor into the receive ring, keeps at most ingress_buffer_packets waiting, drops and
// reports the rest, and serves control frames to core 0 only. Expected numbers come from the
// Ethernet framing and the profile's line rate, buffer count and descriptor size.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "block_harness.hpp"
#include "dfc/hal/card_map.hpp"
#include "ingress_dma.hpp"
#include "ingress_port.hpp"

namespace {
using namespace dfc;
using namespace dfc::model;
using namespace dfc::model::test;

// The packets given, in order, then End.
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

Packet frame(uint64_t id, size_t bytes, uint64_t t_ps, Unit unit = Unit::Monitor, LinkType link = LinkType::Ethernet) {
  Packet p;
  p.id = id;
  p.data.assign(bytes, 0);
  p.t_arrival_ps = t_ps;
  p.unit = unit;
  p.link = link;
  return p;
}

// Line time of a frame: padded to 64 bytes with its FCS, plus preamble, SFD and gap (20 bytes).
uint64_t line_ps(size_t frame_bytes, double bps) {
  return static_cast<uint64_t>(std::llround(double(std::max<size_t>(frame_bytes, 64) + 20) * 8.0 / bps * 1e12));
}

class IngressTest : public ::testing::Test {
 protected:
  IngressTest() : prof(load_profile("ms400")) {}
  void build() {
    port = std::make_unique<IngressPort>("port", prof, src, st);
    // Two contexts: 0 the control thread, 1 the one data thread.
    dma = std::make_unique<IngressDma>("dma", prof, *port, st, 2, 0, Distribution(Distribution::Key::Layer4, {1}));
    dma->socket.bind(bus.socket);
    dma->mem_port.bind(mem.socket);  // ring-state reads (driver mode only)
    dma->on_drop = [this](const Packet& p, const char* why) { drops.emplace_back(p.id, why); };
  }
  CardProfile prof;
  Script src;
  CardStats st;
  StubTarget bus{"bus"};
  StubTarget mem{"mem"};
  std::unique_ptr<IngressPort> port;
  std::unique_ptr<IngressDma> dma;
  std::vector<std::pair<uint64_t, std::string>> drops;
};

TEST_F(IngressTest, PortPacesMonitoredFramesAtTheLineRateButNotControlFrames) {
  const uint64_t w = line_ps(60 + 4, prof.ingress_bps);
  EXPECT_EQ(w, 67'200u);  // 84 bytes at 10 Gbit/s
  src.left = {frame(1, 60, 0), frame(2, 60, 0), frame(3, 100, 0, Unit::Monitor, LinkType::RawIp),
              frame(4, 300, 5'000, Unit::Control), frame(5, 60, 10'000'000)};
  build();
  Packet p;
  uint64_t idle = 0;
  std::vector<uint64_t> at;
  while (port->pull(p, UINT64_MAX, idle) == IngressPort::Pull::Packet) at.push_back(p.t_arrival_ps);
  const uint64_t raw = line_ps(100 + 4 + 14, prof.ingress_bps);  // raw IP gets an Ethernet header
  // A frame's last bit cannot arrive before the line delivered it after the previous one; a
  // frame long after the previous one arrives when the source says.
  EXPECT_EQ(at, (std::vector<uint64_t>{w, 2 * w, 2 * w + raw, 5'000, 10'000'000}));
  EXPECT_EQ(port->busy_ps(), 3 * w + raw);
  EXPECT_EQ(st.monitor_offered, 4u);
  EXPECT_EQ(st.ingress_packets, 5u);
  EXPECT_EQ(st.monitor_first_arrival_ps, w);
  EXPECT_EQ(st.monitor_last_arrival_ps, 10'000'000u);
  std::vector<Usage> u;
  port->usage(u);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].name, "ingress");
  EXPECT_EQ(u[0].busy_ps, port->busy_ps());
}

TEST_F(IngressTest, DmaWritesTheFrameAndItsDescriptorIntoSlotsThatWrapAtTheRingSize) {
  prof.ingress_buffer_packets = 2;
  prof.rx_ring_entries = 2;
  src.left = {frame(1, 60, 0), frame(2, 3000, 0), frame(3, 60, 0)};
  build();
  const uint64_t desc = static_cast<uint64_t>(prof.descriptor_bytes);
  const uint64_t w = line_ps(64, prof.ingress_bps);
  const uint64_t arrival[] = {w, w + line_ps(3004, prof.ingress_bps), 2 * w + line_ps(3004, prof.ingress_bps)};
  Packet p;
  uint64_t until = 0;
  for (uint64_t id = 1; id <= 3; ++id) {
    // A core takes each packet when it arrives, so its slot is free again before the next one.
    ASSERT_EQ(dma->take(1, arrival[id - 1], UINT64_MAX, p, until), IngressDma::Take::Packet);
    EXPECT_EQ(p.id, id);
    EXPECT_EQ(p.t_arrival_ps, arrival[id - 1]);
  }
  ASSERT_EQ(bus.log.size(), 6u);
  const uint64_t slot_of[] = {0, 1, 0};
  for (size_t i = 0; i < 3; ++i) {
    const Access& buf = bus.log[2 * i];
    const Access& d = bus.log[2 * i + 1];
    EXPECT_EQ(buf.addr, cardmap::PKT_MEM_BASE + slot_of[i] * cardmap::PKT_BUF_BYTES);
    EXPECT_TRUE(buf.write);
    // The data thread's ring (context 1), at its producer index modulo the ring size.
    EXPECT_EQ(d.addr, cardmap::RX_RING_BASE + cardmap::RING_STRIDE + slot_of[i] * desc);
    EXPECT_EQ(d.bytes, desc);
    EXPECT_EQ(d.t_ps, buf.t_ps);  // both at the frame's arrival
  }
  EXPECT_EQ(bus.log[0].bytes, 60u);
  EXPECT_EQ(bus.log[2].bytes, cardmap::PKT_BUF_BYTES);  // a frame never spills out of its buffer
  EXPECT_EQ(bus.log[0].t_ps, w);
  EXPECT_EQ(dma->take(1, 10'000'000, UINT64_MAX, p, until), IngressDma::Take::End);
  EXPECT_TRUE(drops.empty());
}

TEST_F(IngressTest, AFullRingDropsCountsAndReportsEachPacket) {
  prof.ingress_buffer_packets = 3;
  for (uint64_t id = 1; id <= 5; ++id) src.left.push_back(frame(id, 60, 0));
  build();
  Packet p;
  uint64_t until = 0;
  // Nobody takes anything until all five arrived: three wait in the ring, two find it full.
  std::vector<uint64_t> got;
  while (dma->take(1, 1'000'000, UINT64_MAX, p, until) == IngressDma::Take::Packet) got.push_back(p.id);
  EXPECT_EQ(got, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(drops, (std::vector<std::pair<uint64_t, std::string>>{{4, "ingress_buffer_full"},
                                                                   {5, "ingress_buffer_full"}}));
  EXPECT_EQ(st.ingress_dropped_buffer, 2u);
  EXPECT_EQ(st.ingress_buffer_peak, 3u);
  EXPECT_EQ(bus.log.size(), 2u * 3);  // dropped frames are never written
}

TEST_F(IngressTest, NothingArrivedYetMeansWaitUntilTheNextArrival) {
  src.left = {frame(1, 60, 5'000'000)};
  build();
  Packet p;
  uint64_t until = 0;
  EXPECT_EQ(dma->take(1, 1'000'000, UINT64_MAX, p, until), IngressDma::Take::Wait);
  EXPECT_EQ(until, 5'000'000u);
  EXPECT_EQ(dma->take(1, until, UINT64_MAX, p, until), IngressDma::Take::Packet);
}

TEST_F(IngressTest, AFullThreadRingDropsEvenWithBuffersFree) {
  prof.rx_ring_entries = 2;
  for (uint64_t id = 1; id <= 4; ++id) src.left.push_back(frame(id, 60, 0));
  build();
  Packet p;
  uint64_t until = 0;
  std::vector<uint64_t> got;
  while (dma->take(1, 1'000'000, UINT64_MAX, p, until) == IngressDma::Take::Packet) got.push_back(p.id);
  EXPECT_EQ(got, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(drops, (std::vector<std::pair<uint64_t, std::string>>{{3, "rx_ring_full"}, {4, "rx_ring_full"}}));
  EXPECT_EQ(st.ingress_dropped_ring, 2u);
  EXPECT_EQ(st.ingress_dropped_buffer, 0u);
}

TEST_F(IngressTest, ControlFramesGoToTheControlThreadDataToTheDataThread) {
  const uint64_t w = line_ps(64, prof.ingress_bps);
  src.left = {frame(1, 200, 1'000, Unit::Control), frame(2, 60, 0), frame(3, 60, 0),
              frame(4, 200, 900'000, Unit::Control)};
  build();
  Packet p;
  uint64_t until = 0;
  const uint64_t t = 1'000'000;  // everything has arrived: control 1 ns and 900 ns, data w and 2w
  ASSERT_EQ(dma->take(0, t, UINT64_MAX, p, until), IngressDma::Take::Packet);
  EXPECT_EQ(p.id, 1u);  // the control ring, in arrival order
  ASSERT_EQ(dma->take(0, t, UINT64_MAX, p, until), IngressDma::Take::Packet);
  EXPECT_EQ(p.id, 4u);
  EXPECT_EQ(dma->take(0, t, UINT64_MAX, p, until), IngressDma::Take::End);
  ASSERT_EQ(dma->take(1, t, UINT64_MAX, p, until), IngressDma::Take::Packet);
  EXPECT_EQ(p.id, 2u);
  EXPECT_EQ(p.t_arrival_ps, w);
  ASSERT_EQ(dma->take(1, t, UINT64_MAX, p, until), IngressDma::Take::Packet);
  EXPECT_EQ(p.id, 3u);
  EXPECT_EQ(dma->take(1, t, UINT64_MAX, p, until), IngressDma::Take::End);
}

// The port delays monitored frames behind its line rate, not DTCP (its own interface): a request
// pulled after a backlog of frames can arrive before them. The control thread must get it at
// its own arrival time, not when the backlog's frame arrives; with the staged packets out of
// arrival order the control thread was told to wait for the request, found it not admitted
// (the frame ahead of it had not arrived), and woke again at the same time for ever.
TEST_F(IngressTest, ARequestBehindABackloggedFrameIsTakenAtItsOwnArrival) {
  const uint64_t w = line_ps(1518, prof.ingress_bps);  // about 1.2 us per frame
  src.left = {frame(1, 1514, 0), frame(2, 1514, 0), frame(3, 1514, 0), frame(4, 200, 1'000, Unit::Control)};
  build();
  Packet p;
  uint64_t until = 0;
  // At 1.5 us frame 1 (arrives at w) and the request (1 ns) are in; frames 2 and 3 are not.
  const uint64_t t = w + 300'000;
  ASSERT_LT(t, 2 * w);
  ASSERT_EQ(dma->take(0, t, UINT64_MAX, p, until), IngressDma::Take::Packet);
  EXPECT_EQ(p.id, 4u);
  EXPECT_EQ(p.t_arrival_ps, 1'000u);
  // Nothing more for the control ring: it sleeps until the last staged arrival, in the future.
  ASSERT_EQ(dma->take(0, t, UINT64_MAX, p, until), IngressDma::Take::Wait);
  EXPECT_GT(until, t);
  ASSERT_EQ(dma->take(1, t, UINT64_MAX, p, until), IngressDma::Take::Packet);
  EXPECT_EQ(p.id, 1u);
  ASSERT_EQ(dma->take(1, t, UINT64_MAX, p, until), IngressDma::Take::Wait);
  EXPECT_EQ(until, 2 * w);  // frame 2, behind frame 1 on the line
}

}  // namespace
