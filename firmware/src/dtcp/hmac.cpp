#include "dfc/dtcp/hmac.hpp"

#include <algorithm>
#include <cstring>

namespace dfc::dtcp {
namespace {
// SHA-1 (FIPS 180-4) over bytes: words are assembled from bytes most significant first, so
// the result does not depend on the host's byte order (the same code runs on x86-64 and on
// the big-endian card image, docs/iss.md).
class Sha1 {
 public:
  void update(const uint8_t* p, size_t n) {
    total_ += n;
    while (n > 0) {
      const size_t take = std::min(n, sizeof block_ - used_);
      std::memcpy(block_ + used_, p, take);
      used_ += take, p += take, n -= take;
      if (used_ == sizeof block_) {
        compress();
        used_ = 0;
      }
    }
  }
  Digest finish() {
    const uint64_t bits = total_ * 8;
    const uint8_t pad = 0x80;
    update(&pad, 1);
    const uint8_t zero = 0;
    while (used_ != 56) update(&zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    update(len, 8);
    Digest d{};
    for (size_t i = 0; i < 20; ++i) d[i] = static_cast<uint8_t>(h_[i / 4] >> (24 - 8 * (i % 4)));
    return d;
  }

 private:
  static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
  void compress() {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = uint32_t{block_[4 * i]} << 24 | uint32_t{block_[4 * i + 1]} << 16 | uint32_t{block_[4 * i + 2]} << 8 |
             block_[4 * i + 3];
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    for (int i = 0; i < 80; ++i) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      const uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e;
  }

  uint32_t h_[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  uint8_t block_[64] = {};
  size_t used_ = 0;
  uint64_t total_ = 0;
};

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
}  // namespace

Digest sha1(std::string_view data) {
  Sha1 h;
  h.update(bytes(data), data.size());
  return h.finish();
}

// RFC 2104 with B = 64: a key longer than a block is hashed first, then zero-padded.
Digest hmac_sha1(std::string_view key, std::string_view data) {
  uint8_t k[64] = {};
  if (key.size() > sizeof k) {
    const Digest kd = sha1(key);
    std::memcpy(k, kd.data(), kd.size());
  } else if (!key.empty()) {
    std::memcpy(k, key.data(), key.size());
  }
  uint8_t pad[64];
  for (size_t i = 0; i < sizeof pad; ++i) pad[i] = static_cast<uint8_t>(k[i] ^ 0x36);
  Sha1 inner;
  inner.update(pad, sizeof pad);
  inner.update(bytes(data), data.size());
  const Digest ih = inner.finish();
  for (size_t i = 0; i < sizeof pad; ++i) pad[i] = static_cast<uint8_t>(k[i] ^ 0x5c);
  Sha1 outer;
  outer.update(pad, sizeof pad);
  outer.update(ih.data(), ih.size());
  return outer.finish();
}

std::string to_hex(const Digest& d) {
  static const char* hexd = "0123456789abcdef";
  std::string s;
  s.reserve(40);
  for (uint8_t b : d) {
    s.push_back(hexd[b >> 4]);
    s.push_back(hexd[b & 15]);
  }
  return s;
}

std::string hmac_sha1_hex(std::string_view key, std::string_view data) {
  return to_hex(hmac_sha1(key, data));
}

bool digest_equal_hex(std::string_view received_hex, const Digest& expected) {
  if (received_hex.size() != 40) return false;
  unsigned diff = 0;
  for (size_t i = 0; i < 40; ++i) {
    char c = received_hex[i];
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return false;
    int e = (i % 2 == 0) ? (expected[i / 2] >> 4) : (expected[i / 2] & 15);
    diff |= static_cast<unsigned>(v ^ e);
  }
  return diff == 0;
}

std::string sign(std::string_view message_without_auth, std::string_view key) {
  std::string m(message_without_auth);
  m += "Authentication-Info: ";
  m += hmac_sha1_hex(key, message_without_auth);
  m += "\r\n\r\n";
  return m;
}

}  // namespace dfc::dtcp
