// The firmware's own SHA-1 / HMAC-SHA1 (one code path for host and card image) against
// OpenSSL's, on random keys and messages around every block and padding boundary.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <random>
#include <string>

#include "dfc/dtcp/hmac.hpp"

namespace {

std::string random_bytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

dfc::dtcp::Digest openssl_hmac(const std::string& key, const std::string& msg) {
  dfc::dtcp::Digest d{};
  unsigned len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), d.data(), &len);
  EXPECT_EQ(len, 20u);
  return d;
}

TEST(PortableHmac, Sha1MatchesOpenSslAtEveryLength) {
  std::mt19937 rng(1);
  for (size_t n = 0; n <= 300; ++n) {
    const std::string m = random_bytes(rng, n);
    dfc::dtcp::Digest want{};
    SHA1(reinterpret_cast<const unsigned char*>(m.data()), m.size(), want.data());
    ASSERT_EQ(dfc::dtcp::to_hex(dfc::dtcp::sha1(m)), dfc::dtcp::to_hex(want)) << "length " << n;
  }
}

TEST(PortableHmac, MatchesOpenSslOnRandomKeysAndMessages) {
  std::mt19937 rng(20261206);
  for (int i = 0; i < 3000; ++i) {
    const std::string key = random_bytes(rng, rng() % 101);  // 0..100: shorter and longer than a block
    const std::string msg = random_bytes(rng, rng() % 301);  // 0..300
    ASSERT_EQ(dfc::dtcp::hmac_sha1_hex(key, msg), dfc::dtcp::to_hex(openssl_hmac(key, msg)))
        << "key " << key.size() << " bytes, message " << msg.size() << " bytes";
  }
}

// One precomputed key for many messages (as the server keeps one per control source), the
// messages at every offset from an aligned start (the big-endian image loads aligned blocks as
// words and others byte by byte).
TEST(PortableHmac, PrecomputedKeyMatchesOpenSslOnManyMessages) {
  std::mt19937 rng(20261207);
  for (int i = 0; i < 60; ++i) {
    const std::string key = random_bytes(rng, rng() % 101);
    const dfc::dtcp::HmacKey k(key);
    for (int j = 0; j < 40; ++j) {
      const size_t offset = rng() % 4;
      const std::string buf = random_bytes(rng, offset + rng() % 301);
      const std::string msg = buf.substr(offset);
      ASSERT_EQ(dfc::dtcp::to_hex(k.mac(std::string_view(buf).substr(offset))), dfc::dtcp::to_hex(openssl_hmac(key, msg)))
          << "key " << key.size() << " bytes, message " << msg.size() << " bytes at offset " << offset;
    }
  }
}

TEST(PortableHmac, KnownAnswer) {
  // FIPS 180 "abc" and RFC 2202 test case 2, written here so the check runs without ../shared.
  EXPECT_EQ(dfc::dtcp::to_hex(dfc::dtcp::sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(dfc::dtcp::hmac_sha1_hex("Jefe", "what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

}  // namespace
