// Builds well-formed test packets (Ethernet + IPv4/IPv6 + UDP/TCP/ICMP, checksums right)
// for scenarios and tests. Written from the RFCs, independent of the firmware's parser.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dfc/hal/packet.hpp"

namespace dfc::tb {

struct FlowSpec {
  std::string src = "10.0.0.1", dst = "10.0.0.2";  // IPv4 or IPv6 text
  uint8_t proto = 17;                              // 6 TCP, 17 UDP, 1/58 ICMP, others raw
  uint16_t sport = 1024, dport = 80;               // TCP/UDP; ICMP: sport=type, dport=code
  size_t frame_len = 64;                           // Ethernet frame length incl. FCS space
  uint8_t ttl = 64;
  bool ethernet = true;
};

// Throws std::invalid_argument for an unparsable address.
Packet build_packet(const FlowSpec& f, uint64_t payload_seed = 0);

// A flow's addresses parsed once (a generator builds millions of packets per flow: parsing
// the text each time was ~4 % of a run). len: 4 or 16.
struct FlowAddrs {
  std::array<uint8_t, 16> src{}, dst{};
  uint8_t len = 4;
  static FlowAddrs of(const FlowSpec& f);  // throws std::invalid_argument like build_packet
};
// The same packet as build_packet(f, seed) from addresses parsed once; f's text is not read.
Packet build_packet(const FlowSpec& f, uint64_t payload_seed, const FlowAddrs& addrs);

// Parses dotted-quad / RFC 4291 text into 4 or 16 bytes; throws std::invalid_argument.
std::vector<uint8_t> parse_ip(const std::string& text);
uint32_t parse_ipv4_host_order(const std::string& text);

}  // namespace dfc::tb
