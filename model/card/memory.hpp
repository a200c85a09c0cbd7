// MemorySubsystem: packet memory (on-chip SRAM, uncached, written by the DMA engines) and DRAM
// (flow tables, criteria records, counters) behind a shared L2 (docs/model.md §1-§2). Each
// access is priced as latency + bandwidth occupancy; the interconnect routes both regions of
// the address map here (card_map.json: packet_memory, dram).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "block.hpp"
#include "cache.hpp"
#include "profile.hpp"
#include "timeline.hpp"

namespace dfc::model {

class MemorySubsystem : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_target_socket<MemorySubsystem> socket;
  MemorySubsystem(sc_core::sc_module_name n, const CardProfile& p);
  uint64_t sram_busy_ps() const { return sram_.busy_ps(); }
  uint64_t dram_busy_ps() const { return dram_.busy_ps(); }
  const Cache& l2() const { return l2_; }
  // "memory" (the busier of its two halves), then "dram" and "packet_memory" as details.
  void usage(std::vector<Usage>& out) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  Occupancy sram_, dram_;
  Cache l2_;
  double sram_ps_per_byte_, dram_ps_per_byte_;
  uint64_t sram_lat_, dram_lat_, l2_hit_;
};

}  // namespace dfc::model
