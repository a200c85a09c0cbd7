// The descriptor-ring driver on the fake HAL, against FakeDma (fake_hal.hpp), which plays the
// card's DMA engines from the address map alone: boot, delivery and hand-back, wrap-around,
// full rings on both sides, per-context rings, and the firmware's routing of polled frames.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/fw/driver.hpp"
#include "dfc/fw/firmware.hpp"
#include "dfc/hal/card_map.hpp"
#include "fake_hal.hpp"

using namespace dfc;
using namespace dfc::fw;

namespace {

uint64_t rx_w1(unsigned ctx, uint32_t slot) {
  return cardmap::RX_RING_BASE + ctx * cardmap::RING_STRIDE + slot * cardmap::RX_DESC_BYTES + 4;
}
uint64_t producer(unsigned ctx) { return cardmap::FREE_RING_BASE + ctx * cardmap::RING_STRIDE; }
uint64_t free_entry(unsigned ctx, uint64_t i) {
  return producer(ctx) + cardmap::FREE_RING_ENTRIES_OFFSET + 4 * (i % cardmap::FREE_RING_SLOTS);
}
uint64_t tx_w(unsigned ctx, uint32_t slot, unsigned word) {
  return cardmap::TX_RING_BASE + ctx * cardmap::RING_STRIDE + slot * cardmap::TX_DESC_BYTES + 4 * word;
}

Packet frame(uint8_t tag, size_t bytes = 60) {
  Packet p;
  p.data.assign(bytes, tag);
  return p;
}

struct Rig {
  test::FakeHal hal{64};
  DriverOptions opt;
  std::unique_ptr<Driver> drv;
  std::unique_ptr<test::FakeDma> dma;
  std::vector<std::pair<uint8_t, bool>> got;  // (first byte, control) per delivered frame
  Driver::Handler h = [this](const Packet& p, bool control) { got.push_back({p.data.at(0), control}); };

