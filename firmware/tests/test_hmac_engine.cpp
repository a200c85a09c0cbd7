// HMAC-SHA1 through a card's security engine (Hal::hmac_sha1): HmacKey hands the engine its key
// block K and the message, and the digest it gets back is the software path's; a HAL without an
// engine (the default) leaves the MAC to the firmware's own SHA-1; the DTCP server verifies
// requests and signs replies through the engine when its HAL has one.
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <cstring>
#include <string>
#include <vector>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dtcp_test_util.hpp"
#include "fake_hal.hpp"

namespace {

// A HAL with an engine: OpenSSL's HMAC-SHA1 under the 64-byte key block it is given (as the
// card's engine), counting its requests. `corrupt` flips a digest bit (a broken engine).
class EngineHal : public dfc::test::FakeHal {
 public:
  using FakeHal::FakeHal;
  bool hmac_sha1(const uint8_t* key, const uint8_t* data, size_t n, uint8_t* digest) override {
    ++requests;
    bytes += n;
    static const uint8_t kEmpty = 0;
    unsigned len = 20;
    HMAC(EVP_sha1(), key, 64, n ? data : &kEmpty, n, digest, &len);
    if (corrupt) digest[0] ^= 1;
    return true;
  }
  int requests = 0;
  size_t bytes = 0;
  bool corrupt = false;
};

std::string hex(const dfc::dtcp::Digest& d) { return dfc::dtcp::to_hex(d); }

struct Case {
  std::string key, data, digest;
};
// RFC 2202 §3, the HMAC-SHA1 test cases (keys of 20, 4, 20, 25, 20 and 80 bytes).
std::vector<Case> rfc2202() {
  std::string k4;
  for (int i = 1; i <= 25; ++i) k4.push_back(static_cast<char>(i));
  return {
      {std::string(20, '\x0b'), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
      {"Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {k4, std::string(50, '\xcd'), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
      {std::string(20, '\x0c'), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
      {std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  };
}

TEST(HmacEngine, EngineDigestEqualsSoftwarePathOnRfc2202) {
  EngineHal hal;
  int n = 0;
  for (const Case& c : rfc2202()) {
    dfc::dtcp::HmacKey k(c.key);
    k.use_engine(&hal);
    EXPECT_EQ(hex(k.mac(c.data)), c.digest) << "case " << n + 1;
    EXPECT_EQ(hex(k.mac_software(c.data)), c.digest) << "case " << n + 1;
    ++n;
    EXPECT_EQ(hal.requests, n) << "the MAC did not go to the engine";
  }
}

// Every length across the block boundaries, one key: the engine's digests are the software's.
TEST(HmacEngine, EngineEqualsSoftwareAtEveryLength) {
  EngineHal hal;
  dfc::dtcp::HmacKey k("a shared key of the control source");
  k.use_engine(&hal);
  std::string msg;
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(hex(k.mac(msg)), hex(k.mac_software(msg))) << "length " << msg.size();
    msg.push_back(static_cast<char>('A' + i % 61));
  }
  EXPECT_EQ(hal.requests, 300);
}

// A HAL without an engine (the default Hal::hmac_sha1) and a key without one: software.
TEST(HmacEngine, NoEngineFallsBackToSoftware) {
  dfc::test::FakeHal plain;
  dfc::dtcp::HmacKey k("Jefe");
  k.use_engine(&plain);
  EXPECT_EQ(hex(k.mac("what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EngineHal unused;
  dfc::dtcp::HmacKey k2("Jefe");  // no use_engine: never asks
  EXPECT_EQ(hex(k2.mac("what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(unused.requests, 0);
}

// The server on a HAL with an engine: the request's verification and the reply's signature are
// the engine's (two requests, over the request's and the reply's signed bytes), and the reply
// verifies with the software path. A broken engine's digests make the request fail to verify:
// the server uses the engine's answer, not its own.
TEST(HmacEngine, ServerVerifiesAndSignsThroughTheEngine) {
  for (const bool corrupt : {false, true}) {
    const dfc::config::DfcConfig cfg = dfc::config::parse_config(dtcp_test::kConfig, "test.conf");
    EngineHal hal(1024);
    hal.corrupt = corrupt;
    dfc::fw::ClassifierDriver cls(hal);
    dfc::dtcp::Server srv(cfg, hal, cls, {});
    hal.advance_to(1'000'000'000ull);
    const std::string req =
        dfc::dtcp::sign("ADD DTCP/0.7\r\nCdest-ID: cd1\r\nDest-Address: 10.0.0.77\r\nTimeout-Idle: 600\r\nCsource-ID: cs1\r\nSeq: 1001\r\n", "secret1");
    srv.on_datagram(dtcp_test::datagram_from({"cs1", "secret1", "10.0.0.1"}, req));
    if (corrupt) {
      EXPECT_TRUE(hal.sent.empty());
      EXPECT_EQ(srv.counters().bad_authentication, 1u);
      continue;
    }
    ASSERT_EQ(hal.sent.size(), 1u);
    const std::string reply(hal.sent[0].data.begin(), hal.sent[0].data.end());
    const auto m = dfc::dtcp::parse_and_verify(reply, "secret1");  // the software path
    ASSERT_TRUE(m) << reply;
    EXPECT_EQ(m->status, 200) << reply;
    EXPECT_EQ(hal.requests, 2);
    EXPECT_GT(hal.bytes, req.size());
  }
}

}  // namespace
