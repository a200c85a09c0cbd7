#include "distribution.hpp"

#include <string>

#include "dfc/hal/card_map.hpp"
#include "profile.hpp"

#include <algorithm>
#include <cstring>

namespace dfc::model {

namespace {

struct Tuple {
  uint8_t a[16] = {}, b[16] = {};  // the two addresses (IPv4 in the first 4 bytes)
  uint16_t pa = 0, pb = 0;         // the two ports (0 when absent or not layer-4)
  uint8_t proto = 0;
};

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Finds the IP header after the link layer (Ethernet with up to two VLAN tags, or raw IP).
bool locate_ip(const Packet& p, size_t& off) {
  const auto& d = p.data;
  off = 0;
  if (p.link == LinkType::Ethernet) {
    if (d.size() < 14) return false;
    uint16_t type = be16(&d[12]);
    off = 14;
    for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); ++tags) {
      if (d.size() < off + 4) return false;
      type = be16(&d[off + 2]);
      off += 4;
    }
    if (type != 0x0800 && type != 0x86dd) return false;
  }
  return d.size() > off;
}

bool parse(const Packet& p, bool ports, Tuple& t) {
  size_t off = 0;
  if (!locate_ip(p, off)) return false;
  const auto& d = p.data;
  const uint8_t ver = d[off] >> 4;
  size_t l4 = 0;
  bool fragment = false;
  if (ver == 4 && d.size() >= off + 20) {
    std::memcpy(t.a, &d[off + 12], 4);
    std::memcpy(t.b, &d[off + 16], 4);
    t.proto = d[off + 9];
    fragment = (be16(&d[off + 6]) & 0x3fff) != 0;
    l4 = off + (d[off] & 0x0f) * 4u;
  } else if (ver == 6 && d.size() >= off + 40) {
    std::memcpy(t.a, &d[off + 8], 16);
    std::memcpy(t.b, &d[off + 24], 16);
    t.proto = d[off + 6];  // extension headers: hashed as their own protocol
    l4 = off + 40;
  } else {
    return false;
  }
  const bool has_ports = t.proto == 6 || t.proto == 17 || t.proto == 132;
  if (ports && has_ports && !fragment && d.size() >= l4 + 4) t.pa = be16(&d[l4]), t.pb = be16(&d[l4 + 2]);
  return true;
}

uint32_t fnv(uint32_t h, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

}  // namespace

uint32_t Distribution::hash(const Packet& p) const {
  Tuple t;
  uint32_t h = 2166136261u;
  if (!parse(p, key_ == Key::Layer4, t)) return fnv(h, p.data.data(), std::min<size_t>(p.data.size(), 34));
  // Symmetric: order the endpoints so that both directions give the same bytes.
  const bool swap = std::memcmp(t.a, t.b, 16) > 0 || (std::memcmp(t.a, t.b, 16) == 0 && t.pa > t.pb);
  const uint8_t* lo = swap ? t.b : t.a;
  const uint8_t* hi = swap ? t.a : t.b;
  const uint16_t plo = swap ? t.pb : t.pa, phi = swap ? t.pa : t.pb;
  h = fnv(h, lo, 16);
  h = fnv(h, hi, 16);
  if (key_ == Key::Layer4) {
    const uint8_t ports[5] = {uint8_t(plo >> 8), uint8_t(plo), uint8_t(phi >> 8), uint8_t(phi), t.proto};
    h = fnv(h, ports, sizeof ports);
  }
  // Final avalanche, so that `hash % threads` uses every bit.
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  return h;
}

Distribution Distribution::of_profile(const CardProfile& p) {
  const unsigned cores = std::max(1u, p.cores), tpc = std::max(1u, p.threads_per_core);
  if (uint64_t{cores} * tpc > cardmap::CLS_CONTEXTS)
    throw ProfileError("cores=" + std::to_string(cores) + " x threads_per_core=" + std::to_string(tpc) +
                       ": the classifier has " + std::to_string(cardmap::CLS_CONTEXTS) +
                       " lookup contexts (one per hardware thread); use at most that many threads");
  if (p.control_cores < 1 || p.control_cores > cores)
    throw ProfileError("control_cores=" + std::to_string(p.control_cores) + ": must be 1 .. cores (" +
                       std::to_string(cores) + "); core 0 runs DTCP and the timers");
  if (p.control_cores + p.data_cores > cores)
    throw ProfileError("control_cores=" + std::to_string(p.control_cores) + " + data_cores=" +
                       std::to_string(p.data_cores) + " exceed cores=" + std::to_string(cores) +
                       "; lower data_cores (0 means every core that is not a control core), e.g. --set data_cores=" +
                       std::to_string(cores - p.control_cores));
  std::vector<unsigned> targets;
  const unsigned data = p.data_cores ? p.data_cores : cores - p.control_cores;
  for (unsigned c = p.control_cores; c < p.control_cores + data; ++c)
    for (unsigned t = 0; t < tpc; ++t) targets.push_back(c * tpc + t);
  if (targets.empty())  // no data core: the control core's threads take the packets too
    for (unsigned t = 0; t < tpc; ++t) targets.push_back(t);
  return Distribution(p.hash_key == 3 ? Distribution::Key::Layer3 : Distribution::Key::Layer4, std::move(targets));
}

}  // namespace dfc::model
