// EgressPort: the unit-2 MAC (docs/model.md §1): a finite transmit queue of copies, each
// serialised at the line rate with the same framing as the ingress (wire_ps). A full queue
// refuses the copy (Hal::transmit returns false).
#pragma once
#include <systemc>

#include <cstdint>
#include <deque>

#include "block.hpp"
#include "dfc/hal/packet.hpp"
#include "profile.hpp"

namespace dfc::model {

class EgressPort : public sc_core::sc_module, public Block {
 public:
  EgressPort(sc_core::sc_module_name n, const CardProfile& p);
  // A copy queued at t and readable from ready_ps: false when the transmit queue is full;
  // else `depart_ps` is the end of its serialisation.
  bool enqueue(const Packet& p, uint64_t t, uint64_t ready_ps, uint64_t& depart_ps);
  uint64_t free_ps() const { return free_ps_; }
  uint64_t busy_ps() const { return busy_ps_; }
  // Copies queued and not yet on the wire at t (those whose serialisation started by t leave).
  size_t queued_at(uint64_t t);
  // Waveform (null: off): queue_depth (queued, not yet on the wire) and busy (serialising).
  void set_wave(WaveRecorder* w) override;
  void usage(std::vector<Usage>& out) const override;  // "egress": the MAC's wire time

 private:
  double bps_;
  size_t capacity_;
  std::deque<uint64_t> starts_;  // service start times of queued copies
  uint64_t free_ps_ = 0, busy_ps_ = 0;
  WaveRecorder* wave_ = nullptr;
  int w_depth_ = 0, w_busy_ = 0;
};

}  // namespace dfc::model
