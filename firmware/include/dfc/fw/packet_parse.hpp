// Packet parsing on the monitored unit: link layer (Ethernet with VLAN tags, or raw IP),
// IPv4, IPv6 with extension headers, and the L4 fields a criterion can name.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dfc/hal/packet.hpp"
#include "dfc/fw/flow_key.hpp"

namespace dfc::fw {

// Why a packet is not intercepted. Every monitored packet ends in exactly one outcome.
enum class ParseOutcome : uint8_t {
  Ip = 0,        // an IPv4 or IPv6 packet: key filled, ip_offset/ip_length valid
  NonIp,         // ARP, LLDP, any other ethertype
  Mpls,          // MPLS unicast/multicast (VPLS rides on it): not intercepted, counted
  Truncated,     // frame shorter than its headers claim
  BadIpHeader,   // version/IHL/length fields inconsistent
};
std::string_view to_string(ParseOutcome o);

struct ParsedPacket {
  ParseOutcome outcome = ParseOutcome::NonIp;
  FlowKey key;
  size_t ip_offset = 0;  // where the IP header starts in Packet::data
  size_t ip_length = 0;  // the IP datagram's length from its header (trailer/padding excluded)
  // The work parsing did, declared to the HAL by the pipeline (cost follows work): bytes
  // from the start of the frame up to the last header byte examined, and protocol headers
  // decoded (Ethernet, each VLAN tag, IP, each IPv6 extension header, the L4 header).
  uint32_t header_bytes = 0;
  uint8_t headers = 0;
};

// Non-first fragments (IPv4 offset != 0, IPv6 Fragment header offset != 0) carry no L4
// header: they get has_ports = has_icmp = false and frag_nonfirst = true, so they match only
// criteria that do not constrain ports or ICMP fields (docs/architecture.md, "Fragments").
ParsedPacket parse_packet(const Packet& p);

}  // namespace dfc::fw
