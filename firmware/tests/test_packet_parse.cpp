// The pipeline's parser: what each kind of frame yields as a lookup key, and which frames
// are not intercepted. Frames are written out byte by byte here (not with the testbench's
// builder) so the test does not share assumptions with other code.
#include <gtest/gtest.h>

#include "dfc/fw/ipip.hpp"
#include "dfc/fw/packet_parse.hpp"

using namespace dfc;
using namespace dfc::fw;

namespace {
std::vector<uint8_t> eth(uint16_t type, std::vector<uint8_t> payload, std::vector<uint16_t> vlans = {}) {
  std::vector<uint8_t> f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  for (uint16_t tpid : vlans) {
    f.push_back(static_cast<uint8_t>(tpid >> 8));
    f.push_back(static_cast<uint8_t>(tpid));
    f.push_back(0x00);
    f.push_back(0x64);  // VID 100
  }
  f.push_back(static_cast<uint8_t>(type >> 8));
  f.push_back(static_cast<uint8_t>(type));
  for (uint8_t b : payload) f.push_back(b);
  return f;
}
std::vector<uint8_t> ipv4(uint8_t proto, std::vector<uint8_t> l4, uint16_t frag = 0) {
  const size_t tot = 20 + l4.size();
  std::vector<uint8_t> h = {0x45, 0, uint8_t(tot >> 8), uint8_t(tot), 0, 1, uint8_t(frag >> 8), uint8_t(frag),
                            64, proto, 0, 0, 10, 1, 2, 3, 192, 168, 0, 9};
  for (uint8_t b : l4) h.push_back(b);  // (insert() trips GCC 12's -Warray-bounds at -O3)
  return h;
}
Packet pkt(std::vector<uint8_t> d, LinkType l = LinkType::Ethernet) {
  Packet p;
  p.data = std::move(d);
  p.link = l;
  return p;
}
const std::vector<uint8_t> kUdp = {0x04, 0x00, 0x00, 0x35, 0, 8, 0, 0};  // 1024 -> 53
}  // namespace

TEST(PacketParse, Ipv4UdpOverEthernet) {
  auto r = parse_packet(pkt(eth(0x0800, ipv4(17, kUdp))));
  ASSERT_EQ(r.outcome, ParseOutcome::Ip);
  EXPECT_FALSE(r.key.v6);
  EXPECT_EQ(r.key.src.lo, 0x0a010203u);
  EXPECT_EQ(r.key.dst.lo, 0xc0a80009u);
  EXPECT_EQ(r.key.proto, 17);
  EXPECT_TRUE(r.key.has_ports);
  EXPECT_EQ(r.key.sport, 1024);
  EXPECT_EQ(r.key.dport, 53);
  EXPECT_EQ(r.ip_offset, 14u);
  EXPECT_EQ(r.ip_length, 28u);
}

TEST(PacketParse, EthernetPaddingIsNotPartOfTheIpPacket) {
  auto f = eth(0x0800, ipv4(17, kUdp));
  f.resize(60, 0xee);  // minimum frame padding
  auto r = parse_packet(pkt(f));
  ASSERT_EQ(r.outcome, ParseOutcome::Ip);
  EXPECT_EQ(r.ip_length, 28u);
}

TEST(PacketParse, StackedVlanTags) {
  auto r = parse_packet(pkt(eth(0x0800, ipv4(6, kUdp), {0x88a8, 0x8100})));
  ASSERT_EQ(r.outcome, ParseOutcome::Ip);
  EXPECT_EQ(r.ip_offset, 22u);
  EXPECT_EQ(r.key.dport, 53);
}

TEST(PacketParse, IcmpTypeAndCode) {
  auto r = parse_packet(pkt(ipv4(1, {8, 0, 0, 0, 0, 0, 0, 0}), LinkType::RawIp));
  ASSERT_EQ(r.outcome, ParseOutcome::Ip);
  EXPECT_TRUE(r.key.has_icmp);
  EXPECT_FALSE(r.key.has_ports);
  EXPECT_EQ(r.key.icmp_type, 8);
  EXPECT_EQ(r.key.icmp_code, 0);
}

