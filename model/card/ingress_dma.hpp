// IngressDma: writes each frame the IngressPort delivers into a packet-memory buffer and its
// descriptor into the receive ring that the cores poll, both as TLM writes through the
// interconnect (docs/model.md §1). A packet that finds every receive buffer taken is dropped.
// Control frames (unit 0) have their own ring, which only core 0 serves.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <deque>
#include <functional>
#include <vector>

#include "block.hpp"
#include "card_stats.hpp"
#include "ingress_port.hpp"
#include "profile.hpp"

namespace dfc::model {

class IngressDma : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_initiator_socket<IngressDma> socket;
  IngressDma(sc_core::sc_module_name n, const CardProfile& p, IngressPort& port, CardStats& st);
  enum class Take { Packet, Wait, End };
  // Core `core` at local time t asks for its next packet: Packet (out, start at t), Wait
  // (nothing has arrived by t; the next arrival or idle step is at `until`), or End.
  // Control frames (unit 0) are steered to their own ring, which only core 0 (the control
  // core, which also runs the timers) serves, oldest head first; the other cores take
  // monitored traffic only. So DTCP requests are handled one at a time, in arrival order, as
  // the protocol's Seq window assumes (docs/model.md §6). Both rings share the buffer pool.
  Take take(unsigned core, uint64_t t, uint64_t next_timer_ps, Packet& out, uint64_t& until);
  std::function<void(const Packet&, const char*)> on_drop;
  // Real-time pacing (`dfcsim serve`): called with t before the source is asked.
  std::function<void(uint64_t)> pace;
  // Waveform (null: off): ring_depth and ctl_ring_depth (+1 at a packet's arrival, -1 when a
  // core takes it).
  void set_wave(WaveRecorder* w) override;
  // Every packet admitted from now on arrived at or after this time (arrivals are in order).
  uint64_t admitted_until_ps() const { return admitted_ps_; }

 private:
  void admit(uint64_t t, uint64_t next_timer_ps);
  void dma(uint64_t addr, uint32_t bytes, uint64_t t);
  IngressPort& port_;
  CardStats& st_;
  size_t capacity_;
  uint64_t desc_bytes_;
  std::deque<Packet> ring_, ctl_ring_;  // monitored / control descriptors
  Packet pending_;
  bool have_pending_ = false, end_ = false;
  uint64_t idle_until_ = 0, slot_ = 0, admitted_ps_ = 0;
  WaveRecorder* wave_ = nullptr;
  int w_ring_ = 0, w_ctl_ = 0;
  tlm::tlm_generic_payload gp_;
  std::vector<unsigned char> scratch_;
};

}  // namespace dfc::model
