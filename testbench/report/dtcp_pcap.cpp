#include "report/dtcp_pcap.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <stdexcept>

#include "dfc/hal/packet.hpp"
#include "common/errors.hpp"
#include "stimulus/pcap_io.hpp"

namespace dfc::tb {

namespace {

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) acc += uint32_t(p[n - 1]) << 8;
  return acc;
}

uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc & 0xffff);
}

void put16(std::vector<uint8_t>& v, size_t at, uint32_t x) {
  v[at] = static_cast<uint8_t>(x >> 8);
  v[at + 1] = static_cast<uint8_t>(x);
}

}  // namespace

std::vector<uint8_t> DtcpPcap::udp_packet(const std::string& src_ip, uint16_t src_port, const std::string& dst_ip,
                                          uint16_t dst_port, const std::string& payload) {
  uint8_t s6[16], d6[16];
  const bool v6 = src_ip.find(':') != std::string::npos;
  const int af = v6 ? AF_INET6 : AF_INET;
  if (inet_pton(af, src_ip.c_str(), s6) != 1 || inet_pton(af, dst_ip.c_str(), d6) != 1)
    throw std::invalid_argument("dtcp.pcap: addresses '" + src_ip + "' -> '" + dst_ip + "' are not of one IP family");
  const size_t alen = v6 ? 16 : 4, ihl = v6 ? 40 : 20, ulen = 8 + payload.size();
  std::vector<uint8_t> p(ihl + ulen, 0);
  if (v6) {
    p[0] = 0x60;
    put16(p, 4, static_cast<uint32_t>(ulen));
    p[6] = 17;
    p[7] = 64;
    std::copy(s6, s6 + 16, p.begin() + 8);
    std::copy(d6, d6 + 16, p.begin() + 24);
  } else {
    p[0] = 0x45;
    put16(p, 2, static_cast<uint32_t>(ihl + ulen));
    p[8] = 64;
    p[9] = 17;
    std::copy(s6, s6 + 4, p.begin() + 12);
    std::copy(d6, d6 + 4, p.begin() + 16);
    put16(p, 10, fold(sum16(p.data(), 20)));
  }
  uint8_t* u = p.data() + ihl;
  put16(p, ihl, src_port);
  put16(p, ihl + 2, dst_port);
  put16(p, ihl + 4, static_cast<uint32_t>(ulen));
  std::copy(payload.begin(), payload.end(), p.begin() + static_cast<long>(ihl + 8));
  // Checksum over the pseudo-header (addresses, protocol, length) and the datagram.
  uint32_t acc = sum16(s6, alen) + sum16(d6, alen) + 17 + static_cast<uint32_t>(ulen);
  uint16_t ck = fold(sum16(u, ulen, acc));
  if (ck == 0) ck = 0xffff;
  put16(p, ihl + 6, ck);
  return p;
}

void DtcpPcap::add(uint64_t t_ps, int order, const std::string& src_ip, uint16_t src_port, const std::string& dst_ip,
                   uint16_t dst_port, const std::string& payload) {
  recs_.push_back({t_ps, order, udp_packet(src_ip, src_port, dst_ip, dst_port, payload)});
}

void DtcpPcap::write(const std::string& path) const {
  std::vector<const Rec*> v;
  for (const auto& r : recs_) v.push_back(&r);
  std::sort(v.begin(), v.end(),
            [](const Rec* a, const Rec* b) { return a->t_ps != b->t_ps ? a->t_ps < b->t_ps : a->order < b->order; });
  PcapWriter w(path, LinkType::RawIp);
  for (const Rec* r : v) w.write(r->pkt.data(), r->pkt.size(), r->t_ps);
  w.flush();
}

}  // namespace dfc::tb
