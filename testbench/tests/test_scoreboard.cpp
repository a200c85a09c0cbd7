// The scoreboard on synthetic event streams, the copies of one packet: DTCP requests/replies
// written as text, packets from the packet builder (or by hand for VLAN, fragments, IPv6
// extension headers), copies built by the bench's own IP-IP encoder (scoreboard_bench.hpp).
// Each failure mode is shown to fail. Time windows: test_scoreboard_windows.cpp; the control
// plane and configuration: test_scoreboard_control.cpp; online checking:
// test_scoreboard_online.cpp; congestion: test_scoreboard_congestion.cpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scoreboard_bench.hpp"

using namespace sbtest;

TEST(Scoreboard, PassCase) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  for (int i = 0; i < 3; ++i) b.copy(b.packet((100 + static_cast<uint64_t>(i)) * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
  b.packet(200 * kUs, flow("10.0.0.3", "10.0.0.2"));  // no match, no copy
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.packets, 4u);
  EXPECT_EQ(r.predicted_copies, 3u);
  EXPECT_EQ(r.matched_copies, 3u);
  EXPECT_EQ(r.unexpected_copies + r.missing_copies + r.byte_mismatches, 0u);
  const auto j = r.to_json();
  EXPECT_EQ(j["coverage"]["dtcp"]["methods"]["ADD"], 1);
  EXPECT_EQ(j["coverage"]["dtcp"]["reply_status"]["ADD 200"], 1);
  EXPECT_EQ(j["coverage"]["criteria_forms"]["Source-Address"]["single"], 1);
  EXPECT_EQ(j["coverage"]["multi_match_depth"]["criteria"]["1"], 3);
  EXPECT_EQ(j["coverage"]["multi_match_depth"]["criteria"]["0"], 1);
}

TEST(Scoreboard, UnexpectedCopyFails) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.copy(b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
  b.copy(b.packet(101 * kUs, flow("10.0.0.9", "10.0.0.2")), "cd1");  // matches nothing
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.unexpected_copies, 1u);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("packet 2 cdest cd1: unexpected copy"), std::string::npos) << r.errors[0];
}

TEST(Scoreboard, DuplicateAndWrongDestinationCopiesFail) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.copy(p, "cd1");
  b.copy(p, "cd1");
  b.copy(p, "cd2");
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.matched_copies, 1u);
  EXPECT_EQ(r.unexpected_copies, 2u);
}

TEST(Scoreboard, CorruptedBytesFail) {
  for (int what = 0; what < 6; ++what) {
    Bench b;
    b.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
    Packet c = ipip(p, "cd1", b.cfg, static_cast<uint16_t>(0x4000 + what));  // any ID is fine
    switch (what) {
      case 0: c.data[20 + 40] ^= 0x01; break;   // inner payload byte
      case 1: c.data[8] = 255; break;           // outer TTL (cd1: 200), checksum left stale
      case 2: c.data[10] ^= 0xff; break;        // outer checksum
      case 3: c.data[6] = 0x40; break;          // DF set
      case 4: c.data.pop_back(); break;         // short copy
      case 5: c.data[19] = 9; break;            // outer destination
    }
    if (what == 3 || what == 5) put16(c.data, 10, 0), put16(c.data, 10, csum(c.data.data(), 20));
    b.sb.on_copy(c, 110 * kUs);
    auto r = b.finish();
    EXPECT_FALSE(r.pass) << what;
    EXPECT_EQ(r.byte_mismatches, 1u) << what;
  }
  Bench ok;  // a different outer ID with a valid checksum passes
  ok.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  Packet p = ok.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  ok.sb.on_copy(ipip(p, "cd1", ok.cfg, 0xbeef), 110 * kUs);
  EXPECT_TRUE(ok.finish().pass);
}

TEST(Scoreboard, MissingCopyWithoutCountedDropFails) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.sb.on_copy_drops({{"copies_max_duplicates", 0}, {"copies_tx_queue_full", 0}});
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.missing_copies, 1u);
  EXPECT_EQ(r.explained_missing, 0u);
}

TEST(Scoreboard, MissingCopyExplainedByIngressDropOrTxQueueDrop) {
  {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
    b.sb.on_packet_dropped(p.id, "ingress_buffer_full");
    auto r = b.finish();
    EXPECT_TRUE(r.pass);
    EXPECT_EQ(r.explained_missing, 1u);
  }
  {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
    b.packet(101 * kUs, flow("10.0.0.1", "10.0.0.2"));
    b.sb.on_copy_dropped(ipip(p, "cd1", b.cfg), "egress_queue_full");
    auto r = b.finish();  // two missing, the one the drop event names explained
    EXPECT_FALSE(r.pass);
    EXPECT_EQ(r.explained_missing, 1u);
    EXPECT_EQ(r.missing_copies, 1u);
  }
  {
    Bench b;  // a dropped packet must not be copied
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
    b.sb.on_packet_dropped(p.id, "ingress_buffer_full");
    b.copy(p, "cd1");
    EXPECT_FALSE(b.finish().pass);
  }
}

