// The whole firmware (DTCP server + pipeline, as the card hosts it) on the fake HAL with two
// capture groups that both define cd1 and cd2 (other addresses, other max-duplicates):
// copies reach each group's own addresses, each group's max-duplicates limits its own copies,
// and overlapping criteria do not raise a false 580 (docs/dtcp-conformance.md §13).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "fake_hal.hpp"

namespace {

const char* kTwoGroups = R"(dynamic-flow-capture {
  capture-group g1 {
    max-duplicates 1;
    control-source a { service-port 2400; shared-key ka; notification-targets 10.0.0.1 port 2100; }
    content-destination cd1 { address 10.9.1.1; }
    content-destination cd2 { address 10.9.1.2; soft-limit 100k; soft-limit-clear 50k; }
  }
  capture-group g2 {
    max-duplicates 2;
    control-source b { service-port 2401; shared-key kb; notification-targets 10.0.0.2 port 2100; }
    content-destination cd1 { address 10.9.2.1; }
    content-destination cd2 { address 10.9.2.2; }
  }
})";

struct Rig {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(kTwoGroups, "two.conf");
  dfc::test::FakeHal hal{1024};
  std::unique_ptr<dfc::fw::Firmware> fw;
  uint64_t seq = 100;
  Rig() {
    hal.advance_to(1'000'000'000ull);
    fw = std::make_unique<dfc::fw::Firmware>(cfg, hal);
  }
  int request(const std::string& cs, const std::string& key, uint16_t port, const std::string& body) {
    const std::string text =
        dfc::dtcp::sign(body + "Csource-ID: " + cs + "\r\nSeq: " + std::to_string(++seq) + "\r\n", key);
    dfc::Packet p;
    p.unit = dfc::Unit::Control;
    p.data.assign(text.begin(), text.end());
    p.src_ip = "10.0.0.50";
    p.src_port = 5000;
    p.dst_ip = "192.0.2.1";
    p.dst_port = port;
    hal.sent.clear();
    fw->on_packet(p);
    for (const auto& r : hal.sent)
      if (r.dst_port == 5000) {
        const std::string s(r.data.begin(), r.data.end());
        return std::stoi(s.substr(s.find(' ') + 1, 3));
      }
    return 0;
  }
  int add(const std::string& cs, const std::string& key, uint16_t port, const std::string& cd, int prio) {
    return request(cs, key, port,
                   "ADD DTCP/0.7\r\nCdest-ID: " + cd + "\r\nDest-Address: 10.1.1.1\r\nFlags: Static\r\nPriority: " +
                       std::to_string(prio) + "\r\n");
  }
  // One UDP packet 10.5.5.5 -> 10.1.1.1; returns the copies sent, by outer destination.
  std::map<std::string, int> packet(size_t payload = 100) {
    const size_t tot = 28 + payload;
    std::vector<uint8_t> d = {0x45, 0, uint8_t(tot >> 8), uint8_t(tot), 0, 0, 0, 0, 64, 17, 0, 0, 10, 5, 5, 5,
                              10, 1, 1, 1, 0x30, 0x39, 0, 53, uint8_t((8 + payload) >> 8), uint8_t(8 + payload), 0, 0};
    d.resize(tot, 0xab);
    dfc::Packet p;
    p.data = d;
    p.unit = dfc::Unit::Monitor;
    hal.sent.clear();
    fw->on_packet(p);
    std::map<std::string, int> out;
    for (const auto& c : hal.sent)
      if (c.unit == dfc::Unit::Copies)
        ++out[std::to_string(c.data[16]) + "." + std::to_string(c.data[17]) + "." + std::to_string(c.data[18]) + "." +
              std::to_string(c.data[19]) + " " + c.cdest_id];
    return out;
  }
};

TEST(FirmwareGroups, EachGroupsCopiesGoToItsOwnAddressesWithinItsOwnMaxDuplicates) {
  Rig r;
  ASSERT_EQ(r.add("a", "ka", 2400, "cd1", 1), 200);
  ASSERT_EQ(r.add("a", "ka", 2400, "cd2", 2), 200);
  ASSERT_EQ(r.add("b", "kb", 2401, "cd1", 3), 200);
  ASSERT_EQ(r.add("b", "kb", 2401, "cd2", 4), 200);
  // g1 (max-duplicates 1): only its best, cd1 at 10.9.1.1; g2 (2): both of its own.
  EXPECT_EQ(r.packet(), (std::map<std::string, int>{{"10.9.1.1 g1/cd1", 1}, {"10.9.2.1 g2/cd1", 1}, {"10.9.2.2 g2/cd2", 1}}));
  const auto& ps = r.fw->pipeline_stats();
  EXPECT_EQ(ps.copies_dropped_max_duplicates, 1u);
  EXPECT_EQ(ps.copies_per_destination.at("g1/cd1"), 1u);
  EXPECT_EQ(ps.copies_per_destination.count("g1/cd2"), 0u);
  // The drop is g1's source's, told with a 598; g2's source lost nothing.
  uint64_t dups_a = 0, dups_b = 0;
  for (const auto& s : r.fw->server().control_source_stats()) (s.id == "a" ? dups_a : dups_b) = s.counters.duplicates_dropped;
  EXPECT_EQ(dups_a, 1u);
  EXPECT_EQ(dups_b, 0u);
}

TEST(FirmwareGroups, OverlappingCriteriaAtFortyPercentOfSoftLimitRaiseNoCongestion) {
  Rig r;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(r.add("a", "ka", 2400, "cd2", 1), 200);  // three times the same traffic
  // 40 kbit/s = 40% of soft-limit 100k: 10 packets of 500 bytes per second (counted three
  // times, as before the fix, that is 120 kbit/s: a 580).
  for (int s = 0; s < 12; ++s) {
    for (int i = 0; i < 10; ++i) r.packet(472);  // 500-byte IP packets
    r.hal.advance(1'000'000'000ull);
    r.fw->on_timer();
  }
  for (const auto& d : r.fw->server().content_destination_stats())
    if (d.group == "g1" && d.id == "cd2") {
      EXPECT_EQ(d.soft_episodes, 0u) << "false 580: the copies were counted once per criterion";
      EXPECT_GE(d.byte_rate, 4500u);  // 45..50 kB in the 10-s window, counted once
      EXPECT_LE(d.byte_rate, 5000u);
    }
  uint64_t congestion = 0;
  for (const auto& s : r.fw->server().control_source_stats()) congestion += s.counters.notification_congestion;
  EXPECT_EQ(congestion, 0u);
}

}  // namespace
