// Reference model: HMAC-SHA1 (RFC 2104 over FIPS 180-4 SHA-1), written here so that the checker
// can tell which DTCP requests the card must answer (dtcp.md §1.6: a request whose
// Authentication-Info does not verify is dropped silently) without the firmware's crypto.
#include <cstring>

#include "refmodel.hpp"

namespace dfc::tb::ref {
namespace {

uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

struct Sha1 {
  uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
  uint8_t block[64] = {};
  size_t fill = 0;
  uint64_t bits = 0;

  void compress() {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) | (uint32_t{block[4 * i + 2]} << 8) |
             block[4 * i + 3];
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999u;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1u;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDCu;
      else f = b ^ c ^ d, k = 0xCA62C1D6u;
      const uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  void update(const uint8_t* p, size_t n) {
    bits += uint64_t{n} * 8;
    for (size_t i = 0; i < n; ++i) {
      block[fill++] = p[i];
      if (fill == 64) compress(), fill = 0;
    }
  }
  std::array<uint8_t, 20> final() {
    const uint64_t len = bits;
    const uint8_t pad = 0x80, zero = 0;
    update(&pad, 1);
    while (fill != 56) update(&zero, 1);
    for (int i = 7; i >= 0; --i) block[fill++] = static_cast<uint8_t>(len >> (8 * i));
    compress();
    std::array<uint8_t, 20> out{};
    for (int i = 0; i < 20; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
    return out;
  }
};

}  // namespace

std::array<uint8_t, 20> sha1(const std::string& data) {
  Sha1 s;
  s.update(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  return s.final();
}

std::array<uint8_t, 20> hmac_sha1(const std::string& key, const std::string& data) {
  uint8_t k[64] = {};
  if (key.size() > 64) {
    const auto d = sha1(key);
    std::memcpy(k, d.data(), d.size());
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  std::string inner(64, '\0'), outer(64, '\0');
  for (size_t i = 0; i < 64; ++i) inner[i] = static_cast<char>(k[i] ^ 0x36), outer[i] = static_cast<char>(k[i] ^ 0x5c);
  const auto ih = sha1(inner + data);
  return sha1(outer + std::string(ih.begin(), ih.end()));
}

std::string hex(const std::array<uint8_t, 20>& d) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) s += digits[b >> 4], s += digits[b & 15];
  return s;
}

}  // namespace dfc::tb::ref