// A missing copy is excused only by a drop event naming that packet and that destination.
TEST(Scoreboard, CopyDropEventExcusesOnlyThatCopy) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1,cd2\r\n" + kStatic, 1);
  Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.sb.on_copy_dropped(ipip(p, "cd1", b.cfg), "egress_queue_full");
  Packet q = b.packet(101 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.copy(q, "cd1");
  b.copy(q, "cd2");
  b.sb.on_copy_drops({{"copies_tx_queue_full", 5}});  // a count excuses nothing
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.explained_missing, 1u);  // p -> cd1
  EXPECT_EQ(r.missing_copies, 1u);     // p -> cd2
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("cdest cd2"), std::string::npos) << r.errors[0];
}

TEST(Scoreboard, MaxDuplicatesKeepsLowestTotalPriorityThenEarliest) {
  auto run = [](std::vector<std::string> copies, uint64_t reported_drops) {
    Bench b(config(2));
    const std::string m = "Source-Address: 10.0.0.1\r\n" + kStatic;
    b.add(0, "cs1", m + "Cdest-ID: cd1\r\nPriority: 2\r\n", 1);
    b.add(1 * kUs, "cs2", m + "Cdest-ID: cd2\r\nPriority: 1\r\n", 2);  // 1 + minimum-priority 5 = 6
    b.add(2 * kUs, "cs1", m + "Cdest-ID: cd3\r\nPriority: 2\r\n", 3);  // ties cd1, added later
    b.add(3 * kUs, "cs1", m + "Cdest-ID: cd4\r\nPriority: 1\r\n", 4);  // best, added last
    Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
    for (const auto& c : copies) b.copy(p, c);
    b.sb.on_copy_drops({{"copies_max_duplicates", reported_drops}});
    return b.finish();
  };
  EXPECT_TRUE(run({"cd4", "cd1"}, 2).pass);
  EXPECT_FALSE(run({"cd4", "cd3"}, 2).pass);  // cd3 ties cd1 but was added later
  EXPECT_FALSE(run({"cd4", "cd2"}, 2).pass);  // cd2's total priority is 6
  EXPECT_FALSE(run({"cd4", "cd1"}, 1).pass);  // card's max-duplicates count disagrees
  auto r = run({"cd1", "cd4"}, 2);
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["max_duplicates"]["predicted_drops"], 2);
  EXPECT_EQ(r.coverage["multi_match_depth"]["destinations"]["4"], 1);
}

TEST(Scoreboard, SameDestinationTwiceIsOneCopy) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.0/8\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(1 * kUs, "cs2", "Dest-Port: 80\r\nCdest-ID: cd1\r\n" + kStatic, 2);
  Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.copy(p, "cd1");
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["multi_match_depth"]["criteria"]["2"], 1);
}

TEST(Scoreboard, NegationAndPortSemantics) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.0/24,!10.0.0.128/25\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(1 * kUs, "cs1", "Dest-Port: !22,!23\r\nCdest-ID: cd2\r\n" + kStatic, 2);
  b.add(2 * kUs, "cs1", "Protocol: !6\r\nICMP-Type: 8\r\nCdest-ID: cd3\r\n" + kStatic, 3);
  Packet a = b.packet(100 * kUs, flow("10.0.0.5", "10.9.9.9", 6, 1000, 22));    // cd1 only
  Packet c = b.packet(101 * kUs, flow("10.0.0.200", "10.9.9.9", 17, 1000, 53)); // cd2 only
  Packet d = b.packet(102 * kUs, flow("10.0.0.200", "10.9.9.9", 1, 8, 0));      // ICMP echo: cd3 (no ports)
  Packet e = b.packet(103 * kUs, flow("10.0.0.7", "10.9.9.9", 1, 0, 0));        // echo reply: cd1
  b.copy(a, "cd1");
  b.copy(c, "cd2");
  b.copy(d, "cd3");
  b.copy(e, "cd1");
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.matched_copies, 4u);
  EXPECT_EQ(r.coverage["criteria_forms"]["Dest-Port"]["negation"], 2);
  EXPECT_EQ(r.coverage["criteria"]["with_icmp"], 1);

  Bench f;  // copying the negated address is caught
  f.add(0, "cs1", "Source-Address: 10.0.0.0/24,!10.0.0.128/25\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  f.copy(f.packet(100 * kUs, flow("10.0.0.130", "10.9.9.9")), "cd1");
  EXPECT_FALSE(f.finish().pass);
}

