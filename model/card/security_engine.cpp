#include "security_engine.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "wave.hpp"

namespace dfc::model {

SecurityEngine::SecurityEngine(sc_core::sc_module_name n, const CardProfile& p)
    : sc_module(n), socket("socket"), present_(p.security_engine != 0) {
  block_ps_ = static_cast<uint64_t>(1e12 / p.security_hz * p.security_cycles_per_block + 0.5);
  gp_.set_extension(new InitiatorId(kDmaInitiator));
}

void SecurityEngine::set_wave(WaveRecorder* w) {
  wave_ = present_ ? w : nullptr;
  if (!wave_) return;
  w_busy_ = w->add("card.security", "busy", WaveRecorder::Kind::Busy);
  w_flight_ = w->add("card.security", "requests_in_flight", WaveRecorder::Kind::Count, 8);
}

void SecurityEngine::usage(std::vector<Usage>& out) const {
  if (present_) out.push_back({"security", busy_ps(), Usage::Kind::Accelerator});
}

uint64_t SecurityEngine::dma(tlm::tlm_command cmd, uint64_t addr, uint32_t bytes, uint64_t t) {
  prepare_payload(gp_, scratch_, cmd, addr, bytes);
  const uint64_t now = now_ps();
  sc_core::sc_time d = sc_core::sc_time::from_value(t > now ? t - now : 0);
  socket->b_transport(gp_, d);
  if (gp_.is_response_error()) {
    char a[24];
    std::snprintf(a, sizeof a, "0x%llx", static_cast<unsigned long long>(addr));
    throw std::runtime_error(std::string("security engine: DMA ") + (cmd == tlm::TLM_READ_COMMAND ? "read" : "write") +
                             " of " + std::to_string(bytes) + " bytes at " + a + " failed (no memory there)");
  }
  return now + d.value();
}

SecurityEngine::Answer SecurityEngine::hmac(uint64_t t, const uint8_t* key, const uint8_t* data, size_t n,
                                            const Addresses& at) {
  Answer a{};
  unsigned len = static_cast<unsigned>(a.digest.size());
  static const uint8_t kEmpty = 0;
  if (!HMAC(EVP_sha1(), key, static_cast<int>(kKeyBlock), n ? data : &kEmpty, n, a.digest.data(), &len))
    throw std::runtime_error("security engine: OpenSSL's HMAC-SHA1 failed");
  ++requests_;
  blocks_ += blocks_for(n);
  a.done_ps = t;
  // Before time 0 (the firmware's construction) nothing is timed, as for every other block.
  if (sc_core::sc_get_status() == sc_core::SC_ELABORATION) return a;
  const uint64_t floor = now_ps();
  uint64_t end = t;  // when the SHA-1 core finished this request's last block so far
  auto hash = [&](uint64_t ready) {
    const uint64_t s = core_.book(std::max(ready, end), block_ps_, floor);
    if (wave_) wave_->interval(w_busy_, s, s + block_ps_);
    end = s + block_ps_;
  };
  // The descriptor's key block first; the message follows a 64-byte block a burst (all issued at
  // once: the engine's input buffer takes them as the ring delivers), and the core hashes each
  // block as soon as it is there.
  const uint64_t key_at = dma(tlm::TLM_READ_COMMAND, at.key, kKeyBlock, t);
  hash(key_at);  // K ^ ipad
  uint64_t arrived = key_at;
  const uint64_t mb = message_blocks(n);
  for (uint64_t i = 0; i < mb; ++i) {
    const uint64_t off = i * 64;
    if (off < n) {
      const auto bytes = static_cast<uint32_t>(std::min<uint64_t>(64, n - off));
      arrived = std::max(arrived, dma(tlm::TLM_READ_COMMAND, at.data + off, bytes, t));
    }
    hash(arrived);  // a block of padding only is ready with the message's last byte
  }
  hash(key_at);  // K ^ opad
  hash(end);     // the outer hash over the inner digest
  a.done_ps = dma(tlm::TLM_WRITE_COMMAND, at.digest, static_cast<uint32_t>(a.digest.size()), end);
  if (wave_) wave_->interval(w_flight_, t, a.done_ps);
  return a;
}

}  // namespace dfc::model
