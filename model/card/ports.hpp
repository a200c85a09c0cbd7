// The card's ingress and egress blocks (docs/model.md §2):
//   IngressPort - unit 1/unit 0 MAC: line-rate serialisation (frame + preamble/SFD + IFG)
//   IngressDma  - writes each frame into a packet-memory buffer, posts its descriptor on the
//                 receive ring that the cores poll; a full ring drops the packet
//   EgressDma   - reads a copy out of packet memory when a core queues it
//   EgressPort  - unit 2 MAC: finite transmit queue, line-rate serialisation
// The ingress is pulled: a core asking for work at its local time t admits every arrival up
// to t (no SystemC process and no thread switch per packet).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <chrono>
#include <deque>
#include <functional>

#include "dfc/hal/packet.hpp"
#include "profile.hpp"
#include "wave.hpp"

namespace dfc::model {

class IngressSource;
struct CardStats;

// Wire time of a packet on an Ethernet link: the frame (padded to 64 bytes, FCS included;
// raw-IP packets get a 14-byte Ethernet header) plus preamble+SFD (8) and the minimum IFG (12).
uint64_t wire_ps(const Packet& p, double bps);

class IngressPort : public sc_core::sc_module {
 public:
  IngressPort(sc_core::sc_module_name n, const CardProfile& p, IngressSource& src, CardStats& st);
  enum class Pull { Packet, Idle, End };
  // The next packet from the testbench with its MAC arrival time in t_arrival_ps.
  Pull pull(Packet& out, uint64_t next_timer_ps, uint64_t& idle_until_ps);
  uint64_t busy_ps() const { return busy_ps_; }

 private:
  IngressSource& src_;
  CardStats& st_;
  double bps_;
  uint64_t mac_free_ps_ = 0, busy_ps_ = 0;
  bool first_ = true;
};

class IngressDma : public sc_core::sc_module {
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
  void set_wave(WaveRecorder* w);
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

class EgressPort;
class EgressDma : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<EgressDma> socket;
  EgressDma(sc_core::sc_module_name n);
  // Reads `bytes` of a copy at addr starting at t; returns when the last byte is read.
  uint64_t fetch(uint64_t addr, uint32_t bytes, uint64_t t);

 private:
  tlm::tlm_generic_payload gp_;
  std::vector<unsigned char> scratch_;
};

class EgressPort : public sc_core::sc_module {
 public:
  EgressPort(sc_core::sc_module_name n, const CardProfile& p);
  // A copy queued at t and readable from ready_ps: false when the transmit queue is full;
  // else `depart_ps` is the end of its serialisation.
  bool enqueue(const Packet& p, uint64_t t, uint64_t ready_ps, uint64_t& depart_ps);
  uint64_t free_ps() const { return free_ps_; }
  uint64_t busy_ps() const { return busy_ps_; }
  size_t queued_at(uint64_t t);
  // Waveform (null: off): queue_depth (queued, not yet on the wire) and busy (serialising).
  void set_wave(WaveRecorder* w);

 private:
  double bps_;
  size_t capacity_;
  std::deque<uint64_t> starts_;  // service start times of queued copies
  uint64_t free_ps_ = 0, busy_ps_ = 0;
  WaveRecorder* wave_ = nullptr;
  int w_depth_ = 0, w_busy_ = 0;
};

}  // namespace dfc::model
