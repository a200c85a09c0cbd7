// The distribution block: a flow's packets (both directions) land on one data thread; layer-3
// ignores the ports, layer-4 does not; many flows spread over every thread.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "distribution.hpp"

namespace {

using dfc::LinkType;
using dfc::Packet;
using dfc::model::Distribution;

Packet ipv4(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto = 17, bool ether = false) {
  Packet p;
  p.link = ether ? LinkType::Ethernet : LinkType::RawIp;
  std::vector<uint8_t> ip(28, 0);
  ip[0] = 0x45, ip[9] = proto;
  for (int i = 0; i < 4; ++i) ip[12 + i] = uint8_t(src >> (24 - 8 * i)), ip[16 + i] = uint8_t(dst >> (24 - 8 * i));
  ip[20] = uint8_t(sp >> 8), ip[21] = uint8_t(sp), ip[22] = uint8_t(dp >> 8), ip[23] = uint8_t(dp);
  if (ether) {
    std::vector<uint8_t> eth(14, 0);
    eth[12] = 0x08;
    ip.insert(ip.begin(), eth.begin(), eth.end());
  }
  p.data = ip;
  return p;
}

std::vector<unsigned> threads(unsigned n) {
  std::vector<unsigned> t;
  for (unsigned i = 0; i < n; ++i) t.push_back(4 + i);
  return t;
}

TEST(Distribution, BothDirectionsOfAFlowHashAlikeOnEitherLinkType) {
  const Distribution d(Distribution::Key::Layer4, threads(28));
  const auto a = ipv4(0x0a000001, 0x0a000002, 1234, 80);
  const auto b = ipv4(0x0a000002, 0x0a000001, 80, 1234);
  EXPECT_EQ(d.hash(a), d.hash(b));
  EXPECT_EQ(d.hash(a), d.hash(ipv4(0x0a000001, 0x0a000002, 1234, 80, 17, true)));
  EXPECT_NE(d.hash(a), d.hash(ipv4(0x0a000001, 0x0a000002, 1235, 80)));
}

TEST(Distribution, Layer3IgnoresThePortsLayer4UsesThem) {
  const Distribution l3(Distribution::Key::Layer3, threads(28)), l4(Distribution::Key::Layer4, threads(28));
  std::set<unsigned> on3, on4;
  for (uint16_t port = 1000; port < 1100; ++port) {
    on3.insert(l3.target(l3.hash(ipv4(0x0a000001, 0x0a000002, port, 53))));
    on4.insert(l4.target(l4.hash(ipv4(0x0a000001, 0x0a000002, port, 53))));
  }
  EXPECT_EQ(on3.size(), 1u);  // one address pair: one thread
  EXPECT_GT(on4.size(), 20u);  // a hundred 5-tuples: nearly every thread
}

TEST(Distribution, ManyFlowsSpreadEvenlyOverTheTargets) {
  const Distribution d(Distribution::Key::Layer4, threads(28));
  std::vector<int> n(4 + 28, 0);
  const int flows = 28000;
  for (int i = 0; i < flows; ++i) ++n[d.target(d.hash(ipv4(0x0a000000 + uint32_t(i), 0xc0a80001, uint16_t(i), 443, 6)))];
  for (unsigned t = 0; t < 4; ++t) EXPECT_EQ(n[t], 0);  // never a context that is not a target
  for (unsigned t = 4; t < 32; ++t) {
    EXPECT_GT(n[t], 800) << t;  // 1000 expected per thread
    EXPECT_LT(n[t], 1200) << t;
  }
}

TEST(Distribution, FragmentsAndNonIpStillHashDeterministically) {
  const Distribution d(Distribution::Key::Layer4, threads(4));
  auto frag = ipv4(0x0a000001, 0x0a000002, 1234, 80);
  frag.data[6] = 0x20;  // more fragments: the ports are not trusted
  auto frag2 = ipv4(0x0a000001, 0x0a000002, 9999, 80);
  frag2.data[6] = 0x20;
  EXPECT_EQ(d.hash(frag), d.hash(frag2));
  Packet junk;
  junk.data = {1, 2, 3};
  EXPECT_EQ(d.hash(junk), d.hash(junk));
}

}  // namespace
