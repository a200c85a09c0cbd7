#include "dfc/dtcp/hmac.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "dfc/hal/hal.hpp"

namespace dfc::dtcp {
namespace {
using State = std::array<uint32_t, 5>;

constexpr uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// The word four bytes make, the first the most significant. On the card, four byte loads stay
// four: GCC would merge them into lwl/lwr, which read the aligned words around the bytes, and
// the race checker (docs/race-check.md) would see accesses to the neighbours' bytes.
inline uint32_t big_endian_word(const uint8_t* p) {
  uint32_t b0 = p[0], b1 = p[1], b2 = p[2], b3 = p[3];
#if defined(__mips__)
  __asm__("" : "+r"(b0), "+r"(b1), "+r"(b2), "+r"(b3));
#endif
  return b0 << 24 | b1 << 16 | b2 << 8 | b3;
}

// A block's 16 words. On a big-endian machine an aligned block's bytes already are its words
// (the message and the context's own block nearly always are aligned): copied as words.
inline void load_block(uint32_t* w, const uint8_t* block) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  if ((reinterpret_cast<uintptr_t>(block) & 3) == 0) {
    std::memcpy(w, __builtin_assume_aligned(block, 4), 64);
    return;
  }
#endif
  for (int i = 0; i < 16; ++i) w[i] = big_endian_word(block + 4 * i);
}

// The three round functions of FIPS 180-4 §4.1.1, in their forms of fewest operations.
struct Ch {
  static uint32_t f(uint32_t b, uint32_t c, uint32_t d) { return d ^ (b & (c ^ d)); }
};
struct Parity {
  static uint32_t f(uint32_t b, uint32_t c, uint32_t d) { return b ^ c ^ d; }
};
struct Maj {
  static uint32_t f(uint32_t b, uint32_t c, uint32_t d) { return (b & c) | (d & (b | c)); }
};

// Five rounds with the roles of the working variables rotated by name instead of moved: after
// five, every variable holds its own role again. A round is FIPS's
//   T = rol(a,5) + f(b,c,d) + e + K + W; e = d; d = c; c = rol(b,30); b = a; a = T
// written as e += rol(a,5) + f(b,c,d) + K + W; b = rol(b,30), the next round naming e as its a.
template <class F>
inline void five_rounds(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d, uint32_t& e, uint32_t k,
                        const uint32_t* w) {
  e += rol(a, 5) + F::f(b, c, d) + k + w[0], b = rol(b, 30);
  d += rol(e, 5) + F::f(a, b, c) + k + w[1], a = rol(a, 30);
  c += rol(d, 5) + F::f(e, a, b) + k + w[2], e = rol(e, 30);
  b += rol(c, 5) + F::f(d, e, a) + k + w[3], d = rol(d, 30);
  a += rol(b, 5) + F::f(c, d, e) + k + w[4], c = rol(c, 30);
}

// SHA-1 (FIPS 180-4) over bytes: words are assembled from bytes most significant first, so
// the result does not depend on the host's byte order (the same code runs on x86-64 and on
// the big-endian card image, docs/iss.md).
//
// The loops are shaped for a simple in-order core (the card's image spends much of a DTCP
// request here, docs/iss.md "Where the instructions go"): whole input blocks are compressed
// where they lie (no copy), the padding is written in place, the message schedule is computed
// ahead, and the rounds go five at a time with no moves between the working variables.
class Sha1 {
 public:
  Sha1() = default;
  // Resumes where `blocks` whole 64-byte blocks left state h (HMAC's precomputed pads).
  Sha1(const State& h, uint64_t blocks) : h_(h), total_(blocks * 64) {}
  const State& state() const { return h_; }

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
    finish_state();
    return digest();
  }
  // The padding hashed; the digest is then in the state.
  void finish_state() {
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
  }
  // The hash of a 20-byte message after one block already hashed (HMAC's outer hash): its one
  // padded block made as words, without the byte buffer, its fill and its reload.
  void finish_after_block(const State& inner) {
    uint32_t w[80] = {inner[0], inner[1], inner[2], inner[3], inner[4], 0x80000000u};
    w[15] = (64 + 20) * 8;  // the bits hashed: the pad block and the 20 bytes
    compress_words(w);
  }
  // The digest's bytes from the state, most significant first.
  Digest digest() const {
    Digest d;
    for (size_t i = 0; i < 5; ++i) {
      d[4 * i] = static_cast<uint8_t>(h_[i] >> 24);
      d[4 * i + 1] = static_cast<uint8_t>(h_[i] >> 16);
      d[4 * i + 2] = static_cast<uint8_t>(h_[i] >> 8);
      d[4 * i + 3] = static_cast<uint8_t>(h_[i]);
    }
    return d;
  }

 private:
  void compress(const uint8_t* block) {
    uint32_t w[80];
    load_block(w, block);
    compress_words(w);
  }
  // One block given as its 16 words in w[0, 16); w[16, 80) is the message schedule's room.
  void compress_words(uint32_t* w) {
    // Eight words a pass: written out, each reads its inputs where they lie (the compiler would
    // otherwise carry them from word to word in registers, a move each).
    for (uint32_t* p = w + 16; p != w + 80; p += 8) {
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) p[j] = rol(p[j - 3] ^ p[j - 8] ^ p[j - 14] ^ p[j - 16], 1);
    }
    uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    for (int i = 0; i < 20; i += 5) five_rounds<Ch>(a, b, c, d, e, 0x5A827999, w + i);
    for (int i = 20; i < 40; i += 5) five_rounds<Parity>(a, b, c, d, e, 0x6ED9EBA1, w + i);
    for (int i = 40; i < 60; i += 5) five_rounds<Maj>(a, b, c, d, e, 0x8F1BBCDC, w + i);
    for (int i = 60; i < 80; i += 5) five_rounds<Parity>(a, b, c, d, e, 0xCA62C1D6, w + i);
    h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e;
  }

  State h_ = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  alignas(4) uint8_t block_[64] = {};  // aligned: load_block copies it as words
  size_t used_ = 0;
  uint64_t total_ = 0;
};

