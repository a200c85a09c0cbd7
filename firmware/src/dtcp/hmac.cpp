#include "dfc/dtcp/hmac.hpp"

#include <algorithm>
#include <cstring>

namespace dfc::dtcp {
namespace {
// SHA-1 (FIPS 180-4) over bytes: words are assembled from bytes most significant first, so
// the result does not depend on the host's byte order (the same code runs on x86-64 and on
// the big-endian card image, docs/iss.md).
//
// The loops are shaped for a simple in-order core (the card's image spends most of a DTCP
// request here, docs/iss.md "Where the instructions go"): whole input blocks are compressed
// where they lie (no copy), the padding is written in place, the message schedule is computed
// ahead with constant offsets, and each group of 20 rounds has its own loop (no per-round branching).
class Sha1 {
 public:
  void update(const uint8_t* p, size_t n) {
    total_ += n;
    if (used_) {
      const size_t take = std::min(n, sizeof block_ - used_);
      std::memcpy(block_ + used_, p, take);
      used_ += take, p += take, n -= take;
      if (used_ < sizeof block_) return;
      compress(block_);
      used_ = 0;
    }
    for (; n >= sizeof block_; p += sizeof block_, n -= sizeof block_) compress(p);
    if (n) std::memcpy(block_, p, n), used_ = n;
  }
  Digest finish() {
    const uint64_t bits = total_ * 8;
    block_[used_++] = 0x80;
    if (used_ > 56) {
      std::memset(block_ + used_, 0, sizeof block_ - used_);
      compress(block_);
      used_ = 0;
    }
    std::memset(block_ + used_, 0, 56 - used_);
    for (int i = 0; i < 8; ++i) block_[56 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    compress(block_);
    Digest d{};
    for (size_t i = 0; i < 20; ++i) d[i] = static_cast<uint8_t>(h_[i / 4] >> (24 - 8 * (i % 4)));
    return d;
  }

 private:
  static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
  void compress(const uint8_t* block) {
    // The whole schedule first, with constant offsets (one pointer walks it), then four loops
    // of 20 rounds that read it in order: both loops stay free of index arithmetic.
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = uint32_t{block[4 * i]} << 24 | uint32_t{block[4 * i + 1]} << 16 | uint32_t{block[4 * i + 2]} << 8 |
             block[4 * i + 3];
    for (uint32_t* p = w + 16; p != w + 80; ++p) *p = rol(p[-3] ^ p[-8] ^ p[-14] ^ p[-16], 1);
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    const auto round = [&](uint32_t f, uint32_t k, uint32_t wi) {
      const uint32_t t = rol(a, 5) + f + e + k + wi;
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    };
    const uint32_t* p = w;
    for (int i = 0; i < 20; ++i) round((b & c) | (~b & d), 0x5A827999, *p++);
    for (int i = 0; i < 20; ++i) round(b ^ c ^ d, 0x6ED9EBA1, *p++);
    for (int i = 0; i < 20; ++i) round((b & c) | (b & d) | (c & d), 0x8F1BBCDC, *p++);
    for (int i = 0; i < 20; ++i) round(b ^ c ^ d, 0xCA62C1D6, *p++);
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
