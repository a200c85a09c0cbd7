#include "dfc/dtcp/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <stdexcept>

namespace dfc::dtcp {
namespace {
// One HMAC-SHA1 context per thread, fetched once and re-keyed per message. The one-shot HMAC()
// fetches the algorithm from the provider on every call (EVP_MAC_fetch, context allocation):
// that was most of the cost of signing and verifying a DTCP message (docs/performance.md, P4).
struct MacContext {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
  MacContext() {
    mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    if (mac) ctx = EVP_MAC_CTX_new(mac);
    char digest[] = "SHA1";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (ctx && EVP_MAC_CTX_set_params(ctx, params) != 1) {
      EVP_MAC_CTX_free(ctx);
      ctx = nullptr;
    }
  }
  ~MacContext() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  MacContext(const MacContext&) = delete;
  MacContext& operator=(const MacContext&) = delete;
};
}  // namespace

Digest hmac_sha1(std::string_view key, std::string_view data) {
  Digest out{};
  thread_local MacContext m;
  // (an empty key goes through the one-shot path below: EVP_MAC_init takes a null key to mean
  // "keep the previous one")
  if (m.ctx && !key.empty()) {
    size_t n = 0;
    if (EVP_MAC_init(m.ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr) != 1 ||
        EVP_MAC_update(m.ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        EVP_MAC_final(m.ctx, out.data(), &n, out.size()) != 1 || n != out.size())
      throw std::runtime_error("HMAC-SHA1 failed");
    return out;
  }
  unsigned int len = 0;
  // HMAC() is the one-shot RFC 2104 construction of libcrypto; EVP_sha1 selects SHA-1.
  const unsigned char* r =
      HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  if (r == nullptr || len != out.size()) throw std::runtime_error("HMAC-SHA1 failed");
  return out;
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