  explicit Rig(unsigned contexts = 1, uint32_t rx = 8, uint32_t tx = 8, uint32_t bufs = 8) {
    opt.enabled = true;
    opt.contexts = contexts;
    opt.rx_ring_entries = rx;
    opt.tx_ring_entries = tx;
    opt.buffers_per_context = bufs;
    drv = std::make_unique<Driver>(hal, opt);
    dma = std::make_unique<test::FakeDma>(hal, contexts, rx, tx);
  }
};

TEST(Driver, BootPostsEveryBufferAndClearsTheRings) {
  Rig r(2, 4, 4, 6);
  // Memory left owned by an earlier run: boot must hand every slot back.
  for (uint32_t s = 0; s < 4; ++s) r.hal.dmem[rx_w1(1, s)] = cardmap::RX_DESC_OWN | 60;
  r.hal.dmem[tx_w(1, 2, 1)] = cardmap::TX_DESC_OWN | 60;
  r.drv->boot_all();
  for (unsigned c = 0; c < 2; ++c) {
    EXPECT_EQ(r.hal.word(producer(c)), 6u) << "context " << c;
    for (uint32_t i = 0; i < 6; ++i)
      EXPECT_EQ(r.hal.word(free_entry(c, i)), (c * 6 + i) * cardmap::PKT_BUF_BYTES) << "context " << c << " entry " << i;
    for (uint32_t s = 0; s < 4; ++s) {
      EXPECT_EQ(r.hal.word(rx_w1(c, s)), 0u);
      EXPECT_EQ(r.hal.word(tx_w(c, s, 1)), 0u);
    }
  }
  EXPECT_GT(r.hal.stores, 0u) << "boot works through the HAL's priced stores";
}

TEST(Driver, PollOnAnEmptyRingFindsNothingAndTouchesOnlyTheOwnershipWord) {
  Rig r;
  r.drv->boot_all();
  const uint64_t loads = r.hal.loads, stores = r.hal.stores;
  EXPECT_FALSE(r.drv->poll(r.h));
  EXPECT_TRUE(r.got.empty());
  EXPECT_EQ(r.hal.loads - loads, 1u);
  EXPECT_EQ(r.hal.stores, stores);
  EXPECT_EQ(r.drv->stats().rx_empty_polls, 1u);
  EXPECT_EQ(r.drv->stats().rx_packets, 0u);
}

TEST(Driver, AFrameIsDeliveredOnceItsSlotHandedBackAndItsBufferReposted) {
  Rig r;
  r.drv->boot_all();
  ASSERT_TRUE(r.dma->receive(0, frame(0x11)));
  const uint32_t buf = r.dma->last_buffer;
  ASSERT_NE(r.hal.word(rx_w1(0, 0)) & cardmap::RX_DESC_OWN, 0u);
  EXPECT_TRUE(r.drv->poll(r.h));
  ASSERT_EQ(r.got.size(), 1u);
  EXPECT_EQ(r.got[0].first, 0x11);
  EXPECT_FALSE(r.got[0].second);
  EXPECT_EQ(r.hal.word(rx_w1(0, 0)), 0u) << "slot handed back to the DMA";
  EXPECT_EQ(r.hal.word(producer(0)), 9u) << "one buffer re-posted after the 8 of boot";
  EXPECT_EQ(r.hal.word(free_entry(0, 8)), buf) << "the frame's own buffer goes back";
  EXPECT_FALSE(r.drv->poll(r.h)) << "delivered once";
  EXPECT_EQ(r.got.size(), 1u);
  EXPECT_EQ(r.drv->rx_head(0), 1u);
  // The frame's bytes are declared once (dfcsim calibrate prices the image's copy of them).
  EXPECT_EQ(r.hal.worked(Hal::Work::FrameByte), 60u);
  EXPECT_EQ(r.hal.worked(Hal::Work::PacketLoop), 1u);
}

TEST(Driver, RingsWrapAround) {
  Rig r(1, 4, 4, 4);
  r.drv->boot_all();
  for (uint8_t i = 0; i < 11; ++i) {
    ASSERT_TRUE(r.dma->receive(0, frame(i))) << "frame " << int(i);
    ASSERT_TRUE(r.drv->poll(r.h)) << "frame " << int(i);
  }
  ASSERT_EQ(r.got.size(), 11u);
  for (uint8_t i = 0; i < 11; ++i) EXPECT_EQ(r.got[i].first, i);
  EXPECT_EQ(r.drv->rx_head(0), 11u % 4);
  EXPECT_EQ(r.hal.word(producer(0)), 4u + 11u);
  EXPECT_EQ(r.dma->dropped_ring_full + r.dma->dropped_no_buffer, 0u);
}

TEST(Driver, AFullRingMakesTheDmaDropUntilTheDriverCatchesUp) {
  Rig r(1, 4, 4, 8);
  r.drv->boot_all();
  for (uint8_t i = 0; i < 4; ++i) ASSERT_TRUE(r.dma->receive(0, frame(i)));
  EXPECT_FALSE(r.dma->receive(0, frame(99))) << "every slot still owned by software";
  EXPECT_EQ(r.dma->dropped_ring_full, 1u);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(r.drv->poll(r.h));
  EXPECT_FALSE(r.drv->poll(r.h));
  ASSERT_EQ(r.got.size(), 4u);
  EXPECT_EQ(r.got[3].first, 3);
  EXPECT_TRUE(r.dma->receive(0, frame(5)));
  EXPECT_TRUE(r.drv->poll(r.h));
  EXPECT_EQ(r.got.back().first, 5);
}

TEST(Driver, TooFewBuffersMakeTheDmaDropAndRecycledOnesServeAgain) {
  Rig r(1, 8, 4, 2);
  r.drv->boot_all();
  ASSERT_TRUE(r.dma->receive(0, frame(1)));
  ASSERT_TRUE(r.dma->receive(0, frame(2)));
  EXPECT_FALSE(r.dma->receive(0, frame(3)));
  EXPECT_EQ(r.dma->dropped_no_buffer, 1u);
  EXPECT_TRUE(r.drv->poll(r.h));
  EXPECT_TRUE(r.dma->receive(0, frame(4))) << "the polled frame's buffer is free again";
}

TEST(Driver, AnOwnedSlotWithoutAFrameIsCountedAndRecycled) {
  Rig r(1, 4, 4, 4);
  r.drv->boot_all();
  ASSERT_TRUE(r.dma->receive(0, frame(1)));
  r.hal.frames.clear();  // the buffer holds nothing the host can name
  EXPECT_TRUE(r.drv->poll(r.h));
  EXPECT_TRUE(r.got.empty());
  EXPECT_EQ(r.drv->stats().rx_errors, 1u);
  EXPECT_EQ(r.hal.word(rx_w1(0, 0)), 0u);
  EXPECT_EQ(r.hal.word(producer(0)), 5u);
}

TEST(Driver, TransmitWritesTheDescriptorAndAFullRingCountsAndDrops) {
  Rig r(1, 4, 2, 4);
  r.drv->boot_all();
  EXPECT_TRUE(r.drv->tx(frame(1, 100)));
  EXPECT_TRUE(r.drv->tx(frame(2, 120)));
  ASSERT_EQ(r.hal.sent.size(), 2u);
  EXPECT_EQ(r.hal.word(tx_w(0, 0, 1)), cardmap::TX_DESC_OWN | 100u);
  EXPECT_EQ(r.hal.word(tx_w(0, 1, 1)), cardmap::TX_DESC_OWN | 120u);
  const uint64_t buf1 = cardmap::PKT_MEM_BASE + r.hal.word(tx_w(0, 1, 0));
  EXPECT_EQ(r.hal.sent[1].buf_addr, buf1) << "the copy names the buffer its descriptor points at";
  EXPECT_GE(buf1, cardmap::TX_BUF_BASE);
  EXPECT_NE(r.hal.word(tx_w(0, 0, 0)), r.hal.word(tx_w(0, 1, 0)));
  EXPECT_FALSE(r.drv->tx(frame(3))) << "hardware still owns the tail slot";
  EXPECT_EQ(r.drv->stats().tx_ring_full, 1u);
  EXPECT_EQ(r.hal.sent.size(), 2u);
  EXPECT_EQ(r.dma->complete_tx(0), 2u);
  EXPECT_TRUE(r.drv->tx(frame(4)));
  EXPECT_EQ(r.drv->stats().tx_packets, 3u);
}

TEST(Driver, ARefusedDoorbellTakesTheDescriptorBack) {
  Rig r(1, 4, 2, 4);
  r.drv->boot_all();
  r.hal.tx_full = true;
  EXPECT_FALSE(r.drv->tx(frame(1)));
  EXPECT_EQ(r.hal.word(tx_w(0, 0, 1)), 0u);
  EXPECT_EQ(r.drv->stats().tx_refused, 1u);
  r.hal.tx_full = false;
  EXPECT_TRUE(r.drv->tx(frame(2)));
  EXPECT_NE(r.hal.word(tx_w(0, 0, 1)) & cardmap::TX_DESC_OWN, 0u) << "the same slot, reused";
}

TEST(Driver, TwoContextsKeepSeparateRings) {
  Rig r(2, 4, 4, 4);
  r.drv->boot_all();
  ASSERT_TRUE(r.dma->receive(1, frame(7)));
  EXPECT_GE(r.dma->last_buffer, 4 * cardmap::PKT_BUF_BYTES) << "context 1's buffers follow context 0's";
  r.hal.core = 0;
  EXPECT_FALSE(r.drv->poll(r.h)) << "context 0 sees only its own ring";
  r.hal.core = 1;
  EXPECT_TRUE(r.drv->poll(r.h));
  ASSERT_EQ(r.got.size(), 1u);
  EXPECT_EQ(r.got[0].first, 7);
  EXPECT_EQ(r.hal.word(producer(0)), 4u);
  EXPECT_EQ(r.hal.word(producer(1)), 5u);
  EXPECT_EQ(r.drv->stats(0).rx_empty_polls, 1u);
  EXPECT_EQ(r.drv->stats(1).rx_packets, 1u);
  EXPECT_TRUE(r.drv->tx(frame(8)));
  EXPECT_NE(r.hal.word(tx_w(1, 0, 1)) & cardmap::TX_DESC_OWN, 0u);
  EXPECT_EQ(r.hal.word(tx_w(0, 0, 1)), 0u);
  r.hal.core = 2;
  EXPECT_THROW(r.drv->poll(r.h), std::logic_error) << "a context the driver was not configured for";
}

TEST(Driver, OptionsThatDoNotFitTheAddressMapAreRefused) {
  test::FakeHal hal;
  auto make = [&](auto edit) {
    DriverOptions o;
    edit(o);
    Driver d(hal, o);
  };
  EXPECT_THROW(make([](DriverOptions& o) { o.rx_ring_entries = 0; }), std::invalid_argument);
  EXPECT_THROW(make([](DriverOptions& o) { o.rx_ring_entries = 5000; }), std::invalid_argument);
  EXPECT_THROW(make([](DriverOptions& o) { o.tx_ring_entries = 5000; }), std::invalid_argument);
  EXPECT_THROW(make([](DriverOptions& o) { o.buffers_per_context = 20000; }), std::invalid_argument);
  EXPECT_THROW(make([](DriverOptions& o) { o.contexts = 0; }), std::invalid_argument);
  EXPECT_THROW(make([](DriverOptions& o) { o.contexts = 32, o.buffers_per_context = 8192; }), std::invalid_argument);
  EXPECT_NO_THROW(make([](DriverOptions& o) { o.contexts = 32, o.rx_ring_entries = 4096, o.tx_ring_entries = 4096; }));
}

// ---- The firmware over the driver ----

const char* kConfig = R"(dynamic-flow-capture {
  capture-group g1 {
    control-source a { service-port 2400; shared-key ka; notification-targets 10.0.0.1 port 2100; }
    content-destination cd1 { address 10.9.1.1; }
  }
})";

