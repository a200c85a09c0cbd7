#include "stimulus/packet_builder.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

namespace dfc::tb {

std::vector<uint8_t> parse_ip(const std::string& text) {
  uint8_t buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1) return {buf, buf + 4};
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) return {buf, buf + 16};
  throw std::invalid_argument("not an IPv4 or IPv6 address: '" + text + "'");
}

uint32_t parse_ipv4_host_order(const std::string& text) {
  auto b = parse_ip(text);
  if (b.size() != 4) throw std::invalid_argument("not an IPv4 address: '" + text + "'");
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

namespace {
void put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
  v[at] = static_cast<uint8_t>(x >> 8);
  v[at + 1] = static_cast<uint8_t>(x);
}
uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t{p[i]} << 8) | p[i + 1];
  if (n & 1) s += uint32_t{p[n - 1]} << 8;
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}
}  // namespace

FlowAddrs FlowAddrs::of(const FlowSpec& f) {
  const auto src = parse_ip(f.src), dst = parse_ip(f.dst);
  if (src.size() != dst.size()) throw std::invalid_argument("mixed address families: " + f.src + " -> " + f.dst);
  FlowAddrs a;
  a.len = static_cast<uint8_t>(src.size());
  std::copy(src.begin(), src.end(), a.src.begin());
  std::copy(dst.begin(), dst.end(), a.dst.begin());
  return a;
}

Packet build_packet(const FlowSpec& f, uint64_t seed) { return build_packet(f, seed, FlowAddrs::of(f)); }

namespace {
// A UDP datagram to or from port 53 carries a well-formed DNS message (a query for
// example.com, or an answerless response from port 53) filling `avail` bytes, so that
// Wireshark and tshark decode generated traffic instead of flagging it malformed: the name's
// length absorbs small sizes, an EDNS(0) Padding option (RFC 7830) large ones. Returns the
// bytes used: avail, except below the smallest message (17 bytes: header, root name, type,
// class) where it is 0, and at 18, which no message fits (17).
size_t fill_dns(uint8_t* p, size_t avail, uint16_t id, bool response) {
  constexpr size_t kHeader = 12, kTypeClass = 4, kOpt = 11 + 4;  // OPT RR + one option header
  if (avail < kHeader + 1 + kTypeClass) return 0;
  std::fill(p, p + avail, uint8_t{0});
  auto put = [&](size_t at, uint16_t v) { p[at] = static_cast<uint8_t>(v >> 8), p[at + 1] = static_cast<uint8_t>(v); };
  put(0, id);
  put(2, response ? 0x8180 : 0x0100);  // standard query, recursion desired (response: + available)
  put(4, 1);                           // one question
  size_t room = avail - kHeader - kTypeClass, at = kHeader;
  static const uint8_t kName[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0};
  const bool padded = room >= sizeof kName + kOpt;
  if (padded) {
    std::copy(kName, kName + sizeof kName, p + at);
    at += sizeof kName;
  } else if (room >= 3) {  // one label of room - 2 letters and the root
    p[at++] = static_cast<uint8_t>(room - 2);
    for (size_t i = 0; i < room - 2; ++i) p[at++] = 'a';
    p[at++] = 0;
  } else {
    p[at++] = 0;  // the root name
  }
  put(at, 1), put(at + 2, 1);  // type A, class IN
  at += kTypeClass;
  if (!padded) return at;
  const size_t pad = avail - at - kOpt;
  put(10, 1);  // one additional record: the OPT pseudo-record
  p[at] = 0;   // its name: the root
  put(at + 1, 41), put(at + 3, 1232);  // type OPT, UDP payload size (the DNS flag day's value)
  put(at + 9, static_cast<uint16_t>(4 + pad));  // RDLENGTH (TTL bytes at +5..+8 stay 0)
  put(at + 11, 12), put(at + 13, static_cast<uint16_t>(pad));  // option Padding, its length
  return avail;
}
}  // namespace

