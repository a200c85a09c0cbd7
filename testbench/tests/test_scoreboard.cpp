// The scoreboard on synthetic event streams: DTCP requests/replies written as text here,
// packets from the packet builder (or by hand for VLAN, fragments, IPv6 extension headers),
// copies built by this file's own IP-IP encoder. Each failure mode is shown to fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "../src/refmodel.hpp"
#include "../src/scoreboard_impl.hpp"
#include "stimulus/packet_builder.hpp"
#include "checker/scoreboard.hpp"
#include "scoreboard_bench.hpp"

using dfc::LinkType;
using dfc::Packet;
using dfc::tb::FlowSpec;
using dfc::tb::Scoreboard;
using dfc::tb::ScoreboardConfig;

using namespace sbtest;

// ----------------------------------------------------------------------------- parsers

TEST(RefModel, AddressListForms) {
  namespace r = dfc::tb::ref;
  std::string err;
  auto v = r::parse_addr_list("10.0.0.1, 10.1.0.0/16,!10.1.2.0/24,10.2.0.1-10.2.0.9,10.3.0.0-*,*-1.0.0.0", &err);
  ASSERT_TRUE(v) << err;
  ASSERT_EQ(v->size(), 6u);
  auto a = [](const char* s) { return *r::parse_ipv4(s); };
  EXPECT_TRUE(r::field_matches(*v, false, a("10.0.0.1")));
  EXPECT_TRUE(r::field_matches(*v, false, a("10.1.255.1")));
  EXPECT_FALSE(r::field_matches(*v, false, a("10.1.2.3")));  // negated
  EXPECT_TRUE(r::field_matches(*v, false, a("10.2.0.9")));
  EXPECT_FALSE(r::field_matches(*v, false, a("10.2.0.10")));
  EXPECT_TRUE(r::field_matches(*v, false, a("200.0.0.1")));  // 10.3.0.0-*
  EXPECT_TRUE(r::field_matches(*v, false, a("0.0.0.1")));    // *-1.0.0.0
  EXPECT_FALSE(r::field_matches(*v, false, a("9.0.0.1")));
  auto v6 = r::parse_addr_list("2001:db8::/32,!2001:db8::1", &err);
  ASSERT_TRUE(v6) << err;
  EXPECT_TRUE(r::field_matches(*v6, true, *r::parse_ipv6("2001:db8::2")));
  EXPECT_FALSE(r::field_matches(*v6, true, *r::parse_ipv6("2001:db8::1")));
  EXPECT_FALSE(r::field_matches(*v6, false, a("10.0.0.1")));  // v6 entry never matches v4
  auto neg_only = r::parse_addr_list("!10.0.0.1", &err);
  EXPECT_TRUE(r::field_matches(*neg_only, true, *r::parse_ipv6("::1")));  // only negations: all else
  EXPECT_FALSE(r::parse_addr_list("10.0.0.300", &err));
  EXPECT_FALSE(r::parse_addr_list("10.0.0.9-10.0.0.1", &err));
  EXPECT_FALSE(r::parse_addr_list("10.0.0.1-::1", &err));
  EXPECT_FALSE(r::parse_addr_list("10.0.0.0/33", &err));
}

TEST(RefModel, IntListsAndMessages) {
  namespace r = dfc::tb::ref;
  std::string err;
  auto v = r::parse_int_list("6, 17,!*-5,100-*", 255, &err);
  ASSERT_TRUE(v) << err;
  EXPECT_TRUE(r::field_matches(*v, 6));
  EXPECT_FALSE(r::field_matches(*v, 3));
  EXPECT_TRUE(r::field_matches(*v, 255));
  EXPECT_FALSE(r::field_matches(*v, 50));
  EXPECT_FALSE(r::parse_int_list("256", 255, &err));
  EXPECT_FALSE(r::parse_int_list("5,", 255, &err));
  auto m = r::parse_message("add DTCP/0.7\nSOURCE-address :  10.0.0.1  \r\nCdest-ID: a\\032b\r\n"
                            "Authentication-Info: x\r\nPriority: 9\r\n\r\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method, "ADD");
  EXPECT_EQ(m->get("source-address"), "10.0.0.1");
  EXPECT_EQ(m->get("cdest-id"), "a b");
  EXPECT_FALSE(m->get("priority"));  // after Authentication-Info: ignored
  auto s = r::parse_message("DTCP/0.7 431 Unknown Criteria ID\r\nCriteria-ID: 5\r\n\r\n");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->is_status);
  EXPECT_EQ(s->status, 431);
}

