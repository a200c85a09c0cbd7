// The fast card's event loop, ingress (MAC, distribution, DMA into the driver's rings) and
// egress (transmit ring, DMA, MAC). The HAL and its pricing are in fast_hal.cpp.
#include "fast_card.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "block.hpp"
#include "ingress_common.hpp"
#include "dfc/hal/card_map.hpp"

namespace dfc::fast {

namespace {
constexpr uint64_t kNever = UINT64_MAX;
// How many packets the ingress pulls from the source ahead of their arrival (as the timing
// card's DMA: an idle thread then sleeps until the next packet for its own ring).
constexpr size_t kLookahead = 64;
}  // namespace

model::Distribution FastCard::make_distribution() const { return model::Distribution::of_profile(prof_); }

void FastCard::build_threads() {
  const unsigned ncores = std::max(1u, prof_.cores), tpc = std::max(1u, prof_.threads_per_core);
  const auto& targets = dist_.targets();
  const bool data_on_control = targets.front() < tpc;
  auto is_target = [&](unsigned ctx) { return std::find(targets.begin(), targets.end(), ctx) != targets.end(); };
  for (unsigned c = 0; c < ncores; ++c) {
    Core core;
    core.l1 = model::Cache(static_cast<uint64_t>(prof_.l1_bytes), static_cast<unsigned>(prof_.l1_line),
                           static_cast<unsigned>(prof_.l1_ways));
    core.shared = tpc > 1;
    core.role = c < prof_.control_cores ? "control" : is_target(c * tpc) ? "data" : "user";
    cores_.push_back(std::move(core));
    for (unsigned t = 0; t < tpc; ++t) {
      Thread th;
      th.ctx = c * tpc + t, th.core = c;
      if (c < prof_.control_cores)
        th.role = t == 0 ? Role::Control : data_on_control && c == 0 ? Role::Data : Role::Idle;
      else if (is_target(c * tpc))
        th.role = Role::Data;
      threads_.push_back(std::move(th));
    }
  }
}

void FastCard::set_realtime(bool on, uint64_t max_lag_ps) {
  realtime_ = on;
  pacer_.set_max_lag(max_lag_ps);
}

void FastCard::stage() {
  // A live source blocks until each packet is due: one ahead, or the card would wait in the
  // source for packets it does not need yet while earlier ones sit unprocessed.
  const size_t lookahead = realtime_ ? 1 : kLookahead;
  while (!src_end_ && staged_.size() < lookahead && idle_until_ <= floor_ps_) {
    Staged s;
    uint64_t idle = 0;
    const model::IngressSource::Next r = src_.next(s.p, timer_at_ps_, idle);
    if (r == model::IngressSource::Next::End) {
      src_end_ = true;
      return;
    }
    if (r == model::IngressSource::Next::Idle) {
      idle_until_ = std::max(idle, floor_ps_ + 1);
      return;
    }
    // The MAC: a monitored frame cannot arrive before the previous one was received at the
    // line rate; DTCP arrives on its own interface (IngressPort::pull).
    Packet& p = s.p;
    if (p.unit == Unit::Monitor) {
      const uint64_t w = model::wire_ps(p, prof_.ingress_bps);
      p.t_arrival_ps = std::max(p.t_arrival_ps, mac_free_ps_ + w);
      mac_free_ps_ = p.t_arrival_ps;
      ingress_busy_ps_ += w;
      if (stats_.monitor_offered++ == 0) stats_.monitor_first_arrival_ps = p.t_arrival_ps;
      stats_.monitor_last_arrival_ps = p.t_arrival_ps;
    }
    if (stats_.ingress_packets == 0) stats_.first_arrival_ps = p.t_arrival_ps;
    stats_.last_arrival_ps = p.t_arrival_ps;
    ++stats_.ingress_packets;
    stats_.ingress_bytes += p.data.size();
    s.hash = dist_.hash(p);
    s.ctx = p.unit == Unit::Control ? threads_.front().ctx : dist_.target(s.hash);
    // In arrival order (a DTCP request can arrive before a backlogged frame pulled earlier).
    model::insert_in_arrival_order(staged_, std::move(s));
  }
}

void FastCard::count_drop(const Packet& p, const char* why) {
  model::count_ingress_drop(stats_, p, why);
  if (on_drop_) on_drop_(p, why);
}

void FastCard::admit(Staged& s) {
  Packet& p = s.p;
  const uint64_t t = p.t_arrival_ps;
  Thread& th = threads_[s.ctx];
  if (on_arrival_) on_arrival_(p);
  // The driver's rings (IngressDma::admit_to_ring): the slot at the ring's tail must be back from
  // the firmware, and the thread's free-buffer ring must hold a buffer it posted.
  const uint64_t desc = fw::ring::rx_desc(th.ctx, static_cast<uint32_t>(th.tail % dopt_.rx_ring_entries));
  sram_.occupy(t, 8);  // the DMA's two ring-state reads, on its own SRAM port
  const char* drop = nullptr;
  if (word(desc + 4) & cardmap::RX_DESC_OWN)
    drop = "rx_ring_full";
  else if (th.consumer == word(fw::ring::free_producer(th.ctx)))
    drop = "ingress_buffer_full";
  if (drop) {
    count_drop(p, drop);
    return;
  }
  const uint32_t offset = word(fw::ring::free_entry(th.ctx, static_cast<uint32_t>(th.consumer++)));
  sram_.occupy(t, 4);
  p.buf_addr = cardmap::PKT_MEM_BASE + offset;
  const uint32_t len = static_cast<uint32_t>(std::min<size_t>(p.data.size(), cardmap::PKT_BUF_BYTES));
  access(p.buf_addr, len, true, t, -1);
  for (uint64_t off : {0u, 8u, 4u}) access(desc + off, 4, true, t, -1);
  word(desc) = offset;
  word(desc + 8) = s.hash;
  word(desc + 4) = (len & cardmap::RX_DESC_LEN) | cardmap::RX_DESC_OWN | (p.unit == Unit::Control ? cardmap::RX_DESC_CONTROL : 0u);
  ++th.tail;
  th.desc_times.push_back(t);
  ++in_use_;
  stats_.ingress_buffer_peak = std::max(stats_.ingress_buffer_peak, in_use_);
  if (offset % cardmap::PKT_BUF_BYTES != 0)  // the frames are kept by buffer index
    throw std::logic_error("fast card: the firmware posted receive buffer offset " + std::to_string(offset) +
                           ", not a multiple of the buffer size " + std::to_string(cardmap::PKT_BUF_BYTES));
  const size_t slot = offset / cardmap::PKT_BUF_BYTES;
  if (slot >= frames_.size()) frames_.resize(slot + 1), held_.resize(slot + 1, 0);
  frames_[slot] = std::move(p);
  held_[slot] = 1;
}

uint64_t FastCard::ready_at(const Thread& th) const {
  if (th.role == Role::Idle) return kNever;
  uint64_t t = th.desc_times.empty() ? kNever : std::max(th.clock, th.desc_times.front());
  if (th.role == Role::Control && timer_at_ps_ != kNever) {
    // After the traffic, timers fire until the drain time has passed (the rest: finish()).
    const bool traffic_over = src_end_ && staged_.empty();
    if (!traffic_over || timer_at_ps_ <= stats_.last_arrival_ps + drain_ps_) t = std::min(t, std::max(th.clock, timer_at_ps_));
  }
  return t;
}

void FastCard::apply_writes(uint64_t t) {
  while (!pending_.empty() && pending_.top().t <= t) {
    word(pending_.top().addr) = pending_.top().v;
    pending_.pop();
  }
}

void FastCard::run() {
  stage();
  while (!stop_) {
    Thread* best = nullptr;
    uint64_t bt = kNever;
    for (Thread& th : threads_) {
      const uint64_t t = ready_at(th);
      if (t < bt) bt = t, best = &th;
    }
    uint64_t ta = staged_.empty() ? kNever : staged_.front().p.t_arrival_ps;
    if (staged_.empty() && !src_end_) ta = idle_until_;  // a live source said: nothing before then
    if (ta != kNever && ta <= bt) {
      floor_ps_ = std::max(floor_ps_, ta);
      apply_writes(ta);
      if (realtime_) pacer_.pace(ta, stats_);
      if (!staged_.empty() && staged_.front().p.t_arrival_ps <= ta) {
        admit(staged_.front());
        staged_.pop_front();
      }
      stage();
      continue;
    }
    if (!best) break;
    floor_ps_ = std::max(floor_ps_, bt);
    step(*best, bt);
  }
  finish();
}

void FastCard::step(Thread& th, uint64_t t) {
  cur_ = &th;
  th.clock = std::max(th.clock, t);
  apply_writes(th.clock);
  if (th.role == Role::Control && timer_at_ps_ <= th.clock) {
    run_timer(th);
    idle_loop(th);
    return;
  }
  poll(th);
}

void FastCard::poll(Thread& th) {
  const uint64_t start = th.clock;
  th.have_frame = false;
  const bool took = fw_->on_poll();
  const uint64_t end = th.clock;
  if (th.have_frame) {
    if (th.frame.unit == Unit::Monitor) stats_.monitor_last_done_ps = std::max(stats_.monitor_last_done_ps, end);
    if (on_done_) on_done_(th.frame, start, end);
  }
  // The ring had a descriptor for it: a poll that took none looks again a little later (as
  // the timing card's thread does) rather than at the same time; one that never takes it would
  // keep the thread busy forever, so that is an error, not a hang.
  if (took) {
    th.missed_polls = 0;
  } else {
    th.clock = end + 1;
    if (++th.missed_polls > 1'000'000)
      throw std::logic_error("fast card: context " + std::to_string(th.ctx) +
                             "'s receive ring holds a descriptor that its firmware's poll never takes");
  }
  fw_->on_idle();  // the loop's housekeeping between packets
  if (th.desc_times.empty()) idle_loop(th);
}

void FastCard::idle_loop(Thread& th) {
  // Background work (deferred transmits) until there is none, then the thread sleeps.
  for (unsigned n = 0; fw_->on_idle(); ++n)
    if (n > 10'000'000)
      throw std::logic_error("fast card: the firmware's idle work on context " + std::to_string(th.ctx) +
                             " never ends (on_idle keeps returning true)");
}

void FastCard::run_timer(Thread& /*th*/) {
  timer_at_ps_ = kNever;
  ++stats_.timer_events;
  fw_->on_timer();
}

void FastCard::finish() {
  Thread& ctl = threads_.front();
  uint64_t busy_until = ctl.clock;
  for (const Thread& th : threads_) busy_until = std::max(busy_until, th.clock);
  const uint64_t end = std::max({stats_.last_arrival_ps + drain_ps_, busy_until, eg_free_ps_});
  while (!stop_ && timer_at_ps_ != kNever && timer_at_ps_ <= end) {
    floor_ps_ = std::max(floor_ps_, timer_at_ps_);
    step(ctl, timer_at_ps_);
  }
  stats_.end_ps = std::max({end, ctl.clock, eg_free_ps_});
  floor_ps_ = stats_.end_ps;
}

bool FastCard::transmit(Packet&& p) {
  const uint64_t t = cur_->clock;
  if (p.unit == Unit::Control) {
    ++stats_.control_sent;
    if (on_control_) on_control_(p, t);
    return true;
  }
  // The copy names its transmit buffer, whose slot gives the descriptor the egress DMA reads
  // first and hands back (ownership cleared) when the copy has left the MAC.
  const uint64_t addr = p.buf_addr;
  const uint32_t n = dopt_.tx_ring_entries;
  const uint64_t i = (addr - cardmap::TX_BUF_BASE) / cardmap::TX_BUF_BYTES;
  const uint64_t desc = fw::ring::tx_desc(static_cast<unsigned>(i / n), static_cast<uint32_t>(i % n));
  while (!eg_starts_.empty() && eg_starts_.front() <= t) eg_starts_.pop_front();
  if (eg_starts_.size() >= prof_.egress_queue_packets) {
    ++stats_.egress_dropped_queue;
    if (on_copy_drop_) on_copy_drop_(p, "egress_queue_full");
    return false;
  }
  const uint64_t fetched = access(desc, static_cast<uint32_t>(cardmap::TX_DESC_BYTES), false, t, -1);
  const uint64_t ready = access(addr, static_cast<uint32_t>(p.data.size()), false, fetched, -1);
  const uint64_t start = std::max(ready, eg_free_ps_);
  const uint64_t w = model::wire_ps(p, prof_.egress_bps);
  eg_free_ps_ = start + w;
  eg_busy_ps_ += w;
  eg_starts_.push_back(start);
  const uint64_t depart = eg_free_ps_;
  pending_.push({depart, desc + 4, 0});
  ++stats_.egress_copies;
  stats_.egress_bytes += p.data.size();
  stats_.egress_last_depart_ps = std::max(stats_.egress_last_depart_ps, depart);
  if (on_copy_) on_copy_(p, depart);
  return true;
}

}  // namespace dfc::fast
