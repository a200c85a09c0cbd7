// Reference model, packet side: Ethernet (+802.1Q/802.1ad/QinQ tags) or raw IP, IPv4 (options,
// fragments), IPv6 (extension headers, Fragment header), and the L4 fields a criterion can name
// (RFC 791, 8200, 793, 768, 4960, 792, 4443). Independent of firmware/src/fw.
#include "refmodel.hpp"

namespace dfc::tb::ref {
namespace {

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// Minimum L4 header a packet must carry for the model to take a position on it.
size_t l4_min(bool v6, uint8_t proto) {
  switch (proto) {
    case 6: return 20;    // TCP
    case 17: return 8;    // UDP
    case 132: return 12;  // SCTP common header
    case 1: return v6 ? 0 : 8;
    case 58: return v6 ? 8 : 0;
    default: return 0;
  }
}

void fill_l4(ParsedPacket& r, const uint8_t* l4, size_t n) {
  Headers& h = r.h;
  if (r.nonfirst) return;  // no transport header in non-first fragments
  const size_t need = l4_min(h.v6, h.proto);
  if (n < need) {
    r.kind = ParsedPacket::Undecided;
    r.why = "L4 header truncated (" + std::to_string(n) + " of " + std::to_string(need) + " bytes)";
    return;
  }
  if (h.proto == 6 || h.proto == 17 || h.proto == 132) {
    h.has_ports = true;
    h.sport = rd16(l4);
    h.dport = rd16(l4 + 2);
  } else if ((!h.v6 && h.proto == 1) || (h.v6 && h.proto == 58)) {
    h.has_icmp = true;
    h.itype = l4[0];
    h.icode = l4[1];
  }
}

// Marks the packet as never copied (kind Bad) for the reason given.
void bad(ParsedPacket& r, const std::string& why) {
  r.kind = ParsedPacket::Bad;
  r.why = why;
}

// Ethernet header and its tags: off = where the IP header starts, want_version = the version
// the ethertype announces (0 for raw IP). False when the packet is not IP (r says why).
bool parse_link(const Packet& p, ParsedPacket& r, size_t& off, int& want_version) {
  if (p.link != LinkType::Ethernet) return true;
  const uint8_t* d = p.data.data();
  const size_t n = p.data.size();
  if (n < 14) {
    bad(r, "Ethernet header truncated");
    return false;
  }
  uint16_t et = rd16(d + 12);
  off = 14;
  while (et == 0x8100 || et == 0x88a8 || et == 0x9100) {
    if (n < off + 4) {
      bad(r, "VLAN tag truncated");
      return false;
    }
    ++r.vlan_tags;
    et = rd16(d + off + 2);
    off += 4;
  }
  if (et == 0x8847 || et == 0x8848) {
    r.kind = ParsedPacket::Mpls;
    r.why = "MPLS";
    return false;
  }
  if (et == 0x0800) {
    want_version = 4;
  } else if (et == 0x86dd) {
    want_version = 6;
  } else {
    r.kind = ParsedPacket::NotIp;
    r.why = "ethertype " + std::to_string(et);
    return false;
  }
  return true;
}

// IPv4 header (options skipped, fragments), then the L4 header.
void parse_ipv4(ParsedPacket& r, const uint8_t* ip, size_t avail) {
  Headers& h = r.h;
  if (avail < 20) return bad(r, "IPv4 header truncated");
  const size_t ihl = static_cast<size_t>(ip[0] & 15) * 4;
  if (ihl < 20) return bad(r, "IPv4 IHL < 5");
  if (avail < ihl) return bad(r, "IPv4 options truncated");
  const size_t total = rd16(ip + 2);
  if (total < ihl) return bad(r, "IPv4 total length < header length");
  if (total > avail) return bad(r, "IPv4 total length beyond the frame");
  r.kind = ParsedPacket::Ip;
  r.ip_len = total;
  h.v6 = false;
  std::copy(ip + 12, ip + 16, h.src.begin() + 12);
  std::copy(ip + 16, ip + 20, h.dst.begin() + 12);
  h.proto = ip[9];
  const uint16_t ff = rd16(ip + 6);
  r.fragment = (ff & 0x2000) || (ff & 0x1fff);
  r.nonfirst = (ff & 0x1fff) != 0;
  fill_l4(r, ip + ihl, total - ihl);
  if (ip_checksum(ip, ihl) != 0 && r.kind == ParsedPacket::Ip) {
    r.kind = ParsedPacket::Undecided;
    r.why = "IPv4 header checksum wrong";
  }
}

// Walks the IPv6 extension headers from pos (the fixed header's next header nh) to the
// protocol; false (Undecided) when one is truncated before end.
bool walk_v6_extensions(ParsedPacket& r, const uint8_t* ip, size_t& pos, size_t end, uint8_t& nh) {
  while (true) {
    const bool generic = nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140;
    if (!generic && nh != 44 && nh != 51) return true;
    if (end < pos + 8) {
      r.kind = ParsedPacket::Undecided;
      r.why = "IPv6 extension header truncated";
      r.h.proto = nh;
      return false;
    }
    const uint8_t* e = ip + pos;
    ++r.v6_ext_headers;
    size_t len = 8;
    if (generic) len = (static_cast<size_t>(e[1]) + 1) * 8;
    if (nh == 51) len = (static_cast<size_t>(e[1]) + 2) * 4;
    if (nh == 44) {
      const uint16_t fo = rd16(e + 2);
      r.fragment = true;
      r.nonfirst = (fo >> 3) != 0;
    }
    if (end < pos + len) {
      r.kind = ParsedPacket::Undecided;
      r.why = "IPv6 extension header truncated";
      r.h.proto = nh;
      return false;
    }
    nh = e[0];
    pos += len;
    if (r.nonfirst) return true;  // what follows a non-first fragment's header is not parsable
  }
}

// IPv6 header, its extension headers, then the L4 header.
void parse_ipv6(ParsedPacket& r, const uint8_t* ip, size_t avail) {
  Headers& h = r.h;
  if (avail < 40) return bad(r, "IPv6 header truncated");
  const size_t plen = rd16(ip + 4);
  if (40 + plen > avail) return bad(r, "IPv6 payload length beyond the frame");
  r.kind = ParsedPacket::Ip;
  r.ip_len = 40 + plen;
  h.v6 = true;
  std::copy(ip + 8, ip + 24, h.src.begin());
  std::copy(ip + 24, ip + 40, h.dst.begin());
  uint8_t nh = ip[6];
  if (plen == 0 && nh == 0) {
    r.kind = ParsedPacket::Undecided;
    r.why = "IPv6 jumbogram";
    return;
  }
  size_t pos = 40;
  const size_t end = 40 + plen;
  if (!walk_v6_extensions(r, ip, pos, end, nh)) return;
  h.proto = nh;
  fill_l4(r, ip + pos, end - pos);
}

}  // namespace

uint16_t ip_checksum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>((p[i] << 8) | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s & 0xffff);
}

ParsedPacket parse_packet(const Packet& p) {
  ParsedPacket r;
  size_t off = 0;
  int want_version = 0;  // 0: from the first nibble (raw IP)
  if (!parse_link(p, r, off, want_version)) return r;
  const size_t n = p.data.size();
  if (n <= off) {
    bad(r, "no IP header");
    return r;
  }
  const uint8_t* ip = p.data.data() + off;
  const size_t avail = n - off;
  const int version = ip[0] >> 4;
  if (want_version && version != want_version) {
    bad(r, "IP version does not match ethertype");
    return r;
  }
  r.ip_off = off;
  if (version == 4) parse_ipv4(r, ip, avail);
  else if (version == 6) parse_ipv6(r, ip, avail);
  else bad(r, "IP version " + std::to_string(version));
  return r;
}

}  // namespace dfc::tb::ref
