#include "egress_dma.hpp"

#include <algorithm>

namespace dfc::model {

EgressDma::EgressDma(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
  gp_.set_extension(new InitiatorId(kDmaInitiator));
}

uint64_t EgressDma::fetch(uint64_t addr, uint32_t bytes, uint64_t t) {
  prepare_payload(gp_, scratch_, tlm::TLM_READ_COMMAND, addr, bytes);
  const uint64_t now = now_ps();
  const uint64_t from = std::max(t, now);
  sc_core::sc_time d = sc_core::sc_time::from_value(from - now);
  socket->b_transport(gp_, d);
  return now + d.value();
}

void EgressDma::complete(uint64_t addr, uint64_t t) {
  uint32_t zero = 0;
  prepare_payload(gp_, tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<unsigned char*>(&zero), 4);
  const uint64_t now = now_ps();
  sc_core::sc_time d = sc_core::sc_time::from_value(t > now ? t - now : 0);
  socket->b_transport(gp_, d);
}

}  // namespace dfc::model
