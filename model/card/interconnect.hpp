// Interconnect: the fabric shared by the cores and the DMA engines (docs/model.md §1). It is two
// rings, as on the XLR-class processor the PIC is modelled on (docs/model-sources.md S9, S11):
//  * the data ring (the data switch interconnect): every memory, classifier and semaphore
//    transaction (cache-line fills and write-backs, packet-buffer reads and writes, register
//    accesses);
//  * the message ring (the fast messaging network, separate from the data ring): the driver's
//    descriptors and buffer hand-offs, i.e. every access to the descriptor rings in packet
//    memory (RX_RING_BASE up to TX_BUF_BASE), except a hardware thread's accesses to the receive
//    and transmit rings of its own core: those sit in the core's own message station, so they
//    occupy neither ring.
// Each ring transaction occupies its ring for arbitration + address phase and its data beats
// (the same interconnect.* parameters for both rings); requests that overlap in simulated time
// wait for each other (an Occupancy timeline per ring). It then routes the transaction by
// address through the decode table generated from the card's address map
// (model/card/data/card_map.json -> card_decode.hpp): one initiator socket per target block.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>

#include "block.hpp"
#include "card_decode.hpp"
#include "profile.hpp"
#include "timeline.hpp"

namespace dfc::model {

class Interconnect : public sc_core::sc_module, public Block {
 public:
  using InitiatorSocket = tlm_utils::simple_initiator_socket<Interconnect>;
  tlm_utils::multi_passthrough_target_socket<Interconnect> target;
  // Indexed by decode::Target (named to_<target>); every one must be bound to its block.
  sc_core::sc_vector<InitiatorSocket> to;

  Interconnect(sc_core::sc_module_name n, const CardProfile& p);
  InitiatorSocket& to_target(decode::Target t) { return to[static_cast<size_t>(t)]; }
  // The busier of the two rings (what limits the fabric).
  uint64_t busy_ps() const { return std::max(data_.busy_ps(), msg_.busy_ps()); }
  uint64_t data_ring_busy_ps() const { return data_.busy_ps(); }
  uint64_t message_ring_busy_ps() const { return msg_.busy_ps(); }
  // The firmware's boot (its constructor, during elaboration) went through here before time 0:
  // it occupies nothing, so nothing at time 0 waits behind it.
  void start_of_simulation() override { data_.reset(), msg_.reset(); }
  uint64_t wait_ps() const { return data_.wait_ps() + msg_.wait_ps(); }
  // Transactions carried by each ring, and accesses a core made to its own message station.
  uint64_t data_ring_transactions() const { return n_data_; }
  uint64_t message_ring_transactions() const { return n_msg_; }
  uint64_t station_accesses() const { return n_local_; }
  void set_wave(WaveRecorder* w) override;  // busy: arbitration + transfer of every transaction
  // "interconnect" (the busier ring), then "data_ring" and "message_ring" as details.
  void usage(std::vector<Usage>& out) const override;
  // Multi-sockets bind their callbacks at the end of elaboration; transactions issued while
  // elaborating (the firmware's constructor probing the classifier) come in here.
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

 private:
  enum class Path { Data, Message, Station };
  Path path_of(tlm::tlm_generic_payload& gp) const;
  Occupancy data_, msg_;
  double cycle_ps_;
  unsigned bpc_, per_access_, threads_per_core_;
  uint64_t n_data_ = 0, n_msg_ = 0, n_local_ = 0;
  WaveRecorder* wave_ = nullptr;
  int w_busy_ = 0;
};

}  // namespace dfc::model
