// The security engine on its own (SecurityEngine, docs/model.md): its digests are RFC 2202's
// HMAC-SHA1, its DMA reads the key block and the message and writes the digest, and its time is
// the hand-computed one: the blocks a HMAC hashes (K^ipad, the padded message, K^opad, the
// outer hash) at cycles_per_block of its clock each, a second request overlapping the first
// queueing behind it on the one SHA-1 core. The memory answers at once (block_harness.hpp
// StubTarget), so the time is the engine's alone.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>

#include "block_harness.hpp"
#include "profile.hpp"
#include "security_engine.hpp"

namespace {
using dfc::model::CardProfile;
using dfc::model::SecurityEngine;
using dfc::model::test::StubTarget;

std::string hex(const SecurityEngine::Digest& d) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) s += k[b >> 4], s += k[b & 15];
  return s;
}

// RFC 2104's key block K: the key zero-padded to 64 bytes, or its SHA-1 if longer.
std::array<uint8_t, 64> key_block(const std::string& key) {
  std::array<uint8_t, 64> k{};
  if (key.size() > 64)
    SHA1(reinterpret_cast<const uint8_t*>(key.data()), key.size(), k.data());
  else
    std::memcpy(k.data(), key.data(), key.size());
  return k;
}

const uint8_t* bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

struct Bench {
  CardProfile p;
  StubTarget mem{"mem"};
  SecurityEngine* eng = nullptr;
  Bench() {
    p.security_engine = 1;
    p.security_hz = 500e6;
    p.security_cycles_per_block = 82;
    eng = new SecurityEngine("security", p);  // the SystemC kernel owns modules for the process
    eng->socket.bind(mem.socket);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // past elaboration: requests are timed
  }
};

// One process, one elaboration (sc_gtest_main.cpp): every check runs on the one bench.
TEST(SecurityEngine, Rfc2202DigestsDmaAndHandComputedTiming) {
  Bench b;
  SecurityEngine& e = *b.eng;
  // 82 cycles of 500 MHz: 164 ns a block.
  ASSERT_EQ(e.block_ps(), 164'000u);
  ASSERT_TRUE(e.present());

  // RFC 2202 §3 (HMAC-SHA1): cases 1, 2, 3, 6 and 7 (6 and 7: an 80-byte key, hashed first).
  struct Case {
    std::string key, data, digest;
  } cases[] = {
      {std::string(20, '\x0b'), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
      {"Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  };
  uint64_t t = 1'000'000;  // 1 us; each case 1 ms after the previous: no queueing
  for (const Case& c : cases) {
    const auto k = key_block(c.key);
    const auto a = e.hmac(t, k.data(), bytes(c.data), c.data.size(), {0x1000, 0x2000, 0x3000});
    EXPECT_EQ(hex(a.digest), c.digest);
    EXPECT_EQ(a.done_ps, t + SecurityEngine::blocks_for(c.data.size()) * 164'000u);
    t += 1'000'000'000;
  }
  // Block counts by hand: 8 bytes + 0x80 + length fit one block; 55 do, 56 do not.
  EXPECT_EQ(SecurityEngine::blocks_for(8), 4u);
  EXPECT_EQ(SecurityEngine::blocks_for(55), 4u);
  EXPECT_EQ(SecurityEngine::blocks_for(56), 5u);
  EXPECT_EQ(SecurityEngine::blocks_for(100), 5u);

  // The DMA of one 100-byte request: the key block, the message in 64-byte bursts, the digest.
  b.mem.log.clear();
  const auto k = key_block("secret");
  const std::string m100(100, 'm'), m10(10, 'n');
  const auto a = e.hmac(t, k.data(), bytes(m100), m100.size(), {0x1000, 0x2000, 0x3000});
  ASSERT_EQ(b.mem.log.size(), 4u);
  EXPECT_EQ(b.mem.log[0].addr, 0x1000u);
  EXPECT_EQ(b.mem.log[0].bytes, 64u);
  EXPECT_FALSE(b.mem.log[0].write);
  EXPECT_EQ(b.mem.log[1].addr, 0x2000u);
  EXPECT_EQ(b.mem.log[1].bytes, 64u);
  EXPECT_EQ(b.mem.log[2].addr, 0x2040u);
  EXPECT_EQ(b.mem.log[2].bytes, 36u);
  EXPECT_EQ(b.mem.log[3].addr, 0x3000u);
  EXPECT_EQ(b.mem.log[3].bytes, 20u);
  EXPECT_TRUE(b.mem.log[3].write);
  // 5 blocks: K^ipad, 2 of message and padding, K^opad, the outer hash.
  EXPECT_EQ(a.done_ps, t + 5 * 164'000u);
  EXPECT_EQ(b.mem.log[3].t_ps, t + 5 * 164'000u);  // the digest is written when the hash ends

  // Two requesters at the same time: the second (4 blocks) waits for the first's 5.
  t += 1'000'000'000;
  const uint64_t busy0 = e.busy_ps(), wait0 = e.wait_ps();
  const auto first = e.hmac(t, k.data(), bytes(m100), m100.size(), {0x1000, 0x2000, 0x3000});
  const auto second = e.hmac(t, k.data(), bytes(m10), m10.size(), {0x4000, 0x5000, 0x6000});
  EXPECT_EQ(first.done_ps, t + 5 * 164'000u);
  EXPECT_EQ(second.done_ps, t + 9 * 164'000u);
  EXPECT_EQ(e.busy_ps() - busy0, 9 * 164'000u);
  EXPECT_EQ(e.wait_ps() - wait0, 5 * 164'000u);  // the second's first block waited for the first's five
  EXPECT_EQ(e.requests(), 5u + 1u + 2u);
}

}  // namespace
