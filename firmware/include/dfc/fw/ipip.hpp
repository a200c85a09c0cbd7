// IP-IP encapsulation of a copy (Junos: the DFC PIC prepends an IPv4 header addressed to
// the content destination and leaves the original packet intact).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dfc::fw {

struct OuterHeader {
  uint32_t src = 0;  // host order
  uint32_t dst = 0;  // host order: the content destination's address
  uint8_t ttl = 255;
  uint16_t id = 0;
};

// Returns outer IPv4 header + inner. Protocol 4 for an IPv4 inner packet, 41 for IPv6
// (chosen by the inner version nibble). DF is clear, TOS 0, header checksum computed.
std::vector<uint8_t> encapsulate_ipip(const uint8_t* inner, size_t len, const OuterHeader& h);

uint16_t ipv4_header_checksum(const uint8_t* hdr, size_t len);

}  // namespace dfc::fw
