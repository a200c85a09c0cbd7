#include "memory.hpp"

#include <algorithm>
#include <cstring>

#include "dfc/hal/card_map.hpp"

namespace dfc::model {

MemorySubsystem::MemorySubsystem(sc_core::sc_module_name n, const CardProfile& p)
    : sc_module(n), socket("socket"), dma_port("dma_port"),
      l2_(static_cast<uint64_t>(p.l2_bytes), static_cast<unsigned>(p.l1_line), static_cast<unsigned>(p.l2_ways)),
      sram_ps_per_byte_(8e3 / p.sram_gbps), dram_ps_per_byte_(8e3 / p.dram_gbps),
      sram_lat_(ps_of(p.sram_latency_ns * 1e-9)), dram_lat_(ps_of(p.dram_latency_ns * 1e-9)),
      l2_hit_(ps_of(p.l2_hit_ns * 1e-9)) {
  socket.register_b_transport(this, &MemorySubsystem::b_transport);
  dma_port.register_b_transport(this, &MemorySubsystem::b_transport);
}

void MemorySubsystem::usage(std::vector<Usage>& out) const {
  out.push_back({"memory", std::max(sram_busy_ps(), dram_busy_ps()), Usage::Kind::MemorySystem});
  out.push_back({"dram", dram_busy_ps(), Usage::Kind::Detail});
  out.push_back({"packet_memory", sram_busy_ps(), Usage::Kind::Detail});
}

void MemorySubsystem::ring_data(tlm::tlm_generic_payload& gp, uint64_t t, uint64_t now) {
  const uint64_t addr = gp.get_address();
  const uint64_t n = gp.get_data_length() / 4;
  unsigned char* d = gp.get_data_ptr();
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t v = 0;
    if (gp.is_write()) {
      std::memcpy(&v, d + 4 * i, 4);
      rings_.write(addr + 4 * i, v, t, now);
    } else {
      v = rings_.read(addr + 4 * i, t, now);
      std::memcpy(d + 4 * i, &v, 4);
    }
  }
}

void MemorySubsystem::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const uint64_t addr = gp.get_address();
  const uint64_t len = gp.get_data_length();
  const uint64_t now = now_ps();
  const uint64_t t = now + delay.value();
  const bool write = gp.is_write();
  if (addr >= cardmap::DRAM_BASE) {
    // Cores reach DRAM through the shared L2 (line fills and write-backs of their L1); DMA
    // engines do not touch DRAM in this card.
    // A burst (a core's streaming read) covers several lines: each is looked up in the L2,
    // and only the missing ones go to DRAM, back to back at the DRAM bandwidth.
    const uint64_t line = l2_.line();
    uint64_t miss = 0;
    for (uint64_t a = addr; a < addr + len; a += line) {
      const Cache::Result r = l2_.access(a, write);
      if (r.writeback) dram_.book(t, static_cast<uint64_t>(double(line) * dram_ps_per_byte_), now);
      if (!r.hit) miss += std::min<uint64_t>(line, addr + len - a);
    }
    if (write) {
      if (miss) dram_.book(t, static_cast<uint64_t>(double(miss) * dram_ps_per_byte_), now);  // fill
    } else if (miss == 0) {
      delay = at_ps(t + l2_hit_ - now);
    } else {
      const auto svc = static_cast<uint64_t>(double(miss) * dram_ps_per_byte_);
      const uint64_t start = dram_.book(t + l2_hit_, svc, now);
      delay = at_ps(start + dram_lat_ + svc - now);
    }
  } else if (addr >= cardmap::PKT_MEM_BASE) {
    if (addr >= cardmap::RX_RING_BASE && addr < cardmap::TX_BUF_BASE) ring_data(gp, t, now);
    // Packet memory: uncached SRAM; writes are posted (occupancy only).
    const auto svc = static_cast<uint64_t>(double(len) * sram_ps_per_byte_);
    const uint64_t start = sram_.book(t, svc, now);
    if (!write) delay = at_ps(start + sram_lat_ + svc - now);
  } else {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace dfc::model
