#include "dfc/fw/packet_parse.hpp"

#include <algorithm>
#include <cstring>

namespace dfc::fw {
namespace {

#ifdef DFC_FAULT_BYTE_ORDER
// A deliberate byte-order slip, compiled only into the test image
// dfc_firmware_fault_byte_order.elf (firmware/image/CMakeLists.txt): it assumes a little-endian
// CPU, so it is right on the host by accident and wrong on the big-endian target. The ISS tests
// show that running the target image catches what every host-compiled test passes.
uint16_t be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
#else
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
#endif

Addr128 addr_v4(const uint8_t* p) {
  Addr128 a;
  a.lo = (uint64_t{p[0]} << 24) | (uint64_t{p[1]} << 16) | (uint64_t{p[2]} << 8) | p[3];
  return a;
}
Addr128 addr_v6(const uint8_t* p) {
  Addr128 a;
  for (int i = 0; i < 8; ++i) a.hi = (a.hi << 8) | p[i];
  for (int i = 8; i < 16; ++i) a.lo = (a.lo << 8) | p[i];
  return a;
}

// Fills ports / ICMP fields from the L4 header at l4 (len bytes available); returns the
// bytes examined (0 when no L4 field was read).
size_t parse_l4(FlowKey& k, const uint8_t* l4, size_t len) {
  const uint8_t pr = k.proto;
  if (pr == 6 || pr == 17 || pr == 132 || pr == 33 /*DCCP*/ || pr == 136 /*UDP-Lite*/) {
    if (len >= 4) {
      k.has_ports = true;
      k.sport = be16(l4);
      k.dport = be16(l4 + 2);
      return 4;
    }
  } else if ((pr == 1 && !k.v6) || (pr == 58 && k.v6)) {
    if (len >= 2) {
      k.has_icmp = true;
      k.icmp_type = l4[0];
      k.icmp_code = l4[1];
      return 2;
    }
  }
  return 0;
}

// Work of a parse that ended before the IP layer: `bytes` examined, `headers` decoded.
ParsedPacket early(ParseOutcome o, size_t bytes, uint8_t headers) {
  ParsedPacket r;
  r.outcome = o;
  r.header_bytes = static_cast<uint32_t>(bytes);
  r.headers = headers;
  return r;
}

ParsedPacket parse_ipv4(const uint8_t* d, size_t n, size_t off) {
  ParsedPacket r;
  r.header_bytes = static_cast<uint32_t>(std::min(n, off + 20));
  r.headers = 1;
  if (n - off < 20) return r.outcome = ParseOutcome::Truncated, r;
  const uint8_t* ip = d + off;
  const unsigned ihl = (ip[0] & 0x0f) * 4u;
  const size_t tot = be16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl) return r.outcome = ParseOutcome::BadIpHeader, r;
  if (tot > n - off) return r.outcome = ParseOutcome::Truncated, r;
  FlowKey& k = r.key;
  k.v6 = false;
  k.proto = ip[9];
  k.src = addr_v4(ip + 12);
  k.dst = addr_v4(ip + 16);
  const uint16_t frag = be16(ip + 6);
  r.header_bytes = static_cast<uint32_t>(off + ihl);
  if ((frag & 0x1fff) != 0) {
    k.frag_nonfirst = true;
  } else if (const size_t l4 = parse_l4(k, ip + ihl, tot - ihl)) {
    r.header_bytes += static_cast<uint32_t>(l4);
    ++r.headers;
  }
  r.outcome = ParseOutcome::Ip;
  r.ip_offset = off;
  r.ip_length = tot;
  return r;
}

ParsedPacket parse_ipv6(const uint8_t* d, size_t n, size_t off) {
  ParsedPacket r;
  r.header_bytes = static_cast<uint32_t>(std::min(n, off + 40));
  r.headers = 1;
  if (n - off < 40) return r.outcome = ParseOutcome::Truncated, r;
  const uint8_t* ip = d + off;
  if ((ip[0] >> 4) != 6) return r.outcome = ParseOutcome::BadIpHeader, r;
  const size_t tot = 40 + size_t{be16(ip + 4)};
  if (tot > n - off) return r.outcome = ParseOutcome::Truncated, r;
  FlowKey& k = r.key;
  k.v6 = true;
  k.src = addr_v6(ip + 8);
  k.dst = addr_v6(ip + 24);
  uint8_t nh = ip[6];
  size_t pos = 40;
  // Walk the extension headers to the upper-layer protocol (RFC 8200 §4).
  for (int guard = 0; guard < 16; ++guard) {
    if (nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140) {
      if (tot - pos < 8) return r.outcome = ParseOutcome::Truncated, r;
      const uint8_t next = ip[pos];
      pos += (size_t{ip[pos + 1]} + 1) * 8;
      nh = next;
    } else if (nh == 51) {  // AH: length in 4-octet units minus 2
      if (tot - pos < 8) return r.outcome = ParseOutcome::Truncated, r;
      const uint8_t next = ip[pos];
      pos += (size_t{ip[pos + 1]} + 2) * 4;
      nh = next;
    } else if (nh == 44) {  // Fragment
      if (tot - pos < 8) return r.outcome = ParseOutcome::Truncated, r;
      const uint8_t next = ip[pos];
      const uint16_t offs = be16(ip + pos + 2) >> 3;
      pos += 8;
      nh = next;
      if (offs != 0) {
        k.frag_nonfirst = true;
        break;
      }
    } else {
      break;
    }
    ++r.headers;
    r.header_bytes = static_cast<uint32_t>(off + std::min(pos, tot));
    if (pos > tot) return r.outcome = ParseOutcome::Truncated, r;
  }
  k.proto = nh;
  r.header_bytes = static_cast<uint32_t>(off + std::min(pos, tot));
  if (!k.frag_nonfirst && pos <= tot) {
    if (const size_t l4 = parse_l4(k, ip + pos, tot - pos)) {
      r.header_bytes += static_cast<uint32_t>(l4);
      ++r.headers;
    }
  }
  r.outcome = ParseOutcome::Ip;
  r.ip_offset = off;
  r.ip_length = tot;
  return r;
}

}  // namespace

