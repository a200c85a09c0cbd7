// The firmware's driver layer: the receive, free-buffer and transmit descriptor rings each
// firmware context (hardware thread, Hal::core_id()) shares with the card's DMA engines, in
// modelled packet memory (card_map.hpp RX_RING_*, FREE_RING_*, TX_RING_*). Every descriptor
// access is a Hal::load32 / Hal::store32, so the host prices the driver's real work instead
// of a per-packet constant. Protocol and layout: docs/firmware-driver.md.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "dfc/hal/card_map.hpp"
#include "dfc/hal/hal.hpp"

namespace dfc::fw {

struct DriverOptions {
  // Off: the host hands packets to FirmwareApp::on_packet itself (unit tests, hosts without
  // descriptor memory) and nothing here touches modelled memory.
  bool enabled = false;
  unsigned contexts = 1;               // firmware contexts that poll (Hal::core_id() 0..contexts-1)
  uint32_t rx_ring_entries = 256;      // receive descriptors per context
  uint32_t tx_ring_entries = 256;      // transmit descriptors (and transmit buffers) per context
  uint32_t buffers_per_context = 256;  // receive buffers each context posts at boot
};

// The ring layout of card_map.hpp as addresses; the host's DMA models and the tests use the
// same formulas, the ring sizes being the DriverOptions both sides are configured with.
namespace ring {
constexpr uint64_t rx_desc(unsigned ctx, uint32_t slot) {
  return cardmap::RX_RING_BASE + ctx * cardmap::RING_STRIDE + uint64_t{slot} * cardmap::RX_DESC_BYTES;
}
constexpr uint64_t free_producer(unsigned ctx) { return cardmap::FREE_RING_BASE + ctx * cardmap::RING_STRIDE; }
constexpr uint64_t free_entry(unsigned ctx, uint64_t index) {
  return free_producer(ctx) + cardmap::FREE_RING_ENTRIES_OFFSET + 4 * (index % cardmap::FREE_RING_SLOTS);
}
// An entry of some context's free-buffer ring (not its producer index): a word through which the
// driver hands a buffer back to the hardware.
constexpr bool is_free_entry(uint64_t addr) {
  return addr >= cardmap::FREE_RING_BASE && addr < cardmap::TX_RING_BASE &&
         (addr - cardmap::FREE_RING_BASE) % cardmap::RING_STRIDE >= cardmap::FREE_RING_ENTRIES_OFFSET;
}
constexpr uint64_t tx_desc(unsigned ctx, uint32_t slot) {
  return cardmap::TX_RING_BASE + ctx * cardmap::RING_STRIDE + uint64_t{slot} * cardmap::TX_DESC_BYTES;
}
// Transmit slot `slot` of a context owns one transmit buffer, where the copy is built.
constexpr uint64_t tx_buffer(unsigned ctx, uint32_t slot, uint32_t tx_ring_entries) {
  return cardmap::TX_BUF_BASE + (uint64_t{ctx} * tx_ring_entries + slot) * cardmap::TX_BUF_BYTES;
}
}  // namespace ring

struct DriverStats {
  uint64_t rx_packets = 0;      // frames handed to the handler
  uint64_t rx_empty_polls = 0;  // polls that found the head descriptor still owned by the DMA
  uint64_t rx_errors = 0;       // owned descriptors whose buffer held no frame (slot recycled)
  uint64_t tx_packets = 0;      // descriptors posted and accepted by the doorbell
  uint64_t tx_ring_full = 0;    // transmit attempts that found the tail slot still owned by hardware
  uint64_t tx_refused = 0;      // doorbells the host refused after the descriptor was written
};

class Driver {
 public:
  // A received frame: `control` is the descriptor's RX_DESC_CONTROL bit (unit 0), which is
  // what routes it, not any field of the host's Packet object.
  using Handler = std::function<void(const Packet& p, bool control)>;

  // Throws std::invalid_argument when the rings or buffers do not fit the address map.
  Driver(Hal& hal, DriverOptions opt);

  // Posts buffers first_buffer .. first_buffer+n_buffers-1 (offsets b * PKT_BUF_BYTES from
  // PKT_MEM_BASE) into the context's free ring, publishes the producer index, and clears the
  // context's receive and transmit rings. Runs once per context before traffic.
  void boot(unsigned context, uint64_t first_buffer, uint32_t n_buffers);
  // boot() for every context, each with its own buffers_per_context buffers.
  void boot_all();

  // One poll of the current context's receive ring: false when the head descriptor is not
  // owned by software (nothing arrived); else the frame goes to h, the slot and its buffer
  // are handed back, and the result is true.
  bool poll(const Handler& h);

  // Transmit on the current context, in two steps so that a copy is only built when there is
  // room: tx_acquire() returns the buffer of the tail slot (where the copy is to be built),
  // or 0 when hardware still owns that slot (ring full, counted). tx_post() then writes the
  // descriptor and rings the doorbell (Hal::transmit); false when the host refused it (the
  // descriptor is taken back, counted). Packet::buf_addr of the copy names its buffer.
  uint64_t tx_acquire();
  bool tx_post(Packet&& p);
  bool tx(Packet&& p);  // both steps

  DriverStats stats() const;  // totals over the contexts
  const DriverStats& stats(unsigned context) const { return ctx_.at(context).s; }
  const DriverOptions& options() const { return opt_; }
  // Receive-ring index the context reads next (tests, debugging).
  uint32_t rx_head(unsigned context) const { return ctx_.at(context).rx_head; }

 private:
  // Everything per context, so that contexts never share driver state (docs/firmware-concurrency.md).
  struct Context {
    uint32_t rx_head = 0;
    uint64_t free_producer = 0;  // buffers ever posted to the free ring
    uint32_t tx_tail = 0;
    uint64_t tx_reserved = 0;    // buffer of the slot tx_acquire() found free, 0 if none
    DriverStats s;
  };
  Context& current();
  void post_buffer(unsigned ctx, Context& c, uint32_t offset);

  Hal& hal_;
  DriverOptions opt_;
  std::vector<Context> ctx_;
};

}  // namespace dfc::fw
