// Bandwidth limits with two content destinations (reference §2.4/§2.7, docs/dtcp-conformance.md
// §13.4): the whole firmware on the fake HAL, criteria of two control sources to each
// destination, traffic sent as packets through the pipeline. A destination over its hard limit
// purges only criteria that carry its own copies; the other destination's criteria keep
// copying; soft and hard limits of both destinations are judged each on its own traffic and
// notified to the sources of that destination's criteria.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "fake_hal.hpp"

namespace congestion_destinations_test {

// Both destinations have the same limits (bit/s, 10-s average), so which one congests
// depends only on the traffic sent to it.
const char* kTwoDestinations = R"(dynamic-flow-capture {
  capture-group g {
    interfaces dfc-0/0/0;
    control-source csA { service-port 2400; shared-key ka; notification-targets 10.0.0.1 port 2100; }
    control-source csB { service-port 2400; shared-key kb; notification-targets 10.0.0.2 port 2100; }
    content-destination hot {
      address 10.9.0.1; soft-limit 8k; soft-limit-clear 4k; hard-limit 16k; hard-limit-target 12k;
    }
    content-destination calm {
      address 10.9.0.2; soft-limit 8k; soft-limit-clear 4k; hard-limit 16k; hard-limit-target 12k;
    }
  }
})";

struct Source {
  std::string id, key, notify_ip;
};
const Source kA{"csA", "ka", "10.0.0.1"};
const Source kB{"csB", "kb", "10.0.0.2"};

// One notification as the test compares it: status, Cdest-ID, Criteria-ID ("" if absent).
using Note = std::tuple<int, std::string, std::string>;

struct TwoDestRig {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(kTwoDestinations, "two-destinations.conf");
  dfc::test::FakeHal hal{1024};
  std::unique_ptr<dfc::fw::Firmware> fw;
  uint64_t seq = 100;
  std::map<std::string, std::vector<Note>> notes;  // per control source, in sending order
  std::map<uint32_t, std::string> address_of;       // criteria id -> its Dest-Address

