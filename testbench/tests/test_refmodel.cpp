// The scoreboard's reference model on its own: the DTCP list and message parsers, the packet
// parser and the indexed match (a superset of the plain filter, single hosts by address).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "checker/refmodel.hpp"
#include "checker/scoreboard_impl.hpp"
#include "scoreboard_bench.hpp"

using namespace sbtest;

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