TEST(RefModel, PacketParser) {
  namespace r = dfc::tb::ref;
  Packet p = dfc::tb::build_packet(flow("10.0.0.1", "10.0.0.2", 6, 1111, 22));
  auto pp = r::parse_packet(p);
  ASSERT_EQ(pp.kind, r::ParsedPacket::Ip);
  EXPECT_TRUE(pp.h.has_ports);
  EXPECT_EQ(pp.h.sport, 1111);
  EXPECT_EQ(pp.h.dport, 22);
  EXPECT_EQ(pp.ip_off, 14u);
  EXPECT_EQ(pp.ip_len, 110u);  // 128 - 14 - 4 (FCS not stored)
  Packet icmp = dfc::tb::build_packet(flow("2001:db8::1", "2001:db8::2", 58, 128, 0));
  pp = r::parse_packet(icmp);
  EXPECT_TRUE(pp.h.v6 && pp.h.has_icmp && pp.h.itype == 128);
  Packet arp = p;
  put16(arp.data, 12, 0x0806);
  EXPECT_EQ(r::parse_packet(arp).kind, r::ParsedPacket::NotIp);
  put16(arp.data, 12, 0x8847);
  EXPECT_EQ(r::parse_packet(arp).kind, r::ParsedPacket::Mpls);
  Packet trunc = p;
  trunc.data.resize(60);
  EXPECT_EQ(r::parse_packet(trunc).kind, r::ParsedPacket::Bad);
  Packet badsum = p;
  badsum.data[14 + 10] ^= 1;
  EXPECT_EQ(r::parse_packet(badsum).kind, r::ParsedPacket::Undecided);
}

// ----------------------------------------------------------------------------- scoreboard

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

