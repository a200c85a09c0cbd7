// DIR/dtcp.pcap of `dfcsim run`: every DTCP request, reply and notification of the run as a
// UDP/IP datagram between the configured addresses and ports, at its simulated time, so that
// Wireshark/tshark (with tools/wireshark/dtcp.lua) shows the control exchange. Raw-IP link type,
// nanosecond timestamps; one record per message, in the order of dtcp.log.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dfc::tb {

class DtcpPcap {
 public:
  // `order` breaks ties between messages at the same time (dtcp.log's order).
  void add(uint64_t t_ps, int order, const std::string& src_ip, uint16_t src_port, const std::string& dst_ip,
           uint16_t dst_port, const std::string& payload);
  // Writes the records sorted by (time, order). Throws RunFailure when the file cannot be made.
  void write(const std::string& path) const;
  size_t size() const { return recs_.size(); }

  // One IPv4 or IPv6 (by the addresses' family) UDP datagram with valid checksums. Throws
  // std::invalid_argument for an address that is not IPv4/IPv6 text.
  static std::vector<uint8_t> udp_packet(const std::string& src_ip, uint16_t src_port, const std::string& dst_ip,
                                         uint16_t dst_port, const std::string& payload);

 private:
  struct Rec {
    uint64_t t_ps;
    int order;
    std::vector<uint8_t> pkt;
  };
  std::vector<Rec> recs_;
};

}  // namespace dfc::tb
