// The C library's memory and string functions the compiler and libstdc++ call. This file does
// not include <cstring>: its C++ overloads of memchr would clash with the C definition.
#include <cstddef>
#include <cstdint>

namespace {
// Word accesses through uintptr_t: the callers checked the alignment.
uint32_t* word(unsigned char* p) { return reinterpret_cast<uint32_t*>(reinterpret_cast<uintptr_t>(p)); }
const uint32_t* word(const unsigned char* p) {
  return reinterpret_cast<const uint32_t*>(reinterpret_cast<uintptr_t>(p));
}
bool aligned(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 3) == 0; }

// The word four bytes make in memory. The image is big-endian: the first byte is the most
// significant.
static_assert(__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__, "libc.cpp is the big-endian image's");
uint32_t bytes_word(const unsigned char* p) {
  uint32_t b0 = p[0], b1 = p[1], b2 = p[2], b3 = p[3];
  // Four byte loads stay four: GCC would merge them into lwl/lwr, which read the aligned words
  // around the bytes (see memcpy).
  __asm__("" : "+r"(b0), "+r"(b1), "+r"(b2), "+r"(b3));
  return b0 << 24 | b1 << 16 | b2 << 8 | b3;
}
}  // namespace

extern "C" {

// Every load stays inside [s, s + n) and every store inside [d, d + n): no wider access (lwl/lwr,
// or an aligned word around the edges) touches a neighbour's bytes, which the race checker
// (docs/race-check.md) would see as accesses to them. A forward copy: memmove relies on it when
// d < s.
void* memcpy(void* d, const void* s, size_t n) {
  auto* dp = static_cast<unsigned char*>(d);
  const auto* sp = static_cast<const unsigned char*>(s);
  if (n >= 8) {
    while (!aligned(dp)) *dp++ = *sp++, --n;
    if (aligned(sp)) {
      // Descriptor and frame copies: whole words, four at a time (loads before stores).
      for (; n >= 16; n -= 16, dp += 16, sp += 16) {
        const uint32_t a = word(sp)[0], b = word(sp)[1], c = word(sp)[2], e = word(sp)[3];
        word(dp)[0] = a, word(dp)[1] = b, word(dp)[2] = c, word(dp)[3] = e;
      }
      for (; n >= 4; n -= 4, dp += 4, sp += 4) *word(dp) = *word(sp);
    } else {
      // Text the DTCP server builds and signs is at any offset: a word store per four byte loads
      // instead of four byte stores.
      for (; n >= 4; n -= 4, dp += 4, sp += 4) *word(dp) = bytes_word(sp);
    }
  }
  while (n > 0) *dp++ = *sp++, --n;
  return d;
}

void* memmove(void* d, const void* s, size_t n) {
  auto* dp = static_cast<unsigned char*>(d);
  const auto* sp = static_cast<const unsigned char*>(s);
  if (dp <= sp || dp >= sp + n) return memcpy(d, s, n);
  while (n > 0) --n, dp[n] = sp[n];
  return d;
}

void* memset(void* d, int c, size_t n) {
  auto* dp = static_cast<unsigned char*>(d);
  const auto b = static_cast<unsigned char>(c);
  while (n > 0 && !aligned(dp)) *dp++ = b, --n;
  const uint32_t w = b * 0x01010101u;
  for (; n >= 16; n -= 16, dp += 16) word(dp)[0] = w, word(dp)[1] = w, word(dp)[2] = w, word(dp)[3] = w;
  for (; n >= 4; n -= 4, dp += 4) *word(dp) = w;
  while (n > 0) *dp++ = b, --n;
  return d;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  // Equal words skipped a word at a time when both are aligned alike (the bytes of the first
  // differing word decide, below).
  if (n >= 8 && ((reinterpret_cast<uintptr_t>(x) ^ reinterpret_cast<uintptr_t>(y)) & 3) == 0) {
    for (; !aligned(x); ++x, ++y, --n)
      if (*x != *y) return *x < *y ? -1 : 1;
    for (; n >= 4 && *word(x) == *word(y); n -= 4, x += 4, y += 4) {
    }
  }
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

// Lines of every DTCP message are found with it. Bytes up to a word boundary, then whole words
// inside [s, s + n) (no load outside it: see memcpy) tested four bytes at a time, then bytewise
// from the word that holds c (or the tail).
void* memchr(const void* s, int c, size_t n) {
  const auto* p = static_cast<const unsigned char*>(s);
  const auto b = static_cast<unsigned char>(c);
  for (; n > 0 && !aligned(p); ++p, --n)
    if (*p == b) return const_cast<unsigned char*>(p);
  const uint32_t pattern = b * 0x01010101u;
  for (; n >= 4; p += 4, n -= 4) {
    const uint32_t x = *word(p) ^ pattern;  // a zero byte where the word holds b
    if ((x - 0x01010101u) & ~x & 0x80808080u) break;
  }
  for (; n > 0; ++p, --n)
    if (*p == b) return const_cast<unsigned char*>(p);
  return nullptr;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

// libstdc++'s hash-table growth policy rounds with floor().
double floor(double x) {
  constexpr double kExact = 4503599627370496.0;  // 2^52: from here on every double is an integer
  if (!(x == x) || x >= kExact || x <= -kExact) return x;
  const auto d = static_cast<double>(static_cast<long long>(x));
  return d > x ? d - 1 : d;
}

}  // extern "C"