const uint8_t* bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr std::string_view kAuthHead = "Authentication-Info: ";
constexpr std::string_view kAuthTail = "\r\n\r\n";
static_assert(kAuthHead.size() + 40 + kAuthTail.size() == kSignatureBytes);
}  // namespace

Digest sha1(std::string_view data) {
  Sha1 h;
  h.update(bytes(data), data.size());
  return h.finish();
}

// RFC 2104 with B = 64: a key longer than a block is hashed first, then zero-padded; the
// states after the key^ipad and key^opad blocks are all a MAC needs of the key.
HmacKey::HmacKey(std::string_view key) {
  uint8_t k[64] = {};
  if (key.size() > sizeof k) {
    const Digest kd = sha1(key);
    std::memcpy(k, kd.data(), kd.size());
  } else if (!key.empty()) {
    std::memcpy(k, key.data(), key.size());
  }
  std::memcpy(block_.data(), k, sizeof k);
  uint8_t pad[64];
  for (size_t i = 0; i < sizeof pad; ++i) pad[i] = static_cast<uint8_t>(k[i] ^ 0x36);
  Sha1 inner;
  inner.update(pad, sizeof pad);
  inner_ = inner.state();
  for (size_t i = 0; i < sizeof pad; ++i) pad[i] = static_cast<uint8_t>(k[i] ^ 0x5c);
  Sha1 outer;
  outer.update(pad, sizeof pad);
  outer_ = outer.state();
}

Digest HmacKey::mac(std::string_view data) const {
  Digest d;
  if (engine_ && engine_->hmac_sha1(block_.data(), bytes(data), data.size(), d.data())) return d;
  return mac_software(data);
}

Digest HmacKey::mac_software(std::string_view data) const {
  Sha1 inner(inner_, 1);
  inner.update(bytes(data), data.size());
  inner.finish_state();
  Sha1 outer(outer_, 1);
  outer.finish_after_block(inner.state());
  return outer.digest();
}

Digest hmac_sha1(std::string_view key, std::string_view data) { return HmacKey(key).mac(data); }

std::string to_hex(const Digest& d) {
  std::string s(2 * d.size(), '0');
  for (size_t i = 0; i < d.size(); ++i) s[2 * i] = kHexDigits[d[i] >> 4], s[2 * i + 1] = kHexDigits[d[i] & 15];
  return s;
}

std::string hmac_sha1_hex(std::string_view key, std::string_view data) {
  return to_hex(hmac_sha1(key, data));
}

namespace {
// A hex digit's value, or 0x10 for any other byte (both cases accepted).
struct HexValues {
  uint8_t v[256];
  constexpr HexValues() : v() {
    for (unsigned c = 0; c < 256; ++c) v[c] = 0x10;
    for (unsigned c = 0; c < 10; ++c) v['0' + c] = static_cast<uint8_t>(c);
    for (unsigned c = 0; c < 6; ++c) v['a' + c] = v['A' + c] = static_cast<uint8_t>(10 + c);
  }
};
constexpr HexValues kHexValues;
}  // namespace

// A byte (two digits) per step through a table: a digit's case and range tests per character
// cost ~20 instructions per digit on the card, every request. No exit on the first differing
// byte (the digest's bytes are secret until they match); a non-hex digit fails whatever the rest.
bool digest_equal_hex(std::string_view received_hex, const Digest& expected) {
  if (received_hex.size() != 40) return false;
  unsigned diff = 0, bad = 0;
  for (size_t i = 0; i < 20; ++i) {
    const unsigned hi = kHexValues.v[static_cast<unsigned char>(received_hex[2 * i])];
    const unsigned lo = kHexValues.v[static_cast<unsigned char>(received_hex[2 * i + 1])];
    bad |= hi | lo;
    diff |= ((hi << 4 | lo) ^ expected[i]) & 0xff;
  }
  return (bad & 0x10) == 0 && diff == 0;
}

// The digest is taken before the string grows (growing may move its bytes), then the line is
// written into the grown tail directly: no temporary strings.
namespace {
template <class Bytes>
void append_signature_to(Bytes& message, const HmacKey& key) {
  const Digest d = key.mac(std::string_view(reinterpret_cast<const char*>(message.data()), message.size()));
  const size_t at = message.size();
  message.resize(at + kSignatureBytes);
  auto* p = reinterpret_cast<char*>(&message[at]);
  std::memcpy(p, kAuthHead.data(), kAuthHead.size());
  p += kAuthHead.size();
  for (uint8_t b : d) *p++ = kHexDigits[b >> 4], *p++ = kHexDigits[b & 15];
  std::memcpy(p, kAuthTail.data(), kAuthTail.size());
}
}  // namespace

void append_signature(std::string& message, const HmacKey& key) { append_signature_to(message, key); }
void append_signature(std::vector<uint8_t>& message, const HmacKey& key) { append_signature_to(message, key); }

std::string sign(std::string_view message_without_auth, const HmacKey& key) {
  std::string m;
  m.reserve(message_without_auth.size() + kAuthHead.size() + 40 + kAuthTail.size());
  m.append(message_without_auth);
  append_signature(m, key);
  return m;
}

std::string sign(std::string_view message_without_auth, std::string_view key) {
  return sign(message_without_auth, HmacKey(key));
}

}  // namespace dfc::dtcp