TEST(Scoreboard, AddTakesEffectAfterItInIngressOrder) {
  Bench b;
  Packet before = b.packet(50 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.add(100 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 7);
  Packet during = b.packet(105 * kUs, flow("10.0.0.1", "10.0.0.2"));  // before the reply: either way
  Packet after = b.packet(200 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.copy(after, "cd1");
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.ambiguous_packets, 1u);
  (void)during;

  Bench f;  // a copy of a packet that came before the ADD fails
  Packet p = f.packet(50 * kUs, flow("10.0.0.1", "10.0.0.2"));
  f.add(100 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 7);
  f.copy(p, "cd1");
  EXPECT_FALSE(f.finish().pass);

  Bench rej;  // a rejected ADD installs nothing
  rej.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n", 0, 433);
  rej.copy(rej.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
  EXPECT_FALSE(rej.finish().pass);
}

// The card model reports a packet when it is done with it, with the time a core took it and
// the time it was done: the lookup happened somewhere in between, so an ADD handled in that
// interval may or may not apply (ambiguous), one handled after it cannot.
TEST(Scoreboard, PacketIsDecidedBetweenTakenAndDone) {
  auto run = [](uint64_t done_ps) {
    Bench b;
    Packet p = dfc::tb::build_packet(flow("10.0.0.1", "10.0.0.2"), b.next_id);
    p.id = b.next_id++;
    p.t_arrival_ps = 50 * kUs;
    b.add(100 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 7);
    b.sb.on_packet(p, 60 * kUs, done_ps);  // taken at 60 us (waited in the ring), done at done_ps
    b.copy(p, "cd1", done_ps - p.t_arrival_ps);
    return b.finish();
  };
  const auto waited = run(112 * kUs);  // its lookup may have come after the ADD (100 us)
  EXPECT_TRUE(waited.pass);
  EXPECT_EQ(waited.ambiguous_packets, 1u);
  EXPECT_FALSE(run(90 * kUs).pass) << "done before the ADD arrived: the copy cannot be right";
}

TEST(Scoreboard, DeleteStopsCopiesAndChecksCount) {
  auto run = [](bool copy_after, const std::string& count) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 11);
    b.add(1 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd2\r\nTimeout-Total: 60\r\n", 12);
    b.copy(b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
    // Cdest selector without Static: the static criterion stays; count 0
    b.exchange(150 * kUs, "DELETE", "cs1", "Cdest-ID: cd1\r\n", 200, "Criteria-Count: 0\r\n");
    b.exchange(200 * kUs, "DELETE", "cs1", "Criteria-ID: 11-12\r\nFlags: Static\r\n", 200,
               "Criteria-Count: " + count + "\r\n");
    Packet p = b.packet(300 * kUs, flow("10.0.0.1", "10.0.0.2"));
    if (copy_after) b.copy(p, "cd1");
    return b.finish();
  };
  // packet at 100us: both criteria match; only cd1 copied -> cd2 missing. Fix the pass case:
  auto good = [] {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 11);
    b.copy(b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
    b.exchange(200 * kUs, "DELETE", "cs1", "Criteria-ID: 11\r\nFlags: Static\r\n", 200, "Criteria-Count: 1\r\n");
    b.packet(300 * kUs, flow("10.0.0.1", "10.0.0.2"));
    return b.finish();
  }();
  EXPECT_TRUE(good.pass);
  EXPECT_EQ(good.coverage["dtcp"]["reply_status"]["DELETE 200"], 1);
  EXPECT_FALSE(run(true, "2").pass);   // copy after the delete
  EXPECT_FALSE(run(false, "1").pass);  // wrong Criteria-Count (and cd2 missing at 100us)
  auto r = run(false, "2");
  EXPECT_FALSE(r.pass);  // the cd2 copy at 100us is missing
  EXPECT_EQ(r.missing_copies, 1u);
}

TEST(Scoreboard, TimeoutPacketsAndBytesAreExact) {
  for (bool extra : {false, true}) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Packets: 2\r\n", 1);
    // 110 IP bytes each: the bytes criterion goes after the 3rd packet
    b.add(1 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd2\r\nTimeout-Bytes: 221\r\n", 2);
    for (int i = 0; i < 4; ++i) {
      Packet p = b.packet((100 + 10 * static_cast<uint64_t>(i)) * kUs, flow("10.0.0.1", "10.0.0.2"));
      if (i < 2 || (extra && i == 2)) b.copy(p, "cd1");
      if (i < 3) b.copy(p, "cd2");
    }
    auto r = b.finish();
    EXPECT_EQ(r.pass, !extra);
    EXPECT_EQ(r.ambiguous_packets, 0u);
    EXPECT_EQ(r.coverage["timeouts"]["predicted_packets"], 1);
    EXPECT_EQ(r.coverage["timeouts"]["predicted_bytes"], 1);
  }
}

TEST(Scoreboard, EarlyPacketTimeoutIsCaughtDespiteItsNotification) {
  // A card deleting a Timeout-Packets 3 criterion after 2 packets (and saying so with a 390
  // right away) must fail: the 390 opens no ambiguity window for packet/byte timeouts.
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Packets: 3\r\nFlags: SendAsync\r\n", 1);
  for (int i = 0; i < 3; ++i) {
    Packet p = b.packet((100 + 20 * static_cast<uint64_t>(i)) * kUs, flow("10.0.0.1", "10.0.0.2"));
    if (i < 2) b.copy(p, "cd1");
  }
  b.notify(125 * kUs, "cs1", 390, "Criteria-ID: 1\r\n");
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.missing_copies, 1u);
  EXPECT_EQ(r.ambiguous_packets, 0u);
}

TEST(Scoreboard, TimeoutTotalAmbiguityWindow) {
  // Timeout-Total 1 s from the ADD at t=0: deadline 1 s, window +-1 ms.
  auto run = [](uint64_t t_pkt, bool copied) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Total: 1\r\n", 1);
    Packet p = b.packet(t_pkt, flow("10.0.0.1", "10.0.0.2"));
    if (copied) b.copy(p, "cd1");
    return b.finish();
  };
  EXPECT_TRUE(run(kS / 2, true).pass);
  EXPECT_FALSE(run(kS / 2, false).pass);
  EXPECT_TRUE(run(kS - kMs / 2, true).pass);
  EXPECT_TRUE(run(kS - kMs / 2, false).pass);
  EXPECT_TRUE(run(kS + kMs / 2, true).pass);
  EXPECT_TRUE(run(kS + kMs / 2, false).pass);
  EXPECT_EQ(run(kS + kMs / 2, false).ambiguous_packets, 1u);
  EXPECT_FALSE(run(kS + 2 * kMs, true).pass);
  EXPECT_TRUE(run(kS + 2 * kMs, false).pass);
}