TEST(PacketParse, NonFirstIpv4FragmentHasNoPorts) {
  auto r = parse_packet(pkt(ipv4(17, kUdp, 0x0010), LinkType::RawIp));  // offset 16*8
  ASSERT_EQ(r.outcome, ParseOutcome::Ip);
  EXPECT_TRUE(r.key.frag_nonfirst);
  EXPECT_FALSE(r.key.has_ports);
  auto first = parse_packet(pkt(ipv4(17, kUdp, 0x2000), LinkType::RawIp));  // MF, offset 0
  EXPECT_FALSE(first.key.frag_nonfirst);
  EXPECT_TRUE(first.key.has_ports);
}

TEST(PacketParse, Ipv6WithHopByHopAndFragmentHeaders) {
  std::vector<uint8_t> ip = {0x60, 0, 0, 0, 0, 0, 0, 64};
  for (int i = 0; i < 16; ++i) ip.push_back(i == 0 ? 0x20 : (i == 15 ? 1 : 0));  // 2000::1
  for (int i = 0; i < 16; ++i) ip.push_back(i == 0 ? 0x20 : (i == 15 ? 2 : 0));  // 2000::2
  ip[6] = 0;                                                    // hop-by-hop
  std::vector<uint8_t> ext = {44, 0, 1, 4, 0, 0, 0, 0,          // HBH -> fragment (8 bytes, PadN)
                              17, 0, 0, 0, 0, 0, 0, 1};          // fragment, offset 0
  for (uint8_t b : ext) ip.push_back(b);
  for (uint8_t b : kUdp) ip.push_back(b);
  const size_t pl = ip.size() - 40;
  ip[4] = uint8_t(pl >> 8);
  ip[5] = uint8_t(pl);
  auto r = parse_packet(pkt(eth(0x86dd, ip)));
  ASSERT_EQ(r.outcome, ParseOutcome::Ip);
  EXPECT_TRUE(r.key.v6);
  EXPECT_EQ(r.key.src.hi, 0x2000000000000000ull);
  EXPECT_EQ(r.key.src.lo, 1u);
  EXPECT_EQ(r.key.proto, 17);
  EXPECT_TRUE(r.key.has_ports);
  EXPECT_EQ(r.key.dport, 53);
  // Same packet as a non-first fragment: no ports.
  ip[40 + 8 + 2] = 0x01;  // offset 32
  auto nf = parse_packet(pkt(eth(0x86dd, ip)));
  EXPECT_TRUE(nf.key.frag_nonfirst);
  EXPECT_FALSE(nf.key.has_ports);
}

TEST(PacketParse, NotInterceptedFrames) {
  EXPECT_EQ(parse_packet(pkt(eth(0x0806, std::vector<uint8_t>(28, 0)))).outcome, ParseOutcome::NonIp);
  EXPECT_EQ(parse_packet(pkt(eth(0x8847, std::vector<uint8_t>(40, 0)))).outcome, ParseOutcome::Mpls);
  EXPECT_EQ(parse_packet(pkt({1, 2, 3})).outcome, ParseOutcome::Truncated);
  auto bad = ipv4(17, kUdp);
  bad[0] = 0x43;  // IHL 3
  EXPECT_EQ(parse_packet(pkt(bad, LinkType::RawIp)).outcome, ParseOutcome::BadIpHeader);
  auto longer = ipv4(17, kUdp);
  longer[3] = 200;  // total length beyond the frame
  EXPECT_EQ(parse_packet(pkt(longer, LinkType::RawIp)).outcome, ParseOutcome::Truncated);
}

TEST(Ipip, OuterHeaderFieldsAndChecksum) {
  auto inner = ipv4(17, kUdp);
  auto out = encapsulate_ipip(inner.data(), inner.size(), OuterHeader{0xc0000202, 0x0a246402, 244, 7});
  ASSERT_EQ(out.size(), inner.size() + 20);
  EXPECT_EQ(out[0], 0x45);
  EXPECT_EQ((out[2] << 8) | out[3], int(inner.size() + 20));
  EXPECT_EQ(out[8], 244);
  EXPECT_EQ(out[9], 4);
  EXPECT_EQ(ipv4_header_checksum(out.data(), 20), 0);  // a valid header sums to 0xffff
  EXPECT_EQ(std::vector<uint8_t>(out.begin() + 20, out.end()), inner);
  std::vector<uint8_t> v6(40, 0);
  v6[0] = 0x60;
  EXPECT_EQ(encapsulate_ipip(v6.data(), v6.size(), OuterHeader{})[9], 41);
}
