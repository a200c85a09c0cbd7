// The image's security-engine registers (card_map.hpp SEC_*, docs/iss.md): a register set per
// hardware thread through which the image sends an HMAC-SHA1 request to the card's
// SecurityEngine, as a thread of the XLR sends the engine a descriptor over the message ring.
// The engine reads the key block and the message from the ISS memory (priced as its DMA at the
// bytes' card addresses) and writes the digest there; the thread waits for the answer at its
// SEC_STATUS read. A callback never waits (iss_card.hpp): the wait moves the thread's local time
// to the answer, and a synchronisation that needs is done after the slice.
#include <vector>

#include "card.hpp"
#include "dfc/hal/card_map.hpp"
#include "hw_thread.hpp"
#include "iss/abi_io.hpp"
#include "iss/iss_memory.hpp"
#include "iss_card.hpp"

namespace dfc::model {

namespace {
// The longest message one request may cover: far above any DTCP packet (a reply packet is at
// most max_reply_payload, about 1.4 KB); a larger length is a misuse, not a long wait.
constexpr uint32_t kMaxMessage = 1u << 20;
}  // namespace

std::optional<uint64_t> IssCard::card_address(uint32_t addr, uint64_t n) const {
  const uint64_t end = uint64_t{addr} + n;
  if (end <= uint64_t{cardmap::ISS_DRAM_WINDOW} + cardmap::ISS_WINDOW_BYTES && addr >= cardmap::ISS_DRAM_WINDOW)
    return cardmap::DRAM_BASE + (addr - cardmap::ISS_DRAM_WINDOW);
  if (addr >= cardmap::ISS_PKT_WINDOW && end <= uint64_t{cardmap::ISS_PKT_WINDOW} + cardmap::ISS_WINDOW_BYTES)
    return cardmap::PKT_MEM_BASE + (addr - cardmap::ISS_PKT_WINDOW);
  return std::nullopt;
}

uint32_t IssCard::sec_read(unsigned ctx, HwThread& th, uint32_t off) {
  const uint32_t reg = off % cardmap::SEC_CTX_STRIDE;
  if (reg == cardmap::SEC_INFO) return card_.sec_.present() ? 1 : 0;
  if (off / cardmap::SEC_CTX_STRIDE != ctx || reg != cardmap::SEC_STATUS) {
    device_error(ctx, "read of security register " + iss::hex(cardmap::SEC_BASE + off) +
                          " (a thread reads SEC_INFO, or SEC_STATUS in its own set at SEC_BASE + ctx * SEC_CTX_STRIDE)");
    return 0;
  }
  Ctx& c = ctx_[ctx];
  if (!c.sec_sent) return 0;
  c.sec_sent = false;
  th.accelerator_wait(c.sec_done_ps);
  return 1;
}

void IssCard::sec_write(unsigned ctx, HwThread& th, uint32_t off, uint32_t v) {
  const uint32_t reg = off % cardmap::SEC_CTX_STRIDE;
  if (off / cardmap::SEC_CTX_STRIDE != ctx)
    return device_error(ctx, "write of security register " + iss::hex(cardmap::SEC_BASE + off) +
                                 ": another thread's set (its own is at SEC_BASE + ctx * SEC_CTX_STRIDE)");
  Ctx& c = ctx_[ctx];
  switch (reg) {
    case cardmap::SEC_KEY: c.sec_key = v; return;
    case cardmap::SEC_SRC: c.sec_src = v; return;
    case cardmap::SEC_LEN: c.sec_len = v; return;
    case cardmap::SEC_DST: break;
    default: return device_error(ctx, "write of security register " + iss::hex(cardmap::SEC_BASE + off) + " (not writable)");
  }
  if (!card_.sec_.present())
    return device_error(ctx, "a security-engine request on a card without one (profile security.engine 0; SEC_INFO reads 0)");
  if (c.sec_len > kMaxMessage)
    return device_error(ctx, "security-engine request of " + std::to_string(c.sec_len) + " bytes (at most " +
                                 std::to_string(kMaxMessage) + ")");
  const std::optional<uint64_t> key = card_address(c.sec_key, SecurityEngine::kKeyBlock);
  const std::optional<uint64_t> data = card_address(c.sec_src, c.sec_len);
  const std::optional<uint64_t> digest = card_address(v, 20);
  if (!key || !data || !digest)
    return device_error(ctx, "security-engine request with a key block, message or digest outside the DRAM and packet "
                             "windows (key " + iss::hex(c.sec_key) + ", message " + iss::hex(c.sec_src) + " + " +
                             std::to_string(c.sec_len) + ", digest " + iss::hex(v) + ")");
  uint8_t k[SecurityEngine::kKeyBlock];
  mem_->read(c.sec_key, k, sizeof k);
  std::vector<uint8_t> msg(c.sec_len);
  if (!msg.empty()) mem_->read(c.sec_src, msg.data(), msg.size());
  const SecurityEngine::Answer a = card_.sec_.hmac(th.local_ps(), k, msg.data(), msg.size(), {*key, *data, *digest});
  mem_->write(v, a.digest.data(), a.digest.size());
  c.sec_done_ps = a.done_ps;
  c.sec_sent = true;
}

}  // namespace dfc::model
