// HMAC-SHA1 against RFC 2202 and the DTCP draft's ADD example (reference §1.6).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"

namespace {

std::string vectors_dir() { return std::string(DFC_SHARED_DATA) + "/vectors"; }

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

// RFC 2202's vectors from the shared data (key, data, digest; hex), or nothing when it is absent.
struct Vector {
  std::string key, data, digest;
};
std::vector<Vector> shared_vectors() {
  std::string text;
  std::vector<Vector> out;
  if (!read_file(vectors_dir() + "/hmac-sha1-rfc2202.txt", text)) return out;
  std::istringstream in(text);
  Vector v;
  while (in >> v.key >> v.data >> v.digest) out.push_back({unhex(v.key), unhex(v.data), v.digest});
  return out;
}

TEST(DtcpHmac, Rfc2202Vectors) {
  const std::vector<Vector> vs = shared_vectors();
  if (vs.empty()) GTEST_SKIP() << "shared data not found at " << vectors_dir() << " (DFC_SHARED_DATA)";
  for (size_t i = 0; i < vs.size(); ++i) EXPECT_EQ(dfc::dtcp::hmac_sha1_hex(vs[i].key, vs[i].data), vs[i].digest) << "vector " << i + 1;
  EXPECT_EQ(vs.size(), 7u);
}

// The same vectors through one HmacKey per key (pads compressed once), each key used twice:
// a MAC must leave the key's state as it found it.
TEST(DtcpHmac, Rfc2202VectorsWithPrecomputedKey) {
  const std::vector<Vector> vs = shared_vectors();
  if (vs.empty()) GTEST_SKIP() << "shared data not found at " << vectors_dir() << " (DFC_SHARED_DATA)";
  for (size_t i = 0; i < vs.size(); ++i) {
    const dfc::dtcp::HmacKey k(vs[i].key);
    EXPECT_EQ(dfc::dtcp::to_hex(k.mac(vs[i].data)), vs[i].digest) << "vector " << i + 1;
    EXPECT_EQ(dfc::dtcp::to_hex(k.mac(vs[i].data)), vs[i].digest) << "vector " << i + 1 << ", key used again";
  }
  EXPECT_EQ(vs.size(), 7u);
}

// RFC 2202 §3, all seven HMAC-SHA1 cases, written here so they run without ../shared: keys
// shorter than, equal to and longer than a block, data of one and of two blocks.
TEST(DtcpHmac, Rfc2202AllCasesBuiltin) {
  struct Case {
    std::string key, data, digest;
  };
  const std::string big_key(80, '\xaa');
  const Case cases[] = {
      {std::string(20, '\x0b'), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
      {"Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
      {std::string(20, '\x0c'), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
      {big_key, "Test Using Larger Than Block-Size Key - Hash Key First", "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {big_key, "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  };
  int n = 0;
  for (const Case& c : cases) {
    ++n;
    EXPECT_EQ(dfc::dtcp::hmac_sha1_hex(c.key, c.data), c.digest) << "case " << n;
    const dfc::dtcp::HmacKey k(c.key);
    EXPECT_EQ(dfc::dtcp::to_hex(k.mac(c.data)), c.digest) << "case " << n;
    EXPECT_EQ(dfc::dtcp::to_hex(k.mac(c.data)), c.digest) << "case " << n << ", key used again";
  }
}

TEST(DtcpHmac, Rfc2202Case1Builtin) {
  // Also without the shared data: RFC 2202 test case 2 ("Jefe").
  EXPECT_EQ(dfc::dtcp::hmac_sha1_hex("Jefe", "what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

void check_draft_message(const char* file, const char* digest) {
  std::string msg;
  if (!read_file(vectors_dir() + "/" + file, msg))
    GTEST_SKIP() << "shared data not found at " << vectors_dir() << " (DFC_SHARED_DATA)";
  auto m = dfc::dtcp::parse_message(msg);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->has_auth);
  EXPECT_EQ(m->auth, digest);
  EXPECT_TRUE(dfc::dtcp::verify(*m, msg, "secret"));
  EXPECT_FALSE(dfc::dtcp::verify(*m, msg, "Secret"));
  EXPECT_TRUE(dfc::dtcp::verify(*m, msg, dfc::dtcp::HmacKey("secret")));
  EXPECT_FALSE(dfc::dtcp::verify(*m, msg, dfc::dtcp::HmacKey("Secret")));
  // Recompute over exactly the raw bytes before the Authentication-Info line.
  EXPECT_EQ(dfc::dtcp::hmac_sha1_hex("secret", std::string_view(msg).substr(0, m->signed_len)), digest);
  EXPECT_EQ(m->method, "ADD");
  ASSERT_TRUE(m->find("seq"));
  EXPECT_EQ(m->find("SEQ")->value, "3827443");  // trailing space trimmed from the value
}

TEST(DtcpHmac, DraftPublishedAddVerifiesByteForByte) {
  check_draft_message("dtcp-draft-add-published.msg", "28eb606458ba46160d7a59da48763020f5aef9f5");
}

TEST(DtcpHmac, DraftCleanAddVerifies) {
  check_draft_message("dtcp-draft-add-clean.msg", "feaa174889b402f7bc8dd90db1f062ec9bb3849c");
}

TEST(DtcpHmac, SignProducesCleanVector) {
  const std::string body =
      "ADD DTCP/0.6\r\nSource-Address: 192.168.10.4\r\nDest-Address: 10.1.1.1-10.1.1.10\r\n"
      "Protocol: 6,17\r\nDest-Port: 53\r\nTimeout-Idle: 600\r\nAction: Copy\r\nPriority: 2\r\n"
      "Flags: SendAsync\r\nCdest-ID: cdst_b\r\nCsource-ID: csrc_a\r\nSeq: 3827443\r\n";
  std::string s = dfc::dtcp::sign(body, "secret");
  EXPECT_EQ(s, body + "Authentication-Info: feaa174889b402f7bc8dd90db1f062ec9bb3849c\r\n\r\n");
  EXPECT_TRUE(dfc::dtcp::parse_and_verify(s, "secret"));
  EXPECT_FALSE(dfc::dtcp::parse_and_verify(s, "secreT"));
}

// Signing with a precomputed key, in place or on a copy, and through the builder, gives the
// bytes signing with the key's text gives; verifying with it accepts them and refuses others.
TEST(DtcpHmac, PrecomputedKeySignsAndVerifiesAsTheKeyText) {
  const std::string body = "NOOP DTCP/0.7\r\nCsource-ID: csrc_a\r\nSeq: 7\r\n";
  const dfc::dtcp::HmacKey key("secret"), other("secreT");
  const std::string want = dfc::dtcp::sign(body, "secret");
  EXPECT_EQ(dfc::dtcp::sign(body, key), want);
  std::string in_place = body;
  dfc::dtcp::append_signature(in_place, key);
  EXPECT_EQ(in_place, want);
  auto b = dfc::dtcp::MessageBuilder::request("NOOP", {0, 7});
  b.add("Csource-ID", "csrc_a").add("Seq", uint64_t{7});
  EXPECT_EQ(b.signed_text("secret"), want);
  EXPECT_EQ(b.take_signed(key), want);
  EXPECT_EQ(b.text(), "");  // moved out
  auto m = dfc::dtcp::parse_message(want);
  ASSERT_TRUE(m);
  EXPECT_TRUE(dfc::dtcp::verify(*m, want, key));
  EXPECT_FALSE(dfc::dtcp::verify(*m, want, other));
  EXPECT_TRUE(dfc::dtcp::parse_and_verify(want, key));
  EXPECT_FALSE(dfc::dtcp::parse_and_verify(want, other));
}

TEST(DtcpHmac, UppercaseHexAcceptedWrongLengthRejected) {
  std::string s = dfc::dtcp::sign("NOOP DTCP/0.7\r\nCsource-ID: a\r\nSeq: 1\r\n", "k");
  std::string up = s;
  for (size_t i = up.find("Info: ") + 6; up[i] != '\r'; ++i) up[i] = static_cast<char>(toupper(up[i]));
  EXPECT_TRUE(dfc::dtcp::parse_and_verify(up, "k"));
  std::string shortd = s;
  shortd.erase(shortd.find("\r\n\r\n") - 1, 1);
  EXPECT_FALSE(dfc::dtcp::parse_and_verify(shortd, "k"));
}

}  // namespace
