// The firmware's HAL in the card image: every Hal call is a memory-mapped access of the card
// map (card_map.hpp) as the image sees it (dfc/hal/iss_abi.hpp). The bus and the semaphores
// sit at their card addresses, descriptor memory in the packet window, time and the timer in
// the platform registers, frames arrive as receive metadata + bytes in the receive buffer and
// leave as a transmit record rung at PLAT_DOORBELL. Nothing is declared: the instruction-set
// simulator measures the instructions and accesses themselves, so consume_cycles(),
// mem_read() and mem_write() do nothing here, and work() only reports its declaration in
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
  explicit MmioHal(unsigned contexts);

  void bus_write(uint32_t addr, const uint32_t* words, size_t n) override;
  void bus_read(uint32_t addr, uint32_t* words, size_t n) override;
  bool transmit(Packet&& p) override;
  uint64_t now_ns() const override;
  uint64_t epoch_ms_at_reset() const override;
  void arm_timer(uint64_t at_ns) override;
  void consume_cycles(uint64_t /*cycles*/) override {}
  void work(Work kind, uint64_t n) override;
  uint32_t load32(uint64_t addr) override;
  void store32(uint64_t addr, uint32_t value) override;
  Packet* rx_frame(uint64_t buf_addr) override;
  void copy_dropped(const Packet& copy, const char* reason) override;
  unsigned core_id() const override;
  void lock_acquire(unsigned lock) override;
  void lock_release(unsigned lock) override;
  void race_hint(RaceHint hint) override;

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
};

}  // namespace dfc::image