TEST(Scoreboard, TotalDeadlineSpansTheAddHandling) {
  // The reply comes 5 ms after the request (a busy card): the deadline lies in [1 s, 1.005 s].
  auto run = [](uint64_t t_pkt, bool copied) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Total: 1\r\n", 1, 200, 5 * kMs);
    Packet p = b.packet(t_pkt, flow("10.0.0.1", "10.0.0.2"));
    if (copied) b.copy(p, "cd1");
    return b.finish();
  };
  EXPECT_TRUE(run(kS + 4 * kMs, true).pass);
  EXPECT_TRUE(run(kS + 4 * kMs, false).pass);
  EXPECT_FALSE(run(kS + 7 * kMs, true).pass);
  EXPECT_FALSE(run(kS - 2 * kMs, false).pass);
}

TEST(Scoreboard, TimeoutIdleCountsFromLastMatch) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Idle: 1\r\nFlags: SendAsync\r\n", 1);
  for (uint64_t t : {kS / 2, kS, 3 * kS / 2}) b.copy(b.packet(t, flow("10.0.0.1", "10.0.0.2")), "cd1");
  b.notify(5 * kS / 2, "cs1", 390, "Criteria-ID: 1\r\nCdest-ID: cd1\r\n");  // 1.5 s + 1 s
  b.packet(3 * kS, flow("10.0.0.1", "10.0.0.2"));
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["timeouts"]["notified_idle"], 1);

  Bench early;  // a 390 long before the deadline is an error; so is the copy it suppresses' absence
  early.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Idle: 10\r\nFlags: SendAsync\r\n", 1);
  early.notify(kS, "cs1", 390, "Criteria-ID: 1\r\n");
  EXPECT_FALSE(early.finish().pass);

  Bench silent;  // SendAsync, deadline long past, no 390: error
  silent.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Total: 1\r\nFlags: SendAsync\r\n", 1);
  silent.packet(3 * kS, flow("10.0.0.9", "10.0.0.2"));
  EXPECT_FALSE(silent.finish().pass);
}

TEST(Scoreboard, CongestionDeleteNotificationRemovesCriterion) {
  // cd1's hard limit (50 bit/s) is below one 110-byte packet's 10-s average (88 bit/s): the
  // reference predicts the deletion (tests of the prediction: test_scoreboard_congestion.cpp).
  auto run = [](uint64_t t_pkt, bool copied) {
    ScoreboardConfig cfg = config();
    cfg.cdests["cd1"].hard_limit = 50, cfg.cdests["cd1"].hard_limit_target = 40;
    Bench b(cfg);
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 4);
    b.copy(b.packet(kMs, flow("10.0.0.1", "10.0.0.2")), "cd1");
    b.notify(10 * kMs, "cs1", 680, "Cdest-ID: cd1\r\nCriteria-ID: 4\r\n");
    Packet p = b.packet(t_pkt, flow("10.0.0.1", "10.0.0.2"));
    if (copied) b.copy(p, "cd1");
    return b.finish();
  };
  EXPECT_TRUE(run(5 * kMs, true).pass);
  EXPECT_FALSE(run(5 * kMs, false).pass);
  EXPECT_TRUE(run(10 * kMs + kUs, true).pass);  // within the window: either way
  EXPECT_TRUE(run(10 * kMs + kUs, false).pass);
  EXPECT_FALSE(run(20 * kMs, true).pass);
  EXPECT_TRUE(run(20 * kMs, false).pass);
}

