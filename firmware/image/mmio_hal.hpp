// The firmware's HAL in the card image: every Hal call is a memory-mapped access of the card
// map (card_map.hpp) as the image sees it (dfc/hal/iss_abi.hpp). The bus and the semaphores
// sit at their card addresses, descriptor memory in the packet window, time and the timer in
// the platform registers, frames arrive as receive metadata + bytes in the receive buffer and
// leave as a transmit record rung at PLAT_DOORBELL. Nothing is declared: the instruction-set
// simulator measures the instructions and accesses themselves, so consume_cycles() and
// mem_write() do nothing here, mem_read() only asks for a synchronisation before the loads of the
// criteria sequence counter and version (PLAT_SYNC, on a host that offers it), and work() only
// reports its declaration in
// PLAT_WORK (one store): the host counts each frame's declared work next to the instructions
// the frame really took, so that a flow hit's cost is told from a miss's, and `dfcsim calibrate`
// learns what each declared unit costs. It changes nothing the firmware does.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dfc/hal/hal.hpp"
#include "dfc/hal/iss_abi.hpp"

namespace dfc::image {

// Image address of a card address (iss::image_address), or a fatal error naming it.
uint32_t window_address(uint64_t card_addr, const char* what);

// IPv4/IPv6 text <-> the words of an address (iss::IpWords).
iss::IpWords ip_words(const std::string& text);
std::string ip_text(const iss::IpWords& w);

class MmioHal final : public Hal {
 public:
  // features: the boot block's (iss::kFeature*): a security engine, PLAT_SYNC.
  MmioHal(unsigned contexts, uint32_t features);

  void bus_write(uint32_t addr, const uint32_t* words, size_t n) override;
  void bus_read(uint32_t addr, uint32_t* words, size_t n) override;
  bool transmit(Packet&& p) override;
  uint64_t now_ns() const override;
  uint64_t epoch_ms_at_reset() const override;
  void arm_timer(uint64_t at_ns) override;
  void consume_cycles(uint64_t /*cycles*/) override {}
  void mem_read(uint64_t addr, uint32_t bytes) override;
  void work(Work kind, uint64_t n) override;
  uint32_t load32(uint64_t addr) override;
  void store32(uint64_t addr, uint32_t value) override;
  Packet* rx_frame(uint64_t buf_addr) override;
  void copy_dropped(const Packet& copy, const char* reason) override;
  unsigned core_id() const override;
  void lock_acquire(unsigned lock) override;
  void lock_release(unsigned lock) override;
  void race_hint(RaceHint hint) override;
  // The card's security engine through this context's SEC_* registers (card_map.hpp): the key
  // block's, the message's and the digest's addresses and the length, then SEC_STATUS, which
  // answers once the engine has written the digest. False when the boot block says the card
  // has none.
  bool hmac_sha1(const uint8_t* key, const uint8_t* data, size_t n, uint8_t* digest) override;

 private:
  // Per context, so that contexts never share them: the frame being handled and the record
  // of the doorbell being rung.
  struct PerContext {
    Packet frame;
    iss::TxRecord tx{};
  };
  PerContext& mine();
  iss::TxRecord& fill_record(const Packet& p);
  std::vector<PerContext> ctx_;
  bool engine_, sync_;
};

}  // namespace dfc::image
