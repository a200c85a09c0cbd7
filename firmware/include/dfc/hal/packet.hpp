// The one packet representation shared by the testbench, the card model and the firmware.
// A packet is its bytes as seen on the wire (from the link-layer header on) plus the
// metadata a MAC would attach. Kept deliberately plain so it crosses the TLM boundary by
// pointer and the firmware never needs a SystemC type.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dfc {

// Link layer of Packet::data, with libpcap's DLT numbering so pcap I/O is a pass-through.
enum class LinkType : uint16_t { Ethernet = 1, RawIp = 101 };

// The DFC PIC's logical units (Junos interface dfc-x/y/z.unit).
enum class Unit : uint8_t { Control = 0, Monitor = 1, Copies = 2 };

struct Packet {
  std::vector<uint8_t> data;
  LinkType link = LinkType::RawIp;
  Unit unit = Unit::Monitor;
  uint64_t id = 0;         // testbench sequence number, carried into copies for the scoreboard
  uint64_t t_arrival_ps = 0;  // simulated time the last bit arrived at the ingress MAC
  // A packet replayed from a capture: its record number there (1-based, as tshark numbers
  // frames) and its timestamp (ns since the epoch), for explanations (why.jsonl); 0 otherwise.
  uint64_t capture_frame = 0, capture_ns = 0;
  // UDP endpoint metadata for the control unit (DTCP requests, replies, notifications).
  // For unit 0 the model delivers the UDP payload in data and these name the 4-tuple.
  std::string src_ip, dst_ip;
  uint16_t src_port = 0, dst_port = 0;
  // For unit Copies: the content destination the copy is addressed to (its configured id),
  // so the egress can file copies per destination without re-parsing the outer header.
  std::string cdest_id;
  // Modelled address of the packet-memory buffer the ingress DMA wrote this packet to
  // (card_map.hpp PKT_MEM_BASE...); 0 on hosts without a packet memory (fake HAL).
  uint64_t buf_addr = 0;
  // A received frame read where the ingress DMA wrote it (the image's HAL: the firmware parses
  // packet memory in place, as on silicon, instead of copying the frame out first). Null: the
  // bytes are `data`. The view is valid while the driver holds the receive buffer, which is the
  // handler's whole run (fw::Driver::poll).
  const uint8_t* in_place = nullptr;
  size_t in_place_len = 0;

  // The bytes to read, wherever they are. The firmware reads a received packet only through these.
  const uint8_t* bytes() const { return in_place ? in_place : data.data(); }
  size_t length() const { return in_place ? in_place_len : data.size(); }
};

}  // namespace dfc
