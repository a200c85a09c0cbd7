#include "ingress_dma.hpp"

#include <algorithm>

#include "dfc/hal/card_map.hpp"
#include "wave.hpp"

namespace dfc::model {

IngressDma::IngressDma(sc_core::sc_module_name n, const CardProfile& p, IngressPort& port, CardStats& st,
                       unsigned contexts, unsigned control_ctx, Distribution dist)
    : sc_module(n), socket("socket"), port_(port), st_(st), capacity_(p.ingress_buffer_packets),
      ring_entries_(p.rx_ring_entries), desc_bytes_(static_cast<uint64_t>(p.descriptor_bytes)),
      control_ctx_(control_ctx), dist_(std::move(dist)), rings_(contexts), tail_(contexts, 0) {
  gp_.set_extension(new InitiatorId(kDmaInitiator));
}

void IngressDma::dma(uint64_t addr, uint32_t bytes, uint64_t t) {
  if (bytes == 0) return;
  prepare_payload(gp_, scratch_, tlm::TLM_WRITE_COMMAND, addr, bytes);
  const uint64_t now = now_ps();
  sc_core::sc_time d = sc_core::sc_time::from_value(t > now ? t - now : 0);
  socket->b_transport(gp_, d);
}

void IngressDma::stage(uint64_t t, uint64_t next_timer_ps) {
  while (!end_ && staged_.size() < lookahead_ && idle_until_ <= t) {
    Staged s;
    uint64_t idle = 0;
    const IngressPort::Pull r = port_.pull(s.p, next_timer_ps, idle);
    if (r == IngressPort::Pull::End) {
      end_ = true;
      return;
    }
    if (r == IngressPort::Pull::Idle) {
      idle_until_ = std::max(idle, t + 1);
      return;
    }
    s.ctx = s.p.unit == Unit::Control ? control_ctx_ : dist_.target(dist_.hash(s.p));
    staged_.push_back(std::move(s));
  }
}

void IngressDma::admit_one(Staged& s) {
  Packet& p = s.p;
  admitted_ps_ = p.t_arrival_ps;
  std::deque<Packet>& ring = rings_[s.ctx];
  const char* drop = nullptr;
  if (in_use_ >= capacity_)
    drop = "ingress_buffer_full", ++st_.ingress_dropped_buffer;  // every receive buffer holds a packet
  else if (s.ctx != control_ctx_ && ring.size() >= ring_entries_)
    drop = "rx_ring_full", ++st_.ingress_dropped_ring;  // its thread has not taken the ring's packets
  if (drop) {
    if (on_drop) on_drop(p, drop);
    return;
  }
  // A buffer, then the frame into it, then the descriptor into the thread's ring.
  const uint64_t slot = slot_++ % std::max<size_t>(capacity_, 1);
  p.buf_addr = cardmap::PKT_MEM_BASE + slot * cardmap::PKT_BUF_BYTES;
  dma(p.buf_addr, static_cast<uint32_t>(std::min<size_t>(p.data.size(), cardmap::PKT_BUF_BYTES)), p.t_arrival_ps);
  const uint64_t entries = s.ctx == control_ctx_ ? std::max<size_t>(capacity_, 1) : ring_entries_;
  const uint64_t desc = cardmap::RX_RING_BASE + s.ctx * cardmap::RING_STRIDE + (tail_[s.ctx]++ % entries) * desc_bytes_;
  dma(desc, static_cast<uint32_t>(desc_bytes_), p.t_arrival_ps);
  if (wave_) wave_->step(p.unit == Unit::Control ? w_ctl_ : w_ring_, p.t_arrival_ps, +1);
  ring.push_back(std::move(p));
  ++in_use_;
  st_.ingress_buffer_peak = std::max(st_.ingress_buffer_peak, in_use_);
}

void IngressDma::admit(uint64_t t, uint64_t next_timer_ps) {
  for (;;) {
    stage(t, next_timer_ps);
    if (staged_.empty() || staged_.front().p.t_arrival_ps > t) return;
    while (!staged_.empty() && staged_.front().p.t_arrival_ps <= t) {
      admit_one(staged_.front());
      staged_.pop_front();
    }
  }
}

void IngressDma::set_wave(WaveRecorder* w) {
  wave_ = w;
  if (!w) return;
  w_ring_ = w->add("card.ingress", "ring_depth", WaveRecorder::Kind::Count);
  w_ctl_ = w->add("card.ingress", "ctl_ring_depth", WaveRecorder::Kind::Count);
}

IngressDma::Take IngressDma::take(unsigned ctx, uint64_t t, uint64_t next_timer_ps, Packet& out, uint64_t& until) {
  if (pace) pace(t);
  admit(t, next_timer_ps);
  std::deque<Packet>& ring = rings_[ctx];
  if (!ring.empty()) {
    if (wave_) wave_->step(ring.front().unit == Unit::Control ? w_ctl_ : w_ring_, t, -1);
    out = std::move(ring.front());
    ring.pop_front();
    --in_use_;
    return Take::Packet;
  }
  // Sleep until the next staged packet for this ring; if none is staged, until the last
  // staged arrival (more are pulled then) or the source's idle step.
  for (const Staged& s : staged_)
    if (s.ctx == ctx) {
      until = s.p.t_arrival_ps;
      return Take::Wait;
    }
  if (!staged_.empty()) {
    until = staged_.back().p.t_arrival_ps;
    return Take::Wait;
  }
  if (end_) return Take::End;
  until = idle_until_;
  return Take::Wait;
}

}  // namespace dfc::model