  TwoDestRig() {
    hal.advance_to(1'000'000'000ull);
    fw = std::make_unique<dfc::fw::Firmware>(cfg, hal);
  }

  // Everything the firmware sent so far: notifications (verified with their source's key) go
  // to `notes`; returns the copies by destination label. Clears hal.sent.
  std::map<std::string, int> drain() {
    std::map<std::string, int> copies;
    for (const auto& p : hal.sent) {
      if (p.unit == dfc::Unit::Copies) {
        ++copies[p.cdest_id];
        continue;
      }
      for (const Source* s : {&kA, &kB})
        if (p.dst_ip == s->notify_ip && p.dst_port == 2100) {
          auto m = dfc::dtcp::parse_and_verify(std::string(p.data.begin(), p.data.end()), s->key);
          EXPECT_TRUE(m) << "notification to " << s->id << " does not verify";
          if (m) notes[s->id].emplace_back(m->status, m->get("Cdest-ID").value_or(""), m->get("Criteria-ID").value_or(""));
        }
    }
    hal.sent.clear();
    return copies;
  }

  // A STATIC criterion for one destination address; returns its Criteria-ID.
  uint32_t add(const Source& s, const std::string& cdest, const std::string& dst, int prio) {
    const std::string body = "ADD DTCP/0.7\r\nCdest-ID: " + cdest + "\r\nDest-Address: " + dst +
                             "\r\nFlags: Static\r\nPriority: " + std::to_string(prio) + "\r\nCsource-ID: " + s.id +
                             "\r\nSeq: " + std::to_string(++seq) + "\r\n";
    const std::string text = dfc::dtcp::sign(body, s.key);
    dfc::Packet p;
    p.unit = dfc::Unit::Control;
    p.data.assign(text.begin(), text.end());
    p.src_ip = "10.0.0.50";
    p.src_port = 5000;
    p.dst_ip = "192.0.2.1";
    p.dst_port = 2400;
    fw->on_packet(p);
    uint32_t id = 0;
    for (const auto& r : hal.sent)
      if (r.dst_port == 5000)
        if (auto m = dfc::dtcp::parse_and_verify(std::string(r.data.begin(), r.data.end()), s.key)) {
          EXPECT_EQ(m->status, 200) << m->first_line;
          id = static_cast<uint32_t>(std::stoul(m->get("Criteria-ID").value_or("0")));
        }
    hal.sent.clear();
    EXPECT_NE(id, 0u) << "ADD to " << cdest << " got no Criteria-ID";
    address_of[id] = dst;
    return id;
  }

  // n UDP packets 10.5.5.5 -> dst, each an IP datagram of `ip_bytes` bytes (the size a copy
  // counts toward its destination's bandwidth).
  std::map<std::string, int> send(const std::string& dst, int n, size_t ip_bytes = 1000) {
    const auto a = *dfc::dtcp::parse_ipv4(dst);
    const auto x = static_cast<uint32_t>(a.lo);
    std::vector<uint8_t> d = {0x45, 0, uint8_t(ip_bytes >> 8), uint8_t(ip_bytes), 0, 0, 0, 0, 64, 17, 0, 0,
                              10, 5, 5, 5, uint8_t(x >> 24), uint8_t(x >> 16), uint8_t(x >> 8), uint8_t(x),
                              0x30, 0x39, 0, 53, uint8_t((ip_bytes - 20) >> 8), uint8_t(ip_bytes - 20), 0, 0};
    d.resize(ip_bytes, 0xab);
    dfc::Packet p;  // the firmware takes it by const reference: one packet sent n times
    p.data = std::move(d);
    p.unit = dfc::Unit::Monitor;
    std::map<std::string, int> copies;
    for (int i = 0; i < n; ++i) {
      fw->on_packet(p);
      for (const auto& [cd, k] : drain()) copies[cd] += k;
    }
    return copies;
  }

  // The next second: the firmware's timer runs its once-a-second evaluation of the limits
  // over the 10-s averages (which include the traffic sent so far) and sends what it decided.
  void evaluate() {
    hal.advance(1'000'000'000ull);
    fw->on_timer();
    drain();
  }

  std::set<uint32_t> left() const {
    std::set<uint32_t> ids;
    for (const auto& c : fw->server().criteria()) ids.insert(c.criteria_id);
    return ids;
  }
  uint64_t deleted_congestion(const Source& s) const {
    for (const auto& cs : fw->server().control_source_stats())
      if (cs.id == s.id) return cs.counters.criteria_deleted_congestion;
    ADD_FAILURE() << "no control source " << s.id;
    return 0;
  }
  dfc::dtcp::ContentDestinationStats dest(const std::string& id) const {
    for (const auto& d : fw->server().content_destination_stats())
      if (d.id == id) return d;
    ADD_FAILURE() << "no content destination " << id;
    return {};
  }
};

// `hot` goes over its hard limit while `calm` stays under its soft limit. Only hot's
// lowest-priority carrier is purged; calm's criteria, whatever their priority (some are lower
// than every hot criterion, so a purge that looked at any destination would take them first),
// stay and keep copying; the notifications name hot only.
TEST(CongestionDestinations, HardLimitOnOneDestinationPurgesOnlyItsOwnCarriers) {
  TwoDestRig r;
  const uint32_t a1 = r.add(kA, "hot", "10.1.1.1", 1);
  const uint32_t b1 = r.add(kB, "hot", "10.1.1.2", 100);
  const uint32_t a2 = r.add(kA, "calm", "10.1.2.1", 200);
  const uint32_t a3 = r.add(kA, "calm", "10.1.2.2", 1);
  const uint32_t b2 = r.add(kB, "calm", "10.1.2.3", 250);
  // hot: 12 + 10 kB in one second = 17.6 kbit/s > hard 16k; calm: 3 + 1 + 1 kB = 4 kbit/s.
  EXPECT_EQ(r.send("10.1.1.1", 12), (std::map<std::string, int>{{"hot", 12}}));
  EXPECT_EQ(r.send("10.1.1.2", 10), (std::map<std::string, int>{{"hot", 10}}));
  EXPECT_EQ(r.send("10.1.2.1", 3), (std::map<std::string, int>{{"calm", 3}}));
  r.send("10.1.2.2", 1);
  r.send("10.1.2.3", 1);
  r.evaluate();
  // Purge on hot, lowest priority first: b1 (8 kbit/s) leaves 9.6k < target 12k: stop.
  EXPECT_EQ(r.left(), (std::set<uint32_t>{a1, a2, a3, b2})) << "only hot's lowest-priority carrier goes";
  EXPECT_EQ(r.notes["csA"], (std::vector<Note>{{580, "hot", ""}})) << "csA: hot's soft limit only";
  EXPECT_EQ(r.notes["csB"], (std::vector<Note>{{580, "hot", ""}, {680, "hot", std::to_string(b1)}}))
      << "csB: hot's soft limit, then its criterion purged";
  EXPECT_EQ(r.deleted_congestion(kA), 0u);
  EXPECT_EQ(r.deleted_congestion(kB), 1u);
  EXPECT_TRUE(r.dest("hot").soft_congested);
  EXPECT_FALSE(r.dest("calm").soft_congested);
  EXPECT_EQ(r.dest("calm").soft_episodes, 0u);
  // The survivors keep copying, each to its own destination; the purged criterion's traffic
  // is no longer copied.
  EXPECT_EQ(r.send("10.1.2.1", 1), (std::map<std::string, int>{{"calm", 1}}));
  EXPECT_EQ(r.send("10.1.2.2", 1), (std::map<std::string, int>{{"calm", 1}}));
  EXPECT_EQ(r.send("10.1.2.3", 1), (std::map<std::string, int>{{"calm", 1}}));
  EXPECT_EQ(r.send("10.1.1.1", 1), (std::map<std::string, int>{{"hot", 1}}));
  EXPECT_TRUE(r.send("10.1.1.2", 1).empty()) << "b1 was purged";
  // hot is now at 9.6k (+ the new second's few bytes): nothing more is purged anywhere.
  r.evaluate();
  EXPECT_EQ(r.left(), (std::set<uint32_t>{a1, a2, a3, b2}));
}

// Both destinations over their hard limits in the same second: each purges its own carriers,
// each 680 names its own destination and goes to the owner of the ids it lists.
TEST(CongestionDestinations, BothOverHardLimitEachPurgesItsOwn) {
  TwoDestRig r;
  const uint32_t a1 = r.add(kA, "hot", "10.1.1.1", 1);
  const uint32_t b1 = r.add(kB, "hot", "10.1.1.2", 100);
  const uint32_t a2 = r.add(kA, "calm", "10.1.2.1", 200);
  const uint32_t a3 = r.add(kA, "calm", "10.1.2.2", 1);
  const uint32_t b2 = r.add(kB, "calm", "10.1.2.3", 250);
  r.send("10.1.1.1", 12);  // hot: 22 kB = 17.6 kbit/s
  r.send("10.1.1.2", 10);
  r.send("10.1.2.1", 10);  // calm: 21 kB = 16.8 kbit/s
  r.send("10.1.2.2", 8);
  r.send("10.1.2.3", 3);
  r.evaluate();
  // hot: b1 (8k) -> 9.6k, stop. calm: b2 (2.4k) -> 14.4k, a2 (8k) -> 6.4k, stop.
  EXPECT_EQ(r.left(), (std::set<uint32_t>{a1, a3}));
  EXPECT_EQ(r.notes["csA"], (std::vector<Note>{{580, "hot", ""}, {580, "calm", ""}, {680, "calm", std::to_string(a2)}}));
  EXPECT_EQ(r.notes["csB"], (std::vector<Note>{{580, "hot", ""},
                                               {680, "hot", std::to_string(b1)},
                                               {580, "calm", ""},
                                               {680, "calm", std::to_string(b2)}}));
  EXPECT_EQ(r.deleted_congestion(kA), 1u);
  EXPECT_EQ(r.deleted_congestion(kB), 2u);
  EXPECT_EQ(r.send("10.1.1.1", 1), (std::map<std::string, int>{{"hot", 1}}));
  EXPECT_EQ(r.send("10.1.2.2", 1), (std::map<std::string, int>{{"calm", 1}}));
}

// hot over its soft limit only (a 580 to its one source, no purge); calm over its hard limit
// at the same time. hot's one criterion has a lower priority than most of calm's: calm's
// purge must still leave it alone (it carries hot's traffic, not calm's), and csB, which has
// nothing on hot, hears nothing about hot.
TEST(CongestionDestinations, SoftOnOneHardOnTheOtherEachNotifiesItsOwnSources) {
  TwoDestRig r;
  const uint32_t a1 = r.add(kA, "hot", "10.1.1.1", 220);
  const uint32_t a2 = r.add(kA, "calm", "10.1.2.1", 200);
  const uint32_t a3 = r.add(kA, "calm", "10.1.2.2", 1);
  const uint32_t b2 = r.add(kB, "calm", "10.1.2.3", 250);
  r.send("10.1.1.1", 11);  // hot: 8.8 kbit/s: soft (8k) exceeded, hard (16k) not
  r.send("10.1.2.1", 10);  // calm: 21 kB = 16.8 kbit/s
  r.send("10.1.2.2", 8);
  r.send("10.1.2.3", 3);
  r.evaluate();
  // calm: b2 (2.4k) -> 14.4k, a2 (8k) -> 6.4k, stop; hot: untouched.
  EXPECT_EQ(r.left(), (std::set<uint32_t>{a1, a3}));
  EXPECT_EQ(r.notes["csA"], (std::vector<Note>{{580, "hot", ""}, {580, "calm", ""}, {680, "calm", std::to_string(a2)}}));
  EXPECT_EQ(r.notes["csB"], (std::vector<Note>{{580, "calm", ""}, {680, "calm", std::to_string(b2)}}));
  EXPECT_TRUE(r.dest("hot").soft_congested);
  EXPECT_TRUE(r.dest("calm").soft_congested);
  EXPECT_EQ(r.dest("hot").soft_episodes, 1u);
  EXPECT_EQ(r.dest("calm").soft_episodes, 1u);
  EXPECT_EQ(r.send("10.1.1.1", 1), (std::map<std::string, int>{{"hot", 1}})) << "hot's criterion keeps copying";
  // Ten quiet seconds: each destination clears its own soft episode (below soft-limit-clear).
  for (int i = 0; i < 11; ++i) r.evaluate();
  EXPECT_FALSE(r.dest("hot").soft_congested);
  EXPECT_FALSE(r.dest("calm").soft_congested);
  EXPECT_EQ(r.dest("hot").soft_cleared, 1u);
  EXPECT_EQ(r.dest("calm").soft_cleared, 1u);
  EXPECT_EQ(r.left(), (std::set<uint32_t>{a1, a3})) << "no purge while under the limits";
}

}  // namespace congestion_destinations_test
