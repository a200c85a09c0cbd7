#include "dfc/fw/ipip.hpp"

#include <algorithm>

namespace dfc::fw {

uint16_t ipv4_header_checksum(const uint8_t* hdr, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t{hdr[i]} << 8) | hdr[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

std::vector<uint8_t> encapsulate_ipip(const uint8_t* inner, size_t len, const OuterHeader& h) {
  std::vector<uint8_t> out(20 + len);
  uint8_t* o = out.data();
  const size_t tot = 20 + len;
  o[0] = 0x45;
  o[1] = 0;
  o[2] = static_cast<uint8_t>(tot >> 8);
  o[3] = static_cast<uint8_t>(tot);
  o[4] = static_cast<uint8_t>(h.id >> 8);
  o[5] = static_cast<uint8_t>(h.id);
  o[6] = 0;
  o[7] = 0;
  o[8] = h.ttl;
  o[9] = (len > 0 && (inner[0] >> 4) == 6) ? 41 : 4;
  o[10] = o[11] = 0;
  for (int i = 0; i < 4; ++i) {
    o[12 + i] = static_cast<uint8_t>(h.src >> (24 - 8 * i));
    o[16 + i] = static_cast<uint8_t>(h.dst >> (24 - 8 * i));
  }
  const uint16_t c = ipv4_header_checksum(o, 20);
  o[10] = static_cast<uint8_t>(c >> 8);
  o[11] = static_cast<uint8_t>(c);
  std::copy(inner, inner + len, o + 20);
  return out;
}

}  // namespace dfc::fw
