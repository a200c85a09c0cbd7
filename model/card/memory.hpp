// MemorySubsystem: packet memory (on-chip SRAM, uncached, written by the DMA engines) and DRAM
// (flow tables, criteria records, counters) behind a shared L2 (docs/model.md §1-§2). Each
// access is priced as latency + bandwidth occupancy; the interconnect routes both regions of
// the address map here (card_map.json: packet_memory, dram). The descriptor rings in packet
// memory carry real values, kept with the simulated time they were written (timed_words.hpp).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "block.hpp"
#include "dfc/hal/card_map.hpp"
#include "cache.hpp"
#include "card_stats.hpp"
#include "profile.hpp"
#include "timed_words.hpp"
#include "timeline.hpp"

namespace dfc::model {

class MemorySubsystem : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_target_socket<MemorySubsystem> socket;
  // The ingress DMA's own port on packet memory (it sits next to the SRAM): its checks of the
  // descriptor rings (ownership word, free-buffer ring) occupy the SRAM, not the interconnect.
  tlm_utils::simple_target_socket<MemorySubsystem> dma_port;
  MemorySubsystem(sc_core::sc_module_name n, const CardProfile& p);
  uint64_t sram_busy_ps() const { return sram_.busy_ps(); }
  uint64_t dram_busy_ps() const { return dram_.busy_ps(); }
  const Cache& l2() const { return l2_; }
  // The boot's accesses (before time 0) occupy nothing; its cache contents stay.
  void start_of_simulation() override { sram_.reset(), dram_.reset(); }
  // "memory" (the busier of its two halves), then "dram" and "packet_memory" as details.
  void usage(std::vector<Usage>& out) const override;
  void add_stats(CardStats& st) const override { st.l2 = {l2_.hits(), l2_.misses()}; }
  // The card's boot (the firmware's constructor, before time 0): a descriptor-ring word set
  // directly, so the driver's set-up of its rings takes no simulated time and occupies nothing.
  void boot_store(uint64_t addr, uint32_t v) { rings_.write(addr, v, 0, 0); }
  static bool in_rings(uint64_t addr) { return addr >= cardmap::RX_RING_BASE && addr < cardmap::TX_BUF_BASE; }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  // The descriptor rings (RX_RING_BASE up to TX_BUF_BASE) hold values that the DMA engines and
  // the firmware's driver exchange; everything else is priced only (its data lives in C++
  // objects).
  void ring_data(tlm::tlm_generic_payload& gp, uint64_t t, uint64_t now);
  TimedWords rings_;
  Occupancy sram_, dram_;
  Cache l2_;
  double sram_ps_per_byte_, dram_ps_per_byte_;
  uint64_t sram_lat_, dram_lat_, l2_hit_;
};

}  // namespace dfc::model