TEST(Scoreboard, RestartNotificationRemovesEveryCriterion) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(1 * kUs, "cs2", "Source-Address: 10.0.0.1\r\nCdest-ID: cd2\r\n" + kStatic, 2);
  b.notify(10 * kMs, "cs1", 599, "Alert-Info: restart\r\n");
  Packet p = b.packet(5 * kMs, flow("10.0.0.1", "10.0.0.2"));
  b.copy(p, "cd1");
  b.copy(p, "cd2");
  b.packet(20 * kMs, flow("10.0.0.1", "10.0.0.2"));
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["dtcp"]["notifications"]["599"], 1);
}

TEST(Scoreboard, ListContinuationRepliesAreNotMistakenForOtherReplies) {
  Bench b;
  b.sb.on_request(0, "cs1", b.request("LIST", "cs1", "Flags: Both\r\n"));
  b.sb.on_reply(5 * kUs, "cs1", Bench::reply(200, 1, "Criteria-Count: 2\r\nCriteria-Num: 1\r\n"));
  b.sb.on_request(8 * kUs, "cs1", b.request("ADD", "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic));
  b.sb.on_reply(9 * kUs, "cs1", Bench::reply(200, 1, "Criteria-Count: 2\r\nCriteria-Num: 2\r\n"));  // LIST part 2
  b.sb.on_reply(20 * kUs, "cs1", Bench::reply(200, 2, "Criteria-ID: 3\r\n"));
  b.copy(b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["dtcp"]["reply_status"]["LIST 200"], 1);
  EXPECT_EQ(r.coverage["dtcp"]["reply_status"]["ADD 200"], 1);
}

TEST(Scoreboard, RefreshReplacesTimeouts) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Total: 1\r\n", 1);
  b.exchange(kS / 2, "REFRESH", "cs1", "Criteria-ID: 1\r\nTimeout-Total: 2\r\n", 200, "Criteria-Count: 1\r\n");
  b.copy(b.packet(2 * kS, flow("10.0.0.1", "10.0.0.2")), "cd1");  // alive until 2.5 s
  b.packet(3 * kS, flow("10.0.0.1", "10.0.0.2"));
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["dtcp"]["methods"]["REFRESH"], 1);
}

