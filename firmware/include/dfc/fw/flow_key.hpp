// The header fields a lookup is made of, and their packing into the classifier key layout
// of dfc/hal/classifier_abi.hpp. Also the flow table's key (see firmware/src/fw).
#pragma once
#include <cstdint>
#include <functional>

#include "dfc/hal/classifier_abi.hpp"
#include "dfc/fw/match_term.hpp"

namespace dfc::fw {

struct FlowKey {
  bool v6 = false;
  Addr128 src{}, dst{};
  uint8_t proto = 0;
  bool has_ports = false;  // TCP/UDP/SCTP header present (not a non-first fragment)
  uint16_t sport = 0, dport = 0;
  bool has_icmp = false;   // ICMP/ICMPv6 header present
  uint8_t icmp_type = 0, icmp_code = 0;
  bool frag_nonfirst = false;

  abi::KeyWords words() const {
    abi::KeyWords k{};
    auto put = [&](unsigned w, const Addr128& a) {
      k[w + 0] = static_cast<uint32_t>(a.lo);
      k[w + 1] = static_cast<uint32_t>(a.lo >> 32);
      k[w + 2] = static_cast<uint32_t>(a.hi);
      k[w + 3] = static_cast<uint32_t>(a.hi >> 32);
    };
    put(abi::W_SRC, src);
    put(abi::W_DST, dst);
    uint32_t meta = uint32_t{proto} << abi::META_PROTO_SHIFT;
    if (has_icmp)
      meta |= (uint32_t{icmp_type} << abi::META_ICMP_TYPE_SHIFT) |
              (uint32_t{icmp_code} << abi::META_ICMP_CODE_SHIFT) | abi::META_HAS_ICMP;
    if (v6) meta |= abi::META_IPV6;
    if (has_ports) meta |= abi::META_HAS_PORTS;
    if (frag_nonfirst) meta |= abi::META_FRAG_NONFIRST;
    k[abi::W_META] = meta;
    if (has_ports)
      k[abi::W_PORTS] = (uint32_t{sport} << abi::PORTS_SPORT_SHIFT) | (uint32_t{dport} << abi::PORTS_DPORT_SHIFT);
    return k;
  }

  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return a.v6 == b.v6 && a.src == b.src && a.dst == b.dst && a.proto == b.proto &&
           a.has_ports == b.has_ports && a.sport == b.sport && a.dport == b.dport &&
           a.has_icmp == b.has_icmp && a.icmp_type == b.icmp_type &&
           a.icmp_code == b.icmp_code && a.frag_nonfirst == b.frag_nonfirst;
  }
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const noexcept {
    uint64_t h = 0x9e3779b97f4a7c15ull;
    auto mix = [&](uint64_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
    mix(k.src.lo); mix(k.src.hi); mix(k.dst.lo); mix(k.dst.hi);
    mix((uint64_t{k.proto} << 48) | (uint64_t{k.sport} << 32) | (uint64_t{k.dport} << 16) |
        (uint64_t{k.icmp_type} << 8) | k.icmp_code);
    mix((k.v6 ? 1u : 0u) | (k.has_ports ? 2u : 0u) | (k.has_icmp ? 4u : 0u) |
        (k.frag_nonfirst ? 8u : 0u));
    return static_cast<size_t>(h);
  }
};

}  // namespace dfc::fw
