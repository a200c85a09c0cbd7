#include "dfc/util/text.hpp"

#include <array>
#include <cstring>

namespace dfc::util {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view v, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t c = v.find(sep, start);
    out.push_back(trim(v.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start)));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Equal bytes (nearly all, names are mostly written as defined) cost one comparison; two
  // different bytes are equal only as the two cases of one letter (they differ in 0x20 alone).
  for (size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    const unsigned lx = x | 0x20u;
    if (lx != (y | 0x20u) || lx < 'a' || lx > 'z') return false;
  }
  return true;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  // The first nine digits in 32 bits (999 999 999 < 2^32, no overflow possible): a 64-bit
  // multiply-add is several instructions on the 32-bit card, and nearly every number DTCP
  // carries (ports, octets, Seq, timeouts) is that short.
  uint32_t v32 = 0;
  size_t i = 0;
  for (; i < s.size() && i < 9; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    v32 = v32 * 10 + static_cast<uint32_t>(c - '0');
  }
  uint64_t v = v32;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<unsigned>(c - '0');
    // Overflow checked against the constant bounds of 2^64-1 (1844674407370955161|5): a
    // division per digit would be a 64-bit library call on the 32-bit card.
    constexpr uint64_t kTenth = ~0ull / 10;
    if (v > kTenth || (v == kTenth && d > ~0ull % 10)) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<fw::Addr128> parse_ipv4(std::string_view s) {
  // IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each <= 255
  uint64_t v = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i || j - i > 3) return std::nullopt;
    auto n = parse_u64(s.substr(i, j - i));
    if (!n || *n > 255) return std::nullopt;
    v = (v << 8) | *n;
    ++parts;
    if (parts < 4) {
      if (j >= s.size() || s[j] != '.') return std::nullopt;
      i = j + 1;
    } else if (j != s.size()) {
      return std::nullopt;
    }
  }
  return fw::Addr128{0, v};
}

std::optional<uint32_t> parse_inet4(std::string_view s) {
  // inet_pton(AF_INET): exactly four decimal parts, each <= 255, no leading zero.
  uint32_t v = 0, part = 0;
  int parts = 0;
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      if (digit && part == 0) return std::nullopt;
      part = part * 10 + static_cast<uint32_t>(c - '0');
      if (part > 255) return std::nullopt;
      if (!digit && ++parts > 4) return std::nullopt;
      digit = true;
    } else if (c == '.' && digit) {
      if (parts == 4) return std::nullopt;
      v = (v << 8) | part;
      part = 0;
      digit = false;
    } else {
      return std::nullopt;
    }
  }
  if (parts < 4 || !digit) return std::nullopt;
  return (v << 8) | part;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

// The algorithm of glibc's inet_pton6, so that host and card image accept the same texts
// (the image has no C library to call).
std::optional<std::array<uint8_t, 16>> parse_inet6(std::string_view s) {
  std::array<uint8_t, 16> a{};
  size_t tp = 0, colonp = SIZE_MAX, i = 0;
  if (s.empty()) return std::nullopt;
  if (s[0] == ':' && (++i == s.size() || s[i] != ':')) return std::nullopt;
  size_t curtok = i, xdigits = 0;
  uint32_t val = 0;
  while (i < s.size()) {
    const char ch = s[i++];
    if (const int d = hex_value(ch); d >= 0) {
      if (xdigits == 4) return std::nullopt;
      val = (val << 4) | static_cast<uint32_t>(d);
      ++xdigits;
      continue;
    }
    if (ch == ':') {
      curtok = i;
      if (xdigits == 0) {
        if (colonp != SIZE_MAX) return std::nullopt;
        colonp = tp;
        continue;
      }
      if (i == s.size() || tp + 2 > a.size()) return std::nullopt;
      a[tp++] = static_cast<uint8_t>(val >> 8);
      a[tp++] = static_cast<uint8_t>(val);
      xdigits = 0;
      val = 0;
      continue;
    }
    if (ch == '.' && tp + 4 <= a.size()) {
      if (const auto v4 = parse_inet4(s.substr(curtok))) {
        for (int k = 3; k >= 0; --k) a[tp++] = static_cast<uint8_t>(*v4 >> (8 * k));
        xdigits = 0;
        break;
      }
    }
    return std::nullopt;
  }
  if (xdigits > 0) {
    if (tp + 2 > a.size()) return std::nullopt;
    a[tp++] = static_cast<uint8_t>(val >> 8);
    a[tp++] = static_cast<uint8_t>(val);
  }
  if (colonp != SIZE_MAX) {
    if (tp == a.size()) return std::nullopt;  // "::" would stand for no group at all
    const size_t n = tp - colonp;
    std::memmove(a.data() + a.size() - n, a.data() + colonp, n);
    std::memset(a.data() + colonp, 0, a.size() - n - colonp);
    tp = a.size();
  }
  if (tp != a.size()) return std::nullopt;
  return a;
}

std::optional<fw::Addr128> parse_ipv6(std::string_view s) {
  if (s.empty() || s.size() > 45 || s.find(':') == std::string_view::npos) return std::nullopt;
  // inet_pton read a C string: the text ends at its first NUL.
  s = s.substr(0, s.find('\0'));
  const auto b = parse_inet6(s);
  if (!b) return std::nullopt;
  fw::Addr128 a;
  for (int i = 0; i < 8; ++i) a.hi = (a.hi << 8) | (*b)[static_cast<size_t>(i)];
  for (int i = 8; i < 16; ++i) a.lo = (a.lo << 8) | (*b)[static_cast<size_t>(i)];
  return a;
}

}  // namespace dfc::util
