// The fast card's security engine (the timing card's SecurityEngine, model/card/security_engine.hpp,
// priced the same way without transactions): the key block, then the message a 64-byte block at a
// time, read by DMA through the interconnect and memory (FastCard::access as a DMA initiator);
// one SHA-1 core hashes each block as soon as it is there (an Occupancy shared by every requester);
// the digest is written back. The digest itself is OpenSSL's HMAC-SHA1 (the model is not firmware).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>

#include "dfc/hal/card_map.hpp"
#include "fast_card.hpp"
#include "security_engine.hpp"

namespace dfc::fast {

bool FastCard::hmac(const uint8_t* key, const uint8_t* data, size_t n, uint8_t* digest) {
  using model::SecurityEngine;
  if (!prof_.security_engine) return false;
  unsigned len = 20;
  static const uint8_t kEmpty = 0;
  if (!HMAC(EVP_sha1(), key, static_cast<int>(SecurityEngine::kKeyBlock), n ? data : &kEmpty, n, digest, &len))
    throw std::runtime_error("fast card: OpenSSL's HMAC-SHA1 failed");
  ++sec_requests_;
  if (booting_) return true;  // before time 0 nothing is timed, as on the timing card
  // The host firmware's strings have no card address: the DMA is priced at SEC_HOST_DATA
  // (key block, digest, message), as the timing card's CardHal does.
  const uint64_t key_addr = cardmap::SEC_HOST_DATA, digest_addr = key_addr + 64, data_addr = key_addr + 128;
  const uint64_t t = cur_->clock;
  uint64_t end = t;
  auto hash = [&](uint64_t ready) { end = sec_core_.book(std::max(ready, end), sec_block_ps_, floor_ps_) + sec_block_ps_; };
  const uint64_t key_at = access(key_addr, SecurityEngine::kKeyBlock, false, t, -1);
  hash(key_at);  // K ^ ipad
  uint64_t arrived = key_at;
  const uint64_t mb = SecurityEngine::message_blocks(n);
  for (uint64_t i = 0; i < mb; ++i) {
    const uint64_t off = i * 64;
    if (off < n) {
      const auto bytes = static_cast<uint32_t>(std::min<uint64_t>(64, n - off));
      arrived = std::max(arrived, access(data_addr + off, bytes, false, t, -1));
    }
    hash(arrived);
  }
  hash(key_at);  // K ^ opad
  hash(end);     // the outer hash
  const uint64_t done = access(digest_addr, 20, true, end, -1);
  // The thread waits for the engine's answer (the timing card books it as classifier-like time).
  stall(t, done, kClassifier);
  return true;
}

}  // namespace dfc::fast
