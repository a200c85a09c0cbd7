// IngressDma: writes each frame the IngressPort delivers into a packet-memory buffer and its
// descriptor into the receive ring of the firmware context (hardware thread) that will handle
// it, both as TLM writes through the interconnect (docs/model.md §1). The Distribution block
// picks a monitored packet's data thread by its flow hash (profile key hash_key); DTCP frames
// (unit 0) go to the control thread's ring. A packet whose ring is full (rx_ring_entries not
// yet taken) or that finds every receive buffer of the card in use (ingress_buffer_packets) is
// dropped. The control ring has an entry per receive buffer: DTCP is only ever dropped when
// the whole pool is in use, so a burst of requests queues behind a slow control thread (the
// sources retransmit only after seconds) rather than being lost to a data-sized ring.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <deque>
#include <unordered_map>
#include <functional>
#include <vector>

#include "block.hpp"
#include "card_stats.hpp"
#include "dfc/fw/driver.hpp"
#include "distribution.hpp"
#include "ingress_port.hpp"
#include "profile.hpp"

namespace dfc::model {

class IngressDma : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_initiator_socket<IngressDma> socket;
  // Its own port on packet memory (MemorySubsystem::dma_port): ring-state reads.
  tlm_utils::simple_initiator_socket<IngressDma> mem_port;
  // contexts: firmware contexts of the card; control_ctx takes DTCP; dist picks the data
  // thread of each monitored packet.
  IngressDma(sc_core::sc_module_name n, const CardProfile& p, IngressPort& port, CardStats& st, unsigned contexts,
             unsigned control_ctx, Distribution dist);
  enum class Take { Packet, Wait, End };
  // Context `ctx` at local time t asks for its next packet: Packet (out, start at t), Wait
  // (nothing for it has arrived by t; look again at `until`), or End (no more traffic for it).
  // The control context's ring is the only one that holds DTCP, so requests are handled one at
  // a time, in arrival order, as the protocol's Seq window assumes (docs/model.md §6).
  Take take(unsigned ctx, uint64_t t, uint64_t next_timer_ps, Packet& out, uint64_t& until);
  std::function<void(const Packet&, const char*)> on_drop;
  // Called for every packet as it is admitted (at its arrival, in arrival order, before a drop):
  // what a host that observes arrivals must use when the DMA pulls ahead of them.
  std::function<void(const Packet&)> on_arrival;
  // Real-time pacing (`dfcsim serve`): called with t before the source is asked.
  std::function<void(uint64_t)> pace;
  // How many packets the DMA may pull from the port ahead of their arrival, so that an idle
  // thread can sleep until the next packet for its own ring instead of waking at every
  // arrival. 1 for live sources (pulling ahead would block on the wall clock).
  void set_lookahead(size_t n) { lookahead_ = std::max<size_t>(n, 1); }
  // Waveform (null: off): ring_depth (all data rings) and ctl_ring_depth.
  void set_wave(WaveRecorder* w) override;
  // Every packet admitted from now on arrived at or after this time (arrivals are in order).
  uint64_t admitted_until_ps() const { return admitted_ps_; }
  size_t buffers_in_use() const { return in_use_; }  // receive buffers the rings hold now
  const Distribution& distribution() const { return dist_; }

  // The firmware's driver owns the rings (docs/firmware-driver.md): from now on a frame goes
  // into a buffer taken from its thread's free-buffer ring and its descriptor is written with
  // values (ownership last) through the interconnect, all read and written at the frame's
  // arrival time; the frame is then the firmware's to take (take_frame).
  void set_driver(const fw::DriverOptions& o);
  bool driver() const { return driver_; }
  const fw::DriverOptions& driver_options() const { return dopt_; }
  // Driver mode: context `ctx` at local time t. Packet when a descriptor written into its ring
  // at or before t has not been taken yet (the thread should poll), End when no more will
  // come, else Wait (look again at `until`): a thread sleeps until its ring gets a frame, as a
  // hardware thread waits on its message ring.
  Take advance(unsigned ctx, uint64_t t, uint64_t next_timer_ps, uint64_t& until);
  // The frame in the receive buffer at buf_addr, moved into `into` (false: none there), and
  // the descriptor of `ctx` it came with is taken.
  bool take_frame(unsigned ctx, uint64_t buf_addr, Packet& into, uint64_t t);

 private:
  struct Staged {
    Packet p;
    unsigned ctx;
  };
  void stage(uint64_t t, uint64_t next_timer_ps);
  void admit(uint64_t t, uint64_t next_timer_ps);
  void admit_one(Staged& s);
  // A frame dropped at admission: counted by unit and reason (CardStats), then on_drop.
  void count_drop(const Packet& p, const char* why);
  void dma(uint64_t addr, uint32_t bytes, uint64_t t);
  // Driver mode: one descriptor-memory word through the interconnect at time t.
  uint32_t read32(uint64_t addr, uint64_t t);
  void write32(uint64_t addr, uint32_t v, uint64_t t);
  void admit_to_ring(Staged& s);
  IngressPort& port_;
  CardStats& st_;
  size_t capacity_, ring_entries_, lookahead_ = 64;
  uint64_t desc_bytes_;
  unsigned control_ctx_;
  Distribution dist_;
  std::vector<std::deque<Packet>> rings_;  // per context
  std::vector<uint64_t> tail_;             // per context: descriptors ever written (producer index)
  std::deque<Staged> staged_;             // pulled from the port, not yet arrived
  size_t in_use_ = 0;                     // buffers held by the rings
  bool driver_ = false;
  fw::DriverOptions dopt_;
  std::vector<uint64_t> consumer_;                // per context: free-ring entries taken
  std::vector<std::deque<uint64_t>> desc_times_;  // per context: arrival times of untaken descriptors
  std::unordered_map<uint64_t, Packet> frames_;   // receive buffer address -> the frame in it
  bool end_ = false;
  uint64_t idle_until_ = 0, slot_ = 0, admitted_ps_ = 0;
  WaveRecorder* wave_ = nullptr;
  int w_ring_ = 0, w_ctl_ = 0;
  tlm::tlm_generic_payload gp_;
  std::vector<unsigned char> scratch_;
};

}  // namespace dfc::model
