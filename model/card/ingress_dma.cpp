#include "ingress_dma.hpp"

#include "ingress_common.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "dfc/hal/card_map.hpp"
#include "wave.hpp"

namespace dfc::model {

IngressDma::IngressDma(sc_core::sc_module_name n, const CardProfile& p, IngressPort& port, CardStats& st,
                       unsigned contexts, unsigned control_ctx, Distribution dist)
    : sc_module(n), socket("socket"), mem_port("mem_port"), port_(port), st_(st), capacity_(p.ingress_buffer_packets),
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
    insert_in_arrival_order(staged_, std::move(s));  // ingress_common.hpp: why
  }
}

void IngressDma::count_drop(const Packet& p, const char* why) {
  count_ingress_drop(st_, p, why);
  if (on_drop) on_drop(p, why);
}

void IngressDma::admit_one(Staged& s) {
  Packet& p = s.p;
  admitted_ps_ = p.t_arrival_ps;
  std::deque<Packet>& ring = rings_[s.ctx];
  const char* drop = nullptr;
  if (in_use_ >= capacity_)
    drop = "ingress_buffer_full";  // every receive buffer holds a packet
  else if (s.ctx != control_ctx_ && ring.size() >= ring_entries_)
    drop = "rx_ring_full";  // its thread has not taken the ring's packets
  if (drop) {
    count_drop(p, drop);
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
      if (on_arrival) on_arrival(staged_.front().p);
      if (driver_)
        admit_to_ring(staged_.front());
      else
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

// ---- Driver mode: the rings in descriptor memory, shared with the firmware's driver ----

namespace dfc::model {

void IngressDma::set_driver(const fw::DriverOptions& o) {
  driver_ = o.enabled;
  dopt_ = o;
  consumer_.assign(rings_.size(), 0);
  desc_times_.assign(rings_.size(), {});
}

uint32_t IngressDma::read32(uint64_t addr, uint64_t t) {
  uint32_t v = 0;
  prepare_payload(gp_, tlm::TLM_READ_COMMAND, addr, reinterpret_cast<unsigned char*>(&v), 4);
  const uint64_t now = now_ps();
  sc_core::sc_time d = sc_core::sc_time::from_value(t > now ? t - now : 0);
  mem_port->b_transport(gp_, d);
  return v;
}

void IngressDma::write32(uint64_t addr, uint32_t v, uint64_t t) {
  prepare_payload(gp_, tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<unsigned char*>(&v), 4);
  const uint64_t now = now_ps();
  sc_core::sc_time d = sc_core::sc_time::from_value(t > now ? t - now : 0);
  socket->b_transport(gp_, d);
}

void IngressDma::admit_to_ring(Staged& s) {
  Packet& p = s.p;
  const uint64_t t = p.t_arrival_ps;
  const unsigned ctx = s.ctx;
  // The slot at the ring's tail must be back from the firmware (ownership clear), and the
  // thread's free-buffer ring must hold a buffer it posted by now.
  const uint32_t slot = static_cast<uint32_t>(tail_[ctx] % dopt_.rx_ring_entries);
  const uint64_t desc = fw::ring::rx_desc(ctx, slot);
  const char* drop = nullptr;
  // The ring is full when the slot is still the firmware's, or when the DMA's own descriptors
  // not taken yet fill it: those of a burst arriving together land after their arrival time
  // (they cross the interconnect), so the slot's ownership read at the arrival cannot show them,
  // and without the count a burst longer than the ring overwrote descriptors the driver never
  // saw (their frames then waited for ever, and the thread polled for them at every step).
  const bool own = (read32(desc + 4, t) & cardmap::RX_DESC_OWN) != 0;
  if (own || desc_times_[ctx].size() >= dopt_.rx_ring_entries)
    drop = "rx_ring_full";
  else if (consumer_[ctx] == read32(fw::ring::free_producer(ctx), t))
    drop = "ingress_buffer_full";
  if (drop) {
    count_drop(p, drop);
    return;
  }
  const uint32_t offset = read32(fw::ring::free_entry(ctx, consumer_[ctx]++), t);
  p.buf_addr = cardmap::PKT_MEM_BASE + offset;
  const uint32_t len = static_cast<uint32_t>(std::min<size_t>(p.data.size(), cardmap::PKT_BUF_BYTES));
  dma(p.buf_addr, len, t);
  write32(desc, offset, t);
  write32(desc + 8, dist_.hash(p), t);
  write32(desc + 4, (len & cardmap::RX_DESC_LEN) | cardmap::RX_DESC_OWN | (p.unit == Unit::Control ? cardmap::RX_DESC_CONTROL : 0u), t);
  ++tail_[ctx];
  if (wave_) wave_->step(p.unit == Unit::Control ? w_ctl_ : w_ring_, t, +1);
  desc_times_[ctx].push_back(t);
  ++in_use_;
  st_.ingress_buffer_peak = std::max(st_.ingress_buffer_peak, in_use_);
  frames_[p.buf_addr] = std::move(p);
}

IngressDma::Take IngressDma::advance(unsigned ctx, uint64_t t, uint64_t next_timer_ps, uint64_t& until) {
  if (pace) pace(t);
  admit(t, next_timer_ps);
  const std::deque<uint64_t>& d = desc_times_[ctx];
  if (!d.empty() && d.front() <= t) return Take::Packet;
  until = UINT64_MAX;
  if (!d.empty()) until = d.front();  // admitted by a thread ahead of this one
  // The next staged packet for this ring; if none is staged, the last staged arrival (more are
  // pulled then): a thread does not wake for other threads' packets.
  if (!staged_.empty()) {
    uint64_t next = staged_.back().p.t_arrival_ps;
    for (const Staged& s : staged_)
      if (s.ctx == ctx) {
        next = s.p.t_arrival_ps;
        break;
      }
    until = std::min(until, next);
  }
  if (until != UINT64_MAX) return Take::Wait;
  if (end_) return Take::End;
  until = idle_until_;
  return Take::Wait;
}

bool IngressDma::take_frame(unsigned ctx, uint64_t buf_addr, Packet& into, uint64_t t) {
  auto it = frames_.find(buf_addr);
  if (it == frames_.end()) return false;
  into = std::move(it->second);
  frames_.erase(it);
  if (!desc_times_[ctx].empty()) desc_times_[ctx].pop_front();
  --in_use_;
  if (wave_) wave_->step(into.unit == Unit::Control ? w_ctl_ : w_ring_, t, -1);
  return true;
}

}  // namespace dfc::model
