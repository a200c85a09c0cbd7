#include "ports.hpp"

#include <algorithm>
#include <cmath>

#include "blocks.hpp"
#include "card.hpp"
#include "dfc/hal/card_map.hpp"

namespace dfc::model {

uint64_t wire_ps(const Packet& p, double bps) {
  size_t frame = p.data.size() + 4 + (p.link == LinkType::Ethernet ? 0 : 14);
  if (frame < 64) frame = 64;
  return static_cast<uint64_t>(std::llround(double(frame + 20) * 8.0 / bps * 1e12));
}

namespace {
void prepare(tlm::tlm_generic_payload& gp, std::vector<unsigned char>& scratch, tlm::tlm_command cmd, uint64_t addr,
             uint32_t bytes) {
  if (scratch.size() < bytes) scratch.resize(bytes);
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(scratch.data());
  gp.set_data_length(bytes);
  gp.set_streaming_width(bytes);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}
}  // namespace

// ---------------------------------------------------------------------------------------
IngressPort::IngressPort(sc_core::sc_module_name n, const CardProfile& p, IngressSource& src, CardStats& st)
    : sc_module(n), src_(src), st_(st), bps_(p.ingress_bps) {}

IngressPort::Pull IngressPort::pull(Packet& p, uint64_t next_timer_ps, uint64_t& idle_until) {
  const IngressSource::Next got = src_.next(p, next_timer_ps, idle_until);
  if (got == IngressSource::Next::End) return Pull::End;
  if (got == IngressSource::Next::Idle) return Pull::Idle;
  // The MAC cannot deliver faster than its line rate (monitored unit only; DTCP arrives on
  // the control unit's own interface).
  uint64_t arrive = p.t_arrival_ps;
  if (p.unit == Unit::Monitor) {
    const uint64_t w = wire_ps(p, bps_);
    arrive = std::max(arrive, mac_free_ps_ + w);
    mac_free_ps_ = arrive;
    busy_ps_ += w;
    if (st_.monitor_offered++ == 0) st_.monitor_first_arrival_ps = arrive;
    st_.monitor_last_arrival_ps = arrive;
  }
  p.t_arrival_ps = arrive;
  if (first_) st_.first_arrival_ps = arrive, first_ = false;
  st_.last_arrival_ps = arrive;
  ++st_.ingress_packets;
  st_.ingress_bytes += p.data.size();
  return Pull::Packet;
}

// ---------------------------------------------------------------------------------------
IngressDma::IngressDma(sc_core::sc_module_name n, const CardProfile& p, IngressPort& port, CardStats& st)
    : sc_module(n), socket("socket"), port_(port), st_(st), capacity_(p.ingress_buffer_packets),
      desc_bytes_(static_cast<uint64_t>(p.descriptor_bytes)) {
  gp_.set_extension(new InitiatorId(kDmaInitiator));
}

void IngressDma::dma(uint64_t addr, uint32_t bytes, uint64_t t) {
  if (bytes == 0) return;
  prepare(gp_, scratch_, tlm::TLM_WRITE_COMMAND, addr, bytes);
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

// ---------------------------------------------------------------------------------------
EgressDma::EgressDma(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
  gp_.set_extension(new InitiatorId(kDmaInitiator));
}

uint64_t EgressDma::fetch(uint64_t addr, uint32_t bytes, uint64_t t) {
  prepare(gp_, scratch_, tlm::TLM_READ_COMMAND, addr, bytes);
  const uint64_t now = now_ps();
  const uint64_t from = std::max(t, now);
  sc_core::sc_time d = sc_core::sc_time::from_value(from - now);
  socket->b_transport(gp_, d);
  return now + d.value();
}

// ---------------------------------------------------------------------------------------
EgressPort::EgressPort(sc_core::sc_module_name n, const CardProfile& p)
    : sc_module(n), bps_(p.egress_bps), capacity_(p.egress_queue_packets) {}

void EgressPort::set_wave(WaveRecorder* w) {
  wave_ = w;
  if (!w) return;
  w_depth_ = w->add("card.egress", "queue_depth", WaveRecorder::Kind::Count);
  w_busy_ = w->add("card.egress", "busy", WaveRecorder::Kind::Busy);
}

size_t EgressPort::queued_at(uint64_t t) {
  while (!starts_.empty() && starts_.front() <= t) starts_.pop_front();
  return starts_.size();
}

bool EgressPort::enqueue(const Packet& p, uint64_t t, uint64_t ready_ps, uint64_t& depart_ps) {
  if (queued_at(t) >= capacity_) return false;
  const uint64_t start = std::max(ready_ps, free_ps_);
  const uint64_t w = wire_ps(p, bps_);
  free_ps_ = start + w;
  busy_ps_ += w;
  starts_.push_back(start);
  depart_ps = free_ps_;
  if (wave_) wave_->interval(w_depth_, t, start), wave_->interval(w_busy_, start, free_ps_);
  return true;
}

}  // namespace dfc::model
