// EgressDma: reads each copy a core queues out of its transmit buffer in packet memory
// (card_map.hpp TX_BUF_BASE) through the interconnect, before the EgressPort sends it
// (docs/model.md §1).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <vector>

#include "block.hpp"

namespace dfc::model {

class EgressDma : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_initiator_socket<EgressDma> socket;
  explicit EgressDma(sc_core::sc_module_name n);
  // Reads `bytes` of a copy at addr starting at t; returns when the last byte is read.
  uint64_t fetch(uint64_t addr, uint32_t bytes, uint64_t t);
  // Hands a transmit descriptor back to the firmware: clears its ownership word (addr) at t,
  // when the copy has left (the firmware's driver sees the slot free from then on).
  void complete(uint64_t addr, uint64_t t);

 private:
  tlm::tlm_generic_payload gp_;
  std::vector<unsigned char> scratch_;
};

}  // namespace dfc::model
