#include "ingress_dma.hpp"

#include <algorithm>

#include "dfc/hal/card_map.hpp"
#include "wave.hpp"

namespace dfc::model {

IngressDma::IngressDma(sc_core::sc_module_name n, const CardProfile& p, IngressPort& port, CardStats& st)
    : sc_module(n), socket("socket"), port_(port), st_(st), capacity_(p.ingress_buffer_packets),
      desc_bytes_(static_cast<uint64_t>(p.descriptor_bytes)) {
  gp_.set_extension(new InitiatorId(kDmaInitiator));
}

void IngressDma::dma(uint64_t addr, uint32_t bytes, uint64_t t) {
  if (bytes == 0) return;
  prepare_payload(gp_, scratch_, tlm::TLM_WRITE_COMMAND, addr, bytes);
  const uint64_t now = now_ps();
  sc_core::sc_time d = sc_core::sc_time::from_value(t > now ? t - now : 0);
  socket->b_transport(gp_, d);
}

void IngressDma::admit(uint64_t t, uint64_t next_timer_ps) {
  for (;;) {
    if (!have_pending_) {
      if (end_ || idle_until_ > t) return;
      uint64_t idle = 0;
      const IngressPort::Pull r = port_.pull(pending_, next_timer_ps, idle);
      if (r == IngressPort::Pull::End) {
        end_ = true;
        return;
      }
      if (r == IngressPort::Pull::Idle) {
        idle_until_ = std::max(idle, t + 1);
        return;
      }
      have_pending_ = true;
    }
    if (pending_.t_arrival_ps > t) return;
    have_pending_ = false;
    admitted_ps_ = pending_.t_arrival_ps;
    if (ring_.size() + ctl_ring_.size() >= capacity_) {  // every receive buffer holds a packet no core took yet
      ++st_.ingress_dropped_buffer;
      if (on_drop) on_drop(pending_, "ingress_buffer_full");
      continue;
    }
    // One buffer slot per ring entry: the frame goes to packet memory, then its descriptor.
    const uint64_t slot = slot_++ % std::max<size_t>(capacity_, 1);
    pending_.buf_addr = cardmap::PKT_MEM_BASE + slot * cardmap::PKT_BUF_BYTES;
    dma(pending_.buf_addr, static_cast<uint32_t>(std::min<size_t>(pending_.data.size(), cardmap::PKT_BUF_BYTES)),
        pending_.t_arrival_ps);
    dma(cardmap::RX_RING_BASE + slot * desc_bytes_, static_cast<uint32_t>(desc_bytes_), pending_.t_arrival_ps);
    if (wave_) wave_->step(pending_.unit == Unit::Control ? w_ctl_ : w_ring_, pending_.t_arrival_ps, +1);
    (pending_.unit == Unit::Control ? ctl_ring_ : ring_).push_back(std::move(pending_));
    st_.ingress_buffer_peak = std::max(st_.ingress_buffer_peak, ring_.size() + ctl_ring_.size());
  }
}

void IngressDma::set_wave(WaveRecorder* w) {
  wave_ = w;
  if (!w) return;
  w_ring_ = w->add("card.ingress", "ring_depth", WaveRecorder::Kind::Count);
  w_ctl_ = w->add("card.ingress", "ctl_ring_depth", WaveRecorder::Kind::Count);
}

IngressDma::Take IngressDma::take(unsigned core, uint64_t t, uint64_t next_timer_ps, Packet& out, uint64_t& until) {
  if (pace) pace(t);
  admit(t, next_timer_ps);
  // Core 0 (the control core) takes the older of the two ring heads; the others only data.
  std::deque<Packet>* from = ring_.empty() ? nullptr : &ring_;
  if (core == 0 && !ctl_ring_.empty() && (!from || ctl_ring_.front().t_arrival_ps <= ring_.front().t_arrival_ps))
    from = &ctl_ring_;
  if (from) {
    if (wave_) wave_->step(from == &ctl_ring_ ? w_ctl_ : w_ring_, t, -1);
    out = std::move(from->front());
    from->pop_front();
    return Take::Packet;
  }
  if (have_pending_) {
    until = pending_.t_arrival_ps;
    return Take::Wait;
  }
  if (end_ && (core != 0 || ctl_ring_.empty())) return Take::End;
  until = idle_until_;
  return Take::Wait;
}

}  // namespace dfc::model
