// The card model's ingress buffer on its own: packets that arrive while the buffer is full
// are dropped, each drop is counted (CardStats::ingress_dropped_buffer) and reported to the
// drop sink with the packet that was dropped, and packets arriving after the backlog drains
// are served again. The firmware here is a stub that burns a fixed number of cycles, so the
// expected drops follow from the queue arithmetic alone (computed below, not by the model).
// SystemC elaborates once per process: one simulation, one TEST.
#include <gtest/gtest.h>

#include <systemc>

#include <algorithm>
#include <memory>
#include <vector>

#include "card.hpp"
#include "classifier/classifier_ref.hpp"

namespace {

using namespace dfc;

class BurnFirmware : public fw::FirmwareApp {
 public:
  BurnFirmware(Hal& hal, std::vector<uint64_t>& seen) : hal_(hal), seen_(seen) {}
  void on_packet(const Packet& p) override {
    seen_.push_back(p.id);
    hal_.consume_cycles(kCycles);
  }
  void on_timer() override {}
  static constexpr uint64_t kCycles = 10'000;  // 10 us at 1 GHz

 private:
  Hal& hal_;
  std::vector<uint64_t>& seen_;
};

// Ten monitored 64-byte frames offered at t = 0 (the ingress port spaces them at the line
// rate, 67.2 ns apart at 10 Gbit/s), then one at 1 ms. Monitored, not control: control frames
// go to the control core only (IngressDma::take), and this is about the shared data ring.
class BurstSource : public model::IngressSource {
 public:
  Next next(Packet& out, uint64_t, uint64_t&) override {
    if (n_ >= 11) return Next::End;
    out = Packet{};
    out.unit = Unit::Monitor;
    out.id = ++n_;
    out.data.assign(64, 0);
    out.t_arrival_ps = n_ <= 10 ? 0 : 1'000'000'000ull;
    return Next::Packet;
  }

 private:
  uint64_t n_ = 0;
};

TEST(CardIngress, FullBufferDropsAreCountedAndReportedPerPacket) {
  model::CardProfile prof = model::profile_by_name("ms400");
  prof.cores = 1;  // one thread: the control thread also takes the traffic
  prof.threads_per_core = 1;
  prof.core_hz = 1.0e9;
  prof.ingress_buffer_packets = 3;
  std::vector<uint64_t> seen;
  std::vector<std::pair<uint64_t, std::string>> dropped;
  BurstSource src;
  model::Card card(
      "card", prof, std::make_unique<model::ClassifierRef>(64),
      [&](Hal& h) { return std::make_unique<BurnFirmware>(h, seen); }, src, nullptr, nullptr, 0);
  card.set_drop_sink([&](const Packet& p, const char* why) { dropped.emplace_back(p.id, why); });
  sc_core::sc_start();

  // Queue arithmetic: packet 1 starts on the one thread at once, the buffers hold three
  // waiting ones (2, 3, 4), and 5..10 (all in by 0.7 us, long before the thread frees at
  // 10 us) find them all in use. Packet 11 arrives after everything drained (4 x 10 us << 1 ms)
  // and is served.
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4, 11}));
  ASSERT_EQ(dropped.size(), 6u);
  for (size_t i = 0; i < dropped.size(); ++i) {
    EXPECT_EQ(dropped[i].first, 5 + i);
    EXPECT_EQ(dropped[i].second, "ingress_buffer_full");
  }
  const auto& s = card.stats();
  EXPECT_EQ(s.ingress_dropped_buffer, 6u);
  EXPECT_EQ(s.ingress_packets, 11u);
  EXPECT_EQ(s.monitor_packets, 5u);
  EXPECT_EQ(s.ingress_packets, s.control_packets + s.monitor_packets + s.ingress_dropped_buffer);
  EXPECT_EQ(s.ingress_buffer_peak, 3u);
}

}  // namespace

// SystemC's QuickThreads stacks look like leaks to LeakSanitizer (toolchain notes §2.4): the
// sanitizer build runs this SystemC test with leak checking off, as it does the testbench's.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
