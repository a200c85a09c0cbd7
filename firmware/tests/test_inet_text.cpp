// The firmware's portable address parsers (the card image has no C library) accept exactly
// what inet_pton accepts, with the same result.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dfc/util/text.hpp"

namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> v = {"", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3",
                                "1.2.3.4.", "1..2.3", ".1.2.3", "1.2.3.04", "10.0.0.1 ", "::", "::1", "1::", ":1",
                                "1:", ":::", "1::2::3", "2001:db8::1", "2001:DB8:0:0:0:0:0:1", "1:2:3:4:5:6:7:8",
                                "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8",
                                "12345::", "::ffff:1.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
                                "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3", "::ffff:01.2.3.4", "fe80::1%eth0", "g::1",
                                "0:0:0:0:0:0:0:0", "00000::", "0000::", "1.2.3.4::", "::1.2.3.4:5"};
  // Random strings over the characters that matter.
  std::mt19937 rng(7);
  const char alphabet[] = "0123456789abcdefABCDEF:.g";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const size_t n = rng() % 24;
    for (size_t k = 0; k < n; ++k) s.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    v.push_back(s);
  }
  return v;
}

TEST(InetText, Ipv4AsInetPton) {
  for (const std::string& s : corpus()) {
    in_addr a{};
    const bool ok = inet_pton(AF_INET, s.c_str(), &a) == 1;
    const auto got = dfc::util::parse_inet4(s);
    ASSERT_EQ(got.has_value(), ok) << "'" << s << "'";
    if (ok) {
      EXPECT_EQ(*got, ntohl(a.s_addr)) << s;
    }
  }
}

TEST(InetText, Ipv6AsInetPton) {
  for (const std::string& s : corpus()) {
    unsigned char b[16] = {};
    const bool ok = inet_pton(AF_INET6, s.c_str(), b) == 1;
    const auto got = dfc::util::parse_inet6(s);
    ASSERT_EQ(got.has_value(), ok) << "'" << s << "'";
    if (ok) {
      EXPECT_EQ(std::memcmp(got->data(), b, 16), 0) << s;
    }
  }
}

}  // namespace

// parse_u64 takes its first nine digits in 32 bits and the rest in 64 (text.cpp): the values on
// both sides of that switch and of 2^32 and 2^64, and a bad digit on either side.
TEST(DecimalText, ParseU64AcrossThe32BitPartAndTheOverflowBound) {
  using dfc::util::parse_u64;
  EXPECT_EQ(parse_u64("0"), 0u);
  EXPECT_EQ(parse_u64("999999999"), 999999999u);
  EXPECT_EQ(parse_u64("1000000000"), 1000000000u);
  EXPECT_EQ(parse_u64("4294967295"), 4294967295u);
  EXPECT_EQ(parse_u64("4294967296"), 4294967296u);
  EXPECT_EQ(parse_u64("0000000004294967296"), 4294967296u);
  EXPECT_EQ(parse_u64("18446744073709551615"), ~0ull);
  EXPECT_FALSE(parse_u64("18446744073709551616"));
  EXPECT_FALSE(parse_u64("99999999999999999999"));
  EXPECT_FALSE(parse_u64("184467440737095516150"));  // 21 digits
  EXPECT_FALSE(parse_u64(""));
  EXPECT_FALSE(parse_u64("12345678x"));
  EXPECT_FALSE(parse_u64("1234567890x"));
  EXPECT_FALSE(parse_u64("-1"));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    EXPECT_EQ(parse_u64(std::to_string(v)), v) << v;
  }
}
