// Interconnect: the one fabric shared by the cores and the DMA engines (docs/model.md §1). Each
// transaction occupies it for arbitration + address phase and its data beats; requests that
// overlap in simulated time wait for each other (an Occupancy timeline). It then routes the
// transaction by address through the decode table generated from the card's address map
// (model/card/data/card_map.json -> card_decode.hpp): one initiator socket per target block.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

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
  uint64_t busy_ps() const { return occ_.busy_ps(); }
  // The firmware's boot (its constructor, during elaboration) went through here before time 0:
  // it occupies nothing, so nothing at time 0 waits behind it.
  void start_of_simulation() override { occ_.reset(); }
  uint64_t wait_ps() const { return occ_.wait_ps(); }
  void set_wave(WaveRecorder* w) override;  // busy: arbitration + transfer of every transaction
  void usage(std::vector<Usage>& out) const override;
  // Multi-sockets bind their callbacks at the end of elaboration; transactions issued while
  // elaborating (the firmware's constructor probing the classifier) come in here.
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

 private:
  Occupancy occ_;
  double cycle_ps_;
  unsigned bpc_, per_access_;
  WaveRecorder* wave_ = nullptr;
  int w_busy_ = 0;
};

}  // namespace dfc::model