struct FwRig {
  config::DfcConfig cfg = config::parse_config(kConfig, "driver.conf");
  test::FakeHal hal{1024};
  std::unique_ptr<Firmware> fw;
  std::unique_ptr<test::FakeDma> dma;
  uint64_t seq = 100;
  explicit FwRig(uint32_t tx_entries = 8) {
    hal.advance_to(1'000'000'000ull);
    FirmwareOptions o;
    o.driver.enabled = true;
    o.driver.contexts = 2;
    o.driver.rx_ring_entries = 8;
    o.driver.tx_ring_entries = tx_entries;
    o.driver.buffers_per_context = 8;
    fw = std::make_unique<Firmware>(cfg, hal, o);
    dma = std::make_unique<test::FakeDma>(hal, 2, 8, tx_entries);
  }
  Packet request(const std::string& body) {
    const std::string text = dtcp::sign(body + "Csource-ID: a\r\nSeq: " + std::to_string(++seq) + "\r\n", "ka");
    Packet p;
    p.unit = Unit::Control;
    p.data.assign(text.begin(), text.end());
    p.src_ip = "10.0.0.50";
    p.src_port = 5000;
    p.dst_ip = "192.0.2.1";
    p.dst_port = 2400;
    return p;
  }
  static Packet monitored() {  // UDP 10.5.5.5 -> 10.1.1.1:53
    std::vector<uint8_t> d = {0x45, 0, 0, 36, 0, 0, 0, 0, 64, 17, 0, 0, 10, 5, 5, 5,
                              10, 1, 1, 1, 0x30, 0x39, 0, 53, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    Packet p;
    p.data = d;
    return p;
  }
};

TEST(FirmwareDriver, ControlFramesReachDtcpAndOthersThePipeline) {
  FwRig r;
  EXPECT_NE(r.fw->driver(), nullptr);
  EXPECT_EQ(r.hal.word(producer(1)), 8u) << "the constructor boots every context";
  EXPECT_FALSE(r.fw->on_poll());
  ASSERT_TRUE(r.dma->receive(0, r.request("ADD DTCP/0.7\r\nCdest-ID: cd1\r\nDest-Address: 10.1.1.1\r\nFlags: Static\r\n"),
                             /*control=*/true));
  EXPECT_TRUE(r.fw->on_poll());
  ASSERT_EQ(r.hal.sent.size(), 1u);
  const std::string reply(r.hal.sent[0].data.begin(), r.hal.sent[0].data.end());
  EXPECT_NE(reply.find(" 200 "), std::string::npos) << reply;
  EXPECT_EQ(r.fw->pipeline_stats().packets_in, 0u);
  r.hal.sent.clear();
  ASSERT_TRUE(r.dma->receive(0, FwRig::monitored()));
  EXPECT_TRUE(r.fw->on_poll());
  EXPECT_EQ(r.fw->pipeline_stats().packets_in, 1u);
  ASSERT_EQ(r.hal.sent.size(), 1u);
  EXPECT_EQ(r.hal.sent[0].unit, Unit::Copies);
  EXPECT_EQ(r.hal.word(tx_w(0, 0, 1)), cardmap::TX_DESC_OWN | static_cast<uint32_t>(r.hal.sent[0].data.size()))
      << "the copy left through context 0's transmit ring";
  EXPECT_EQ(r.fw->driver()->stats().rx_packets, 2u);
}

TEST(FirmwareDriver, TheDescriptorBitRoutesNotThePacketsUnitField) {
  FwRig r;
  Packet p = r.request("LIST DTCP/0.7\r\nFlags: Criteria\r\n");
  p.unit = Unit::Monitor;  // what the host object says; the descriptor says control
  ASSERT_TRUE(r.dma->receive(0, p, /*control=*/true));
  EXPECT_TRUE(r.fw->on_poll());
  EXPECT_EQ(r.fw->pipeline_stats().packets_in, 0u);
  EXPECT_FALSE(r.hal.sent.empty()) << "DTCP answered";
}

TEST(FirmwareDriver, CopiesDropWhenTheTransmitRingIsFull) {
  FwRig r(1);
  ASSERT_TRUE(r.dma->receive(0, r.request("ADD DTCP/0.7\r\nCdest-ID: cd1\r\nDest-Address: 10.1.1.1\r\nFlags: Static\r\n"), true));
  ASSERT_TRUE(r.fw->on_poll());
  r.hal.sent.clear();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(r.dma->receive(0, FwRig::monitored()));
    ASSERT_TRUE(r.fw->on_poll());
  }
  EXPECT_EQ(r.hal.sent.size(), 1u);
  EXPECT_EQ(r.fw->pipeline_stats().copies_sent, 1u);
  EXPECT_EQ(r.fw->pipeline_stats().copies_dropped_tx_queue, 1u);
  EXPECT_EQ(r.fw->driver()->stats().tx_ring_full, 1u);
  EXPECT_EQ(r.dma->complete_tx(0), 1u);
  ASSERT_TRUE(r.dma->receive(0, FwRig::monitored()));
  ASSERT_TRUE(r.fw->on_poll());
  EXPECT_EQ(r.fw->pipeline_stats().copies_sent, 2u);
}

TEST(FirmwareDriver, OffByDefaultTheFirmwareTouchesNoDescriptorMemory) {
  config::DfcConfig cfg = config::parse_config(kConfig, "driver.conf");
  test::FakeHal hal;
  Firmware fw(cfg, hal);
  EXPECT_EQ(fw.driver(), nullptr);
  EXPECT_FALSE(fw.on_poll());
  fw.on_packet(FwRig::monitored());
  EXPECT_EQ(hal.loads + hal.stores, 0u);
}

}  // namespace