std::string_view to_string(ParseOutcome o) {
  switch (o) {
    case ParseOutcome::Ip: return "ip";
    case ParseOutcome::NonIp: return "non_ip";
    case ParseOutcome::Mpls: return "mpls";
    case ParseOutcome::Truncated: return "truncated";
    case ParseOutcome::BadIpHeader: return "bad_ip_header";
  }
  return "unknown";
}

ParsedPacket parse_packet(const Packet& p) {
  const uint8_t* d = p.bytes();
  const size_t n = p.length();
  size_t off = 0;
  uint16_t type = 0;
  if (p.link == LinkType::Ethernet) {
    if (n < 14) return early(ParseOutcome::Truncated, n, 1);
    type = be16(d + 12);
    off = 14;
    uint8_t link_headers = 1;
    // 802.1Q, 802.1ad and the legacy 0x9100 QinQ tag; at most 4 stacked tags.
    for (int tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 4; ++tags) {
      if (n - off < 4) return early(ParseOutcome::Truncated, n, link_headers);
      type = be16(d + off + 2);
      off += 4;
      ++link_headers;
    }
    ParsedPacket r;
    if (type == 0x8847 || type == 0x8848) return early(ParseOutcome::Mpls, off, link_headers);
    if (type == 0x0800) r = parse_ipv4(d, n, off);
    else if (type == 0x86dd) r = parse_ipv6(d, n, off);
    else return early(ParseOutcome::NonIp, off, link_headers);
    r.headers = static_cast<uint8_t>(r.headers + link_headers);
    return r;
  }
  if (n < 1) return early(ParseOutcome::Truncated, 0, 0);
  switch (d[0] >> 4) {
    case 4: return parse_ipv4(d, n, 0);
    case 6: return parse_ipv6(d, n, 0);
    default: return early(ParseOutcome::NonIp, 1, 0);
  }
}

}  // namespace dfc::fw