TEST(Scoreboard, Ipv6WithExtensionHeaders) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 2001:db8::/32\r\nDest-Port: 443\r\nCdest-ID: cd2\r\n" + kStatic, 1);
  Packet plain = b.packet(100 * kUs, flow("2001:db8::1", "2001:db8:1::2", 6, 5555, 443));
  b.packet(101 * kUs, flow("2001:db9::1", "2001:db8:1::2", 6, 5555, 443));  // outside the prefix
  // Hop-by-hop (8 bytes) + destination options (16 bytes) before TCP.
  Packet ext = dfc::tb::build_packet(flow("2001:db8::7", "2001:db8:1::2", 6, 6666, 443), 9);
  std::vector<uint8_t> hbh = {60, 0, 1, 4, 0, 0, 0, 0};
  std::vector<uint8_t> dst = {6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  ext.data[14 + 6] = 0;
  ext.data.insert(ext.data.begin() + 54, dst.begin(), dst.end());
  ext.data.insert(ext.data.begin() + 54, hbh.begin(), hbh.end());
  put16(ext.data, 14 + 4, rd16(ext.data, 14 + 4) + 24u);
  ext = b.stamp(102 * kUs, ext);
  b.copy(plain, "cd2");
  b.copy(ext, "cd2");
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["packets"]["ipv6"], 3);
  EXPECT_EQ(r.coverage["packets"]["ipv6_ext_headers"], 1);
  EXPECT_EQ(r.coverage["criteria_forms"]["Source-Address"]["ipv6"], 1);

  Bench w;  // an IPv6 copy with protocol 4 instead of 41 is a byte mismatch
  w.add(0, "cs1", "Source-Address: 2001:db8::/32\r\nCdest-ID: cd2\r\n" + kStatic, 1);
  Packet p = w.packet(100 * kUs, flow("2001:db8::1", "2001:db8::2"));
  Packet c = ipip(p, "cd2", w.cfg);
  c.data[9] = 4;
  put16(c.data, 10, 0);
  put16(c.data, 10, csum(c.data.data(), 20));
  w.sb.on_copy(c, 110 * kUs);
  EXPECT_EQ(w.finish().byte_mismatches, 1u);
}

TEST(Scoreboard, FragmentsMatchOnlyCriteriaWithoutPorts) {
  auto frag4 = [](Bench& b, uint64_t t, uint16_t offset8, bool more) {
    Packet p = dfc::tb::build_packet(flow("10.0.0.1", "10.0.0.2", 17, 1000, 53), b.next_id);
    put16(p.data, 14 + 6, (more ? 0x2000u : 0u) | offset8);
    fix_ipv4_checksum(p);
    return b.stamp(t, p);
  };
  Bench b;
  b.add(0, "cs1", "Dest-Port: 53\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(1 * kUs, "cs1", "Dest-Address: 10.0.0.2\r\nProtocol: 17\r\nCdest-ID: cd2\r\n" + kStatic, 2);
  Packet first = frag4(b, 100 * kUs, 0, true);
  Packet middle = frag4(b, 101 * kUs, 185, true);
  Packet last = frag4(b, 102 * kUs, 370, false);
  // IPv6 non-first fragment: Fragment header (next header UDP, offset 100) then data.
  Packet v6 = dfc::tb::build_packet(flow("2001:db8::1", "2001:db8::2", 17, 1000, 53), 5);
  std::vector<uint8_t> fh = {17, 0, 0x03, 0x20, 0, 0, 0, 42};
  v6.data[14 + 6] = 44;
  v6.data.insert(v6.data.begin() + 54, fh.begin(), fh.end());
  put16(v6.data, 14 + 4, rd16(v6.data, 14 + 4) + 8u);
  v6 = b.stamp(103 * kUs, v6);
  b.copy(first, "cd1");
  b.copy(first, "cd2");
  b.copy(middle, "cd2");
  b.copy(last, "cd2");
  auto r = b.finish();  // the IPv6 fragment matches neither (cd2 is IPv4 only)
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["packets"]["fragment_first"], 1);
  EXPECT_EQ(r.coverage["packets"]["fragment_nonfirst"], 3);

  Bench f;  // a port criterion copying a non-first fragment is caught
  f.add(0, "cs1", "Dest-Port: 53\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  f.copy(frag4(f, 100 * kUs, 185, false), "cd1");
  EXPECT_FALSE(f.finish().pass);
}

TEST(Scoreboard, VlanMplsAndNonIp) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  Packet v = dfc::tb::build_packet(flow("10.0.0.1", "10.0.0.2"), 3);
  const std::vector<uint8_t> tag = {0x81, 0x00, 0x00, 0x64};
  v.data.insert(v.data.begin() + 12, tag.begin(), tag.end());
  v = b.stamp(100 * kUs, v);
  b.copy(v, "cd1");
  Packet m = dfc::tb::build_packet(flow("10.0.0.1", "10.0.0.2"), 4);
  put16(m.data, 12, 0x8847);
  m = b.stamp(101 * kUs, m);
  b.copy(m, "cd1");  // MPLS is never copied
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.matched_copies, 1u);
  EXPECT_EQ(r.unexpected_copies, 1u);
  EXPECT_EQ(r.coverage["packets"]["vlan"], 1);
  EXPECT_EQ(r.coverage["packets"]["mpls"], 1);
}
