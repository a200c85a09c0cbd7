#include "core.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "card.hpp"
#include "dfc/hal/card_map.hpp"

namespace dfc::model {

using sc_core::sc_time;

sc_time Core::Keeper::compute_local_quantum() {
  sc_time q = tlm_utils::tlm_quantumkeeper::compute_local_quantum();
  if (!rng || q == sc_core::SC_ZERO_TIME) return q;
  // Schedule seed: each quantum is 10..100 % of the global one, so the cores' sync points
  // (and hence their interleaving at shared state) move from run to run of different seeds.
  const double f = 0.1 + 0.9 * double((*rng)() % 1000) / 1000.0;
  return sc_time::from_value(std::max<sc_dt::uint64>(1, static_cast<sc_dt::uint64>(double(q.value()) * f)));
}

Core::Core(sc_core::sc_module_name n, unsigned id, const CardProfile& p, Card& card)
    : sc_module(n), socket("socket"), id_(id), card_(card),
      l1_(static_cast<uint64_t>(p.l1_bytes), static_cast<unsigned>(p.l1_line), static_cast<unsigned>(p.l1_ways)),
      cycle_ps_(1e12 / p.core_hz), l1_hit_cycles_(p.l1_hit_cycles),
      desc_bytes_(static_cast<uint64_t>(p.descriptor_bytes)), rng_(p.schedule_seed * 7919 + id) {
  std::copy(std::begin(p.work_cycles), std::end(p.work_cycles), work_);
  perturb_ = p.schedule_seed != 0;
  if (perturb_) qk_.rng = &rng_;
  gp_.set_extension(new InitiatorId(static_cast<int>(id)));
  SC_HAS_PROCESS(Core);
  SC_THREAD(run);
}

namespace {
// The firmware's constructor runs while SystemC elaborates: that is the card's boot, before
// time 0, so it costs no simulated time.
bool booting() { return sc_core::sc_get_status() == sc_core::SC_ELABORATION; }
}  // namespace

void Core::cycles(double n) {
  if (booting()) return;
  frac_ps_ += n * cycle_ps_;
  const double whole = std::floor(frac_ps_);
  frac_ps_ -= whole;
  qk_.inc(sc_time::from_value(static_cast<sc_dt::uint64>(whole)));
  maybe_sync();
}

void Core::sync() {
  if (booting()) return;
  qk_.sync();
  card_.cur_ = this;
}

void Core::maybe_sync() {
  if (qk_.need_sync()) sync();
}

void Core::advance_to(uint64_t t_ps) {
  if (booting()) return;
  const uint64_t now = sc_core::sc_time_stamp().value();
  if (t_ps > now + qk_.get_local_time().value()) qk_.set(sc_time::from_value(t_ps - now));
  maybe_sync();
}

void Core::transport(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, uint32_t bytes, bool posted) {
  prepare_payload(gp_, cmd, addr, data, bytes);
  const uint64_t before = sc_core::sc_time_stamp().value();
  sc_time delay = qk_.get_local_time();
  if (booting()) {
    card_.ic_.b_transport(static_cast<int>(id_), gp_, delay);  // multi-socket not bound yet
    if (gp_.is_response_error()) {
      char b[24];
      std::snprintf(b, sizeof b, "%010llx", static_cast<unsigned long long>(addr));
      throw std::runtime_error("card interconnect: " + gp_.get_response_string() + " at address 0x" + b);
    }
    return;  // boot: no simulated time
  }
  socket->b_transport(gp_, delay);
  card_.cur_ = this;  // a target may have synchronised this thread (another core ran)
  ++card_.stats_.bus_transactions;
  if (gp_.is_response_error()) {
    char b[24];
    std::snprintf(b, sizeof b, "%010llx", static_cast<unsigned long long>(addr));
    throw std::runtime_error("card interconnect: " + gp_.get_response_string() + " at address 0x" + b);
  }
  if (sc_core::sc_time_stamp().value() != before) qk_.reset();
  if (!posted) qk_.set(delay);
  // Schedule seed: extra sync points at random transactions (one in four).
  if (perturb_ && rng_() % 4 == 0) sync();
  maybe_sync();
}

void Core::mem(uint64_t addr, uint32_t bytes, bool write) {
  if (bytes == 0) return;
  if (addr < cardmap::DRAM_BASE) {
    // Packet memory: uncached (the DMA engines write it); writes are posted.
    uint32_t left = bytes;
    uint64_t a = addr;
    while (left > 0) {
      const uint32_t n = std::min<uint32_t>(left, sizeof scratch_);
      transport(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, a, scratch_, n, false);
      a += n, left -= n;
    }
    return;
  }
  // DRAM through the L1: hit costs l1.hit_cycles; a miss fills the line over the
  // interconnect from the L2 or DRAM (the core stalls); a dirty victim is written back
  // (posted: it takes interconnect and memory time but does not stall the core).
  // A read of several consecutive lines declared as one access (a sequential sweep such as
  // flow-table aging) is a stream: the core prefetches ahead, so its missing lines travel as
  // bursts of up to a DRAM page, each paying the DRAM latency once and then the DRAM
  // bandwidth per byte, instead of one full latency per line. (Pricing such a sweep at
  // latency per line made a 16 MB table sweep stall core 0 for ~18 ms, longer than any
  // real card with prefetch takes, and held its timers back by as much.)
  const uint64_t line = l1_.line();
  const uint64_t first = addr & ~(line - 1), end = addr + bytes;
  const bool stream = !write && end - first > line;
  uint64_t run_at = 0;
  uint32_t run = 0;
  auto flush = [&] {
    if (run) transport(tlm::TLM_READ_COMMAND, run_at, burst_, run, false);
    run = 0;
  };
  for (uint64_t a = first; a < end; a += line) {
    const Cache::Result r = l1_.access(a, write);
    cycles(l1_hit_cycles_);
    if (r.hit) {
      flush();
      continue;
    }
    if (r.writeback) transport(tlm::TLM_WRITE_COMMAND, r.victim, scratch_, static_cast<uint32_t>(line), true);
    if (!stream) {
      transport(tlm::TLM_READ_COMMAND, a, scratch_, static_cast<uint32_t>(line), false);
      continue;
    }
    if (run == 0) run_at = a;
    run += static_cast<uint32_t>(line);
    if (run + line > kBurstBytes) flush();
  }
  flush();
}

void Core::reg(tlm::tlm_command cmd, uint32_t addr, uint32_t* words, size_t n) {
  transport(cmd, addr, reinterpret_cast<unsigned char*>(words), static_cast<uint32_t>(n * 4), false);
}

void Core::lock_acquire(unsigned lock) {
  // Synchronise first (several cores only): the state a lock protects lives in ordinary C++
  // objects that change in the order the host runs the cores, so a core must not take the
  // lock while another one, behind it in simulated time, could still take it first. At the
  // sync point every core has reached this time, so critical sections run in simulated
  // time order and the data agrees with the timing (a decoupled core could otherwise see
  // a deletion that, in simulated time, happens after its lookup).
  if (card_.cores_.size() > 1) sync();
  uint32_t v = 0;
  reg(tlm::TLM_READ_COMMAND, cardmap::HW_SEM_BASE + 4 * lock, &v, 1);  // the semaphore register
  const uint64_t t = local_ps();
  const uint64_t before = sc_core::sc_time_stamp().value();
  const uint64_t at = card_.sems_.acquire(lock, static_cast<int>(id_), t);
  card_.cur_ = this;
  if (sc_core::sc_time_stamp().value() != before) qk_.reset();
  advance_to(at);
}

void Core::lock_release(unsigned lock) {
  uint32_t v = 0;
  reg(tlm::TLM_WRITE_COMMAND, cardmap::HW_SEM_BASE + 4 * lock, &v, 1);
  card_.sems_.release(lock, static_cast<int>(id_), local_ps());
}

void Core::set_wave(WaveRecorder* w) {
  wave_ = w;
  if (w) w_busy_ = w->add("card.core" + std::to_string(id_), "busy", WaveRecorder::Kind::Busy);
}

void Core::usage(std::vector<Usage>& out) const {
  out.push_back({"core" + std::to_string(id_), busy_ps_, Usage::Kind::Core});
}

void Core::add_stats(CardStats& st) const { st.core_busy_ps.at(id_) = busy_ps_; }

void Core::run_timer() {
  const uint64_t start = local_ps();
  if (wave_) wave_->step(w_busy_, start, +1);  // now: the handler may sync before it ends
  card_.timer_at_ps_ = UINT64_MAX;
  ++card_.stats_.timer_events;
  card_.fw_->on_timer();
  if (wave_) wave_->step(w_busy_, local_ps(), -1);
  busy_ps_ += local_ps() - start;
}

bool Core::run_idle() {
  const uint64_t start = local_ps();
  if (wave_) wave_->step(w_busy_, start, +1);
  const bool did = card_.fw_->on_idle();
  if (wave_) wave_->step(w_busy_, local_ps(), -1);
  busy_ps_ += local_ps() - start;
  return did;
}

void Core::handle(Packet& p) {
  const uint64_t start = local_ps();
  if (wave_) wave_->step(w_busy_, start, +1);
  card_.now_ps_ = std::max(card_.now_ps_, start);
  // The packet loop: read the descriptor the ingress DMA posted, then the handler.
  if (desc_bytes_ > 0)
    mem(cardmap::RX_RING_BASE + (p.buf_addr - cardmap::PKT_MEM_BASE) / cardmap::PKT_BUF_BYTES * desc_bytes_,
        static_cast<uint32_t>(desc_bytes_), false);
  if (p.unit == Unit::Control)
    ++card_.stats_.control_packets;
  else
    ++card_.stats_.monitor_packets;
  card_.fw_->on_packet(p);
  const uint64_t end = local_ps();
  if (wave_) wave_->step(w_busy_, end, -1);
  busy_ps_ += end - start;
  if (p.unit == Unit::Monitor) card_.stats_.monitor_last_done_ps = std::max(card_.stats_.monitor_last_done_ps, end);
  if (card_.on_done_) card_.on_done_(p, start, end);
  run_idle();  // the loop's housekeeping between packets, after this one is done
}

void Core::idle_core0(uint64_t until) {
  if (card_.timer_at_ps_ < until) until = std::max(card_.timer_at_ps_, local_ps());
  if (until <= local_ps()) return;
  sync();
  const uint64_t now = sc_core::sc_time_stamp().value();
  if (until > now) sc_core::wait(sc_time::from_value(until - now), card_.timer_ev_);
  qk_.reset();
  card_.cur_ = this;
}

void Core::run() {
  card_.cur_ = this;
  qk_.reset();  // first quantum
  Packet p;
  for (;;) {
    const uint64_t t = local_ps();
    // Timers run on core 0 (the control core), at their deadline or when it is free.
    if (id_ == 0 && card_.timer_at_ps_ <= t) {
      run_timer();
      continue;
    }
    uint64_t until = 0;
    const IngressDma::Take got = card_.ingress_dma_.take(id_, t, card_.timer_at_ps_, p, until);
    card_.cur_ = this;  // pacing may have slept; the source may block
    if (got == IngressDma::Take::End) break;
    if (got == IngressDma::Take::Packet) {
      // A core that lags may find a packet another core admitted: it cannot start before
      // the packet arrived.
      if (p.t_arrival_ps > t) advance_to(p.t_arrival_ps);
      handle(p);
      maybe_sync();
      continue;
    }
    // Nothing to take: the firmware's background work first (deferred transmits), then
    // look again before sleeping.
    if (run_idle()) continue;
    if (id_ == 0) {
      // Idle core 0 waits for the next arrival or the timer, whichever is first, and wakes
      // when another core re-arms the timer earlier meanwhile.
      idle_core0(until);
      continue;
    }
    advance_to(until);
    if (card_.realtime_) sync();  // live sources: let wall time catch up
  }
  end_of_traffic();
}

void Core::end_of_traffic() {
  while (run_idle()) {
  }
  if (id_ != 0) {
    final_ps_ = local_ps();
    finished_ = true;
    sync();
    ++card_.cores_done_;
    card_.core_done_ev_.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  CardStats& st = card_.stats_;
  auto fire_until = [&](uint64_t end) {
    while (card_.timer_at_ps_ != UINT64_MAX && card_.timer_at_ps_ <= end) {
      idle_core0(card_.timer_at_ps_);  // wakes if another core arms an earlier timer
      if (card_.timer_at_ps_ <= local_ps()) run_timer();
    }
  };
  fire_until(st.last_arrival_ps + card_.drain_ps_);
  sync();
  // Other cores may still be working (and arming timers): keep serving the timers.
  while (card_.cores_done_ + 1 < card_.cores_.size()) {
    if (card_.timer_at_ps_ <= local_ps()) {
      run_timer();
      continue;
    }
    sync();
    const uint64_t now = sc_core::sc_time_stamp().value();
    if (card_.timer_at_ps_ == UINT64_MAX)
      sc_core::wait(card_.core_done_ev_ | card_.timer_ev_);
    else
      sc_core::wait(sc_time::from_value(card_.timer_at_ps_ - now), card_.core_done_ev_ | card_.timer_ev_);
    qk_.reset();
    card_.cur_ = this;
  }
  qk_.reset();
  uint64_t busy_until = local_ps();
  for (const auto& c : card_.cores_) busy_until = std::max(busy_until, c->final_ps());
  const uint64_t end = std::max({st.last_arrival_ps + card_.drain_ps_, busy_until, card_.egress_port_.free_ps()});
  fire_until(end);
  st.end_ps = std::max({end, local_ps(), card_.egress_port_.free_ps()});
  final_ps_ = st.end_ps;
  finished_ = true;
  advance_to(st.end_ps);
  sync();
}

}  // namespace dfc::model