Packet build_packet(const FlowSpec& f, uint64_t seed, const FlowAddrs& addrs) {
  const bool v6 = addrs.len == 16;
  struct Bytes {
    const uint8_t* p;
    size_t n;
    const uint8_t* begin() const { return p; }
    const uint8_t* end() const { return p + n; }
    const uint8_t* data() const { return p; }
    size_t size() const { return n; }
  };
  const Bytes src{addrs.src.data(), addrs.len}, dst{addrs.dst.data(), addrs.len};
  const size_t l2 = f.ethernet ? 14 : 0;
  const size_t iph = v6 ? 40 : 20;
  size_t l4h = f.proto == 6 ? 20 : (f.proto == 17 ? 8 : ((f.proto == 1 || f.proto == 58) ? 8 : 0));
  // frame_len counts the 4-byte FCS as Ethernet sizes do; the FCS itself is not stored.
  size_t want = f.frame_len > 4 ? f.frame_len - 4 : 0;
  if (!f.ethernet) want = f.frame_len;
  size_t ip_len = std::max(want > l2 ? want - l2 : 0, iph + l4h);
  std::vector<uint8_t> d(l2 + ip_len, 0);
  if (f.ethernet) {
    const uint8_t mac_dst[6] = {0x00, 0x05, 0x85, 0x00, 0x00, 0x01};  // Juniper OUI
    const uint8_t mac_src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
    std::copy(mac_dst, mac_dst + 6, d.begin());
    std::copy(mac_src, mac_src + 6, d.begin() + 6);
    put16(d, 12, v6 ? 0x86dd : 0x0800);
  }
  uint8_t* ip = d.data() + l2;
  const size_t l4 = l2 + iph;
  // Payload: a deterministic pattern so copies can be compared byte for byte.
  for (size_t i = l4 + l4h; i < d.size(); ++i) d[i] = static_cast<uint8_t>((seed * 131 + i * 7) & 0xff);
  if (f.proto == 17 && (f.sport == 53 || f.dport == 53)) {
    const size_t avail = ip_len - iph - l4h;
    const size_t used = fill_dns(d.data() + l4 + l4h, avail, static_cast<uint16_t>(seed), f.sport == 53 && f.dport != 53);
    // A shorter message shortens the IP packet; an Ethernet frame keeps its size (the rest is
    // the link's padding, as on a real short frame), a raw IP packet ends with it.
    ip_len -= avail - used;
    if (!f.ethernet) d.resize(l2 + ip_len);
  }
  if (v6) {
    ip[0] = 0x60;
    put16(d, l2 + 4, static_cast<uint16_t>(ip_len - 40));
    ip[6] = f.proto;
    ip[7] = f.ttl;
    std::copy(src.begin(), src.end(), ip + 8);
    std::copy(dst.begin(), dst.end(), ip + 24);
  } else {
    ip[0] = 0x45;
    put16(d, l2 + 2, static_cast<uint16_t>(ip_len));
    put16(d, l2 + 4, static_cast<uint16_t>(seed & 0xffff));
    ip[8] = f.ttl;
    ip[9] = f.proto;
    std::copy(src.begin(), src.end(), ip + 12);
    std::copy(dst.begin(), dst.end(), ip + 16);
    put16(d, l2 + 10, fold(sum16(ip, 20)));
  }
  const size_t l4len = ip_len - iph;
  if (f.proto == 6 || f.proto == 17) {
    put16(d, l4, f.sport);
    put16(d, l4 + 2, f.dport);
    if (f.proto == 17) put16(d, l4 + 4, static_cast<uint16_t>(l4len));
    if (f.proto == 6) {
      put16(d, l4 + 4, static_cast<uint16_t>(seed >> 16));
      d[l4 + 12] = 0x50;  // data offset 5
      d[l4 + 13] = 0x18;  // PSH, ACK
      put16(d, l4 + 14, 65535);
    }
  } else if (f.proto == 1 || f.proto == 58) {
    d[l4] = static_cast<uint8_t>(f.sport);
    d[l4 + 1] = static_cast<uint8_t>(f.dport);
  }
  if (l4h) {
    // Pseudo-header checksum (RFC 768/793/4443/8200).
    uint32_t s = 0;
    if (f.proto != 1) {
      s = sum16(src.data(), src.size(), s);
      s = sum16(dst.data(), dst.size(), s);
      s += f.proto;
      s += static_cast<uint32_t>(l4len);
    }
    const size_t ck = f.proto == 6 ? 16 : (f.proto == 17 ? 6 : 2);
    put16(d, l4 + ck, 0);
    uint16_t c = fold(sum16(d.data() + l4, l4len, s));
    if (f.proto == 17 && c == 0) c = 0xffff;
    put16(d, l4 + ck, c);
  }
  Packet p;
  p.data = std::move(d);
  p.link = f.ethernet ? LinkType::Ethernet : LinkType::RawIp;
  p.unit = Unit::Monitor;
  return p;
}

}  // namespace dfc::tb
