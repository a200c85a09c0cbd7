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
}  // namespace

extern "C" {

void* memcpy(void* d, const void* s, size_t n) {
  auto* dp = static_cast<unsigned char*>(d);
  const auto* sp = static_cast<const unsigned char*>(s);
  // Word copies when both are aligned alike: descriptor and frame copies are most of it.
  if (((reinterpret_cast<uintptr_t>(dp) ^ reinterpret_cast<uintptr_t>(sp)) & 3) == 0) {
    while (n > 0 && (reinterpret_cast<uintptr_t>(dp) & 3) != 0) *dp++ = *sp++, --n;
    for (; n >= 4; n -= 4, dp += 4, sp += 4)
      *word(dp) = *word(sp);
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
  while (n > 0 && (reinterpret_cast<uintptr_t>(dp) & 3) != 0) *dp++ = b, --n;
  const uint32_t w = b * 0x01010101u;
  for (; n >= 4; n -= 4, dp += 4) *word(dp) = w;
  while (n > 0) *dp++ = b, --n;
  return d;
}

int memcmp(const void* a, const void* b, size_t n) {
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

void* memchr(const void* s, int c, size_t n) {
  const auto* p = static_cast<const unsigned char*>(s);
  for (size_t i = 0; i < n; ++i)
    if (p[i] == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(p + i);
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