TEST(Scoreboard, ReplyMatchedBySeqAndUnparsableCriterionReported) {
  Bench b;
  // The ADD the card accepts but the model cannot parse is reported, not silently ignored.
  b.add(0, "cs1", "Source-Address: 10.0.0.999\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("model cannot parse"), std::string::npos);

  Bench s;  // replies arrive out of order: matched by Seq
  const std::string a1 = s.request("ADD", "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic);
  const std::string a2 = s.request("ADD", "cs1", "Source-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic);
  s.sb.on_request(0, "cs1", a1);
  s.sb.on_request(1 * kUs, "cs1", a2);
  s.sb.on_reply(5 * kUs, "cs1", Bench::reply(200, 2, "Criteria-ID: 2\r\n"));
  s.sb.on_reply(6 * kUs, "cs1", Bench::reply(432, 1, ""));
  s.copy(s.packet(100 * kUs, flow("10.0.0.2", "10.0.0.3")), "cd2");
  s.packet(101 * kUs, flow("10.0.0.1", "10.0.0.3"));
  EXPECT_TRUE(s.finish().pass);

  Bench f;  // a forged request reusing the Seq of a later genuine one gets no reply of its own
  const std::string forged = f.request("ADD", "cs1", "Source-Address: 10.0.0.9\r\nCdest-ID: cd1\r\n" + kStatic);
  f.seq["cs1"] = 0;
  const std::string genuine = f.request("ADD", "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic);
  f.sb.on_request(0, "cs1", forged);
  f.sb.on_request(100 * kUs, "cs1", genuine);
  f.sb.on_reply(110 * kUs, "cs1", Bench::reply(200, 1, "Criteria-ID: 1\r\n"));
  f.copy(f.packet(200 * kUs, flow("10.0.0.1", "10.0.0.3")), "cd1");
  f.packet(201 * kUs, flow("10.0.0.9", "10.0.0.3"));
  EXPECT_TRUE(f.finish().pass);
}

TEST(Scoreboard, DuplicatePacketIdsAreReported) {
  Bench b;
  Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.sb.on_packet(p);
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("reported twice"), std::string::npos);
}

TEST(Scoreboard, ManyPacketsAreFast) {
  Bench b;
  for (int i = 0; i < 50; ++i)
    b.add(static_cast<uint64_t>(i) * kUs, "cs1",
          "Source-Address: 10.0." + std::to_string(i) + ".0/24\r\nCdest-ID: cd" + std::to_string(1 + i % 4) +
              "\r\n" + kStatic,
          static_cast<uint64_t>(i + 1));
  for (int i = 0; i < 20000; ++i) {
    const int net = i % 64;
    Packet p = b.packet(kMs + static_cast<uint64_t>(i) * kUs,
                        flow("10.0." + std::to_string(net) + "." + std::to_string(1 + i % 200), "10.1.0.1"));
    if (net < 50) b.copy(p, "cd" + std::to_string(1 + net % 4));
  }
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.matched_copies, r.predicted_copies);
}

// ----------------------------------------------------------------------------- independence

TEST(ScoreboardConfig, ReadsJunosTextItself) {
  const std::string text = R"(/* two groups, the same destination id in both */
services {
    dynamic-flow-capture {
        g-max-duplicates 5;
        capture-group a {
            interfaces dfc-0/0/0;
            max-duplicates 2;
            control-source cs1 {
                source-addresses [ 10.36.41.1 10.36.41.9 ];
                service-port 2400;
                notification-targets { 10.36.41.1 port 2100; }
                shared-key "key of cs1";  # comment
                minimum-priority 7;
            }
            content-destination cd1 { address 10.36.70.1; ttl 44; hard-limit 300k; soft-limit 1m; }
        }
        capture-group b {
            control-source cs2 { service-port 2401; shared-key k2; }
            content-destination cd1 { address 10.36.70.2; }
            content-destination v6 { address 2001:db8::1; }
        }
    }
})";
  const ScoreboardConfig c = ScoreboardConfig::parse(text);
  ASSERT_EQ(c.cdests.size(), 2u);  // the IPv6 destination is skipped (copies are IPv4-in-IP)
  const auto& a1 = c.cdests.at("a/cd1");
  EXPECT_EQ(a1.address, 0x0a244601u);
  EXPECT_EQ(a1.ttl, 44);
  EXPECT_EQ(a1.hard_limit, 300000u);
  EXPECT_EQ(a1.soft_limit, 1000000u);
  EXPECT_EQ(c.cdests.at("b/cd1").address, 0x0a244602u);
  EXPECT_EQ(c.cdests.at("b/cd1").ttl, 255);
  const auto& s1 = c.csources.at("cs1");
  EXPECT_EQ(s1.minimum_priority, 7u);
  EXPECT_EQ(s1.group, "a");
  EXPECT_EQ(s1.service_port, 2400);
  EXPECT_EQ(s1.shared_key, "key of cs1");
  EXPECT_EQ(s1.source_addresses, (std::vector<uint32_t>{0x0a242901u, 0x0a242909u}));
  ASSERT_EQ(s1.notification_targets.size(), 1u);
  EXPECT_EQ(s1.notification_targets[0].second, 2100);
  EXPECT_TRUE(s1.has_notification_targets);
  EXPECT_FALSE(c.csources.at("cs2").has_notification_targets);
  EXPECT_EQ(c.max_duplicates_of("a"), 2u);
  EXPECT_EQ(c.max_duplicates_of("b"), 5u);  // g-max-duplicates
  EXPECT_EQ(c.cdest_key("cs1", "cd1"), "a/cd1");
  EXPECT_EQ(c.cdest_key("cs2", "cd1"), "b/cd1");
  EXPECT_EQ(c.cdest_key("cs2", "cd9"), "");
  try {
    ScoreboardConfig::parse("dynamic-flow-capture {\n capture-group a {\n max-duplicates x;\n }\n}\n");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ScoreboardConfig::parse("dynamic-flow-capture { capture-group a { "), std::runtime_error);
}

// Each capture group's cd1 is its own destination, and max-duplicates applies per group.
TEST(Scoreboard, CaptureGroupsHaveTheirOwnDestinationsAndLimits) {
  ScoreboardConfig c = ScoreboardConfig::parse(R"(dynamic-flow-capture {
    capture-group a { max-duplicates 1;
      control-source cs1 { service-port 1; shared-key k; }
      content-destination cd1 { address 10.9.0.1; } content-destination cd2 { address 10.9.0.2; } }
    capture-group b { max-duplicates 2;
      control-source cs2 { service-port 2; shared-key k; minimum-priority 5; }
      content-destination cd1 { address 10.9.1.1; } content-destination cd2 { address 10.9.1.2; } } })");
  Bench b(c);
  b.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic, 2);  // loses in group a
  b.add(0, "cs2", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(0, "cs2", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic, 2);
  Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  for (const char* k : {"a/cd1", "b/cd1", "b/cd2"}) {
    Packet cp = ipip(p, k, c);
    cp.cdest_id = std::string(k).substr(2);  // the card names the group's own id
    b.sb.on_copy(cp, 110 * kUs);
  }
  b.sb.on_copy_drops({{"copies_max_duplicates", 1}});
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.matched_copies, 3u);
  {
    Bench w(c);  // a copy to group b's cd1 for a criterion of group a is wrong
    w.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    Packet q = w.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
    Packet cp = ipip(q, "b/cd1", c);
    cp.cdest_id = "cd1";
    w.sb.on_copy(cp, 110 * kUs);
    auto rw = w.finish();
    EXPECT_FALSE(rw.pass);
    EXPECT_EQ(rw.unexpected_copies, 1u);
    EXPECT_EQ(rw.missing_copies, 1u);
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

// Online: packets are checked as the ingress time passes them by the lag and forgotten; the
// verdict equals the end-of-run one, and what is pending stays bounded by the window.
TEST(Scoreboard, OnlineCheckingKeepsOnlyTheWindow) {
  for (bool online : {false, true}) {
    Bench b;
    if (online) b.sb.set_online(2 * kMs);
    b.add(0, "cs1", "Source-Address: 10.0.0.0/24\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    b.add(0, "cs2", "Dest-Address: 10.1.0.1\r\nProtocol: 17\r\nCdest-ID: cd2\r\n" + kStatic, 2);
    for (int i = 0; i < 20000; ++i) {
      Packet p = b.packet(kMs + static_cast<uint64_t>(i) * kUs,
                          flow("10.0." + std::to_string(i % 2) + "." + std::to_string(1 + i % 200), "10.1.0.1"));
      if (i % 2 == 0) b.copy(p, "cd1");
      if (i != 7777) b.copy(p, "cd2");  // one missing copy, found online too
    }
    auto r = b.finish();
    EXPECT_FALSE(r.pass);
    EXPECT_EQ(r.missing_copies, 1u);
    EXPECT_EQ(r.matched_copies, 10000u + 19999u);
    if (online) EXPECT_LE(b.sb.pending_peak(), 2100u);  // 2 ms of 1 us spacing, not 20000
    else EXPECT_EQ(b.sb.pending_peak(), 20000u);
  }
}

// The index returns a superset of the criteria whose filters match (random criteria and
// headers, against the plain filter).
TEST(RefModel, MatchIndexNeverMissesAMatch) {
  namespace r = dfc::tb::ref;
  std::mt19937 rng(7);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  auto v4 = [&](uint32_t net) { return "10." + std::to_string(net) + "." + std::to_string(pick(4)) + "." + std::to_string(pick(256)); };
  std::vector<r::Filter> fs;
  dfc::tb::sbi::MatchIndex idx;
  std::string err;
  for (uint32_t i = 0; i < 400; ++i) {
    r::Filter f;
    const uint32_t form = pick(8);
    if (form == 0) f.dst = r::parse_addr_list(v4(pick(8)), &err);
    if (form == 1) f.dst = r::parse_addr_list("10." + std::to_string(pick(8)) + ".0.0/" + std::to_string(8 + pick(25)), &err);
    if (form == 2) f.src = r::parse_addr_list(v4(pick(8)) + ",!" + v4(pick(8)), &err);
    if (form == 3) f.dst = r::parse_addr_list("!" + v4(pick(8)), &err);
    if (form == 4) f.proto = r::parse_int_list(std::to_string(pick(3) ? 17 : 6), 255, &err);
    if (form == 5) f.dst = r::parse_addr_list("10.0.0.0-10.7.255.255", &err);
    if (form == 6) f.dst = r::parse_addr_list(v4(pick(8)) + "," + v4(pick(8)) + "," + v4(pick(8)), &err);
    if (form == 7) f.dst = r::parse_addr_list("2001:db8::" + std::to_string(pick(64)), &err);
    if (pick(2)) f.dport = r::parse_int_list(std::to_string(pick(4)), 65535, &err);
    fs.push_back(f);
    idx.add(i, f);
  }
  size_t matches = 0;
  std::vector<uint32_t> cand;
  for (int k = 0; k < 5000; ++k) {
    r::Headers h;
    h.v6 = pick(8) == 0;
    h.src = h.v6 ? *r::parse_ipv6("2001:db8::" + std::to_string(pick(64))) : *r::parse_ipv4(v4(pick(8)));
    h.dst = h.v6 ? *r::parse_ipv6("2001:db8::" + std::to_string(pick(64))) : *r::parse_ipv4(v4(pick(8)));
    h.proto = pick(2) ? 17 : 6;
    h.has_ports = true;
    h.dport = static_cast<uint16_t>(pick(4));
    cand.clear();
    idx.candidates(h, cand);
    std::sort(cand.begin(), cand.end());
    for (uint32_t i = 0; i < fs.size(); ++i)
      if (r::filter_matches(fs[i], h)) {
        ++matches;
        EXPECT_TRUE(std::binary_search(cand.begin(), cand.end(), i)) << "criterion " << i << " missed";
      }
    EXPECT_LT(cand.size(), fs.size());  // an index, not a scan
  }
  EXPECT_GT(matches, 1000u);
}

// Criteria on single hosts are filed by the exact address: a packet to one of 2 000 hosts of
// one /16 (IPv4) or one /16 of IPv6 is compared with its own host's criteria only.
TEST(RefModel, MatchIndexFilesSingleHostsByAddress) {
  namespace r = dfc::tb::ref;
  dfc::tb::sbi::MatchIndex idx;
  std::string err;
  for (uint32_t i = 0; i < 2000; ++i) {
    r::Filter f;
    f.dst = r::parse_addr_list(i % 2 ? "2001:db8:2::" + std::to_string(i)
                                     : "10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1),
                               &err);
    ASSERT_TRUE(f.dst) << err;
    idx.add(i, f);
  }
  std::vector<uint32_t> cand;
  r::Headers h;
  h.dst = *r::parse_ipv4("10.200.3.11");  // criterion 2 * (3 * 125 + 5) = 760
  idx.candidates(h, cand);
  EXPECT_EQ(cand, (std::vector<uint32_t>{760}));
  cand.clear();
  h.v6 = true;
  h.dst = *r::parse_ipv6("2001:db8:2::761");
  idx.candidates(h, cand);
  EXPECT_EQ(cand, (std::vector<uint32_t>{761}));
  cand.clear();
  h.dst = *r::parse_ipv6("2001:db8:2::760");  // criterion 760 is IPv4: nothing here
  idx.candidates(h, cand);
  EXPECT_TRUE(cand.empty());
}

// The reference predicts 433 for an ADD with no timeout and no Static; a card answering 200 fails.
TEST(Scoreboard, AddWithoutTimeoutAnswered200Fails) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n", 1);
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("433"), std::string::npos) << r.errors[0];
  Bench ok;  // the same ADD answered 433 changes nothing and is no error
  ok.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n", 1, 433);
  EXPECT_TRUE(ok.finish().pass);
}
