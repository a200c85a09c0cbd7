#include "hw_thread.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "card.hpp"
#include "card_decode.hpp"
#include "core.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/hal/iss_abi.hpp"
#include "iss_card.hpp"

namespace dfc::model {

using sc_core::sc_time;

sc_time HwThread::Keeper::compute_local_quantum() {
  sc_time q = tlm_utils::tlm_quantumkeeper::compute_local_quantum();
  if (!rng || q == sc_core::SC_ZERO_TIME) return q;
  // Schedule seed: each quantum is 10..100 % of the global one, so the cores' sync points
  // (and hence their interleaving at shared state) move from run to run of different seeds.
  const double f = 0.1 + 0.9 * double((*rng)() % 1000) / 1000.0;
  return sc_time::from_value(std::max<sc_dt::uint64>(1, static_cast<sc_dt::uint64>(double(q.value()) * f)));
}

HwThread::HwThread(sc_core::sc_module_name n, unsigned ctx, Role role, const CardProfile& p, Core& core, Card& card)
    : sc_module(n), ctx_(ctx), role_(role), core_(core), card_(card), cycle_ps_(1e12 / p.core_hz),
      l1_hit_cycles_(p.l1_hit_cycles), rng_(p.schedule_seed * 7919 + ctx),
      load_extra_cycles_(std::max(0.0, p.l1_hit_cycles - 1.0)) {
  std::copy(std::begin(p.work_cycles), std::end(p.work_cycles), work_);
  perturb_ = p.schedule_seed != 0;
  if (perturb_) qk_.rng = &rng_;
  gp_.set_extension(new InitiatorId(static_cast<int>(ctx)));
  SC_HAS_PROCESS(HwThread);
  SC_THREAD(run);
}

namespace {
// The firmware's constructor runs while SystemC elaborates: that is the card's boot, before
// time 0, so it costs no simulated time.
bool booting() { return sc_core::sc_get_status() == sc_core::SC_ELABORATION; }

[[noreturn]] void bus_error(tlm::tlm_generic_payload& gp, uint64_t addr) {
  char b[24];
  std::snprintf(b, sizeof b, "%010llx", static_cast<unsigned long long>(addr));
  throw std::runtime_error("card interconnect: " + gp.get_response_string() + " at address 0x" + b);
}
}  // namespace

void HwThread::cycles(double n) {
  if (booting()) return;
  frac_ps_ += n * cycle_ps_;
  const double whole = std::floor(frac_ps_);
  frac_ps_ -= whole;
  if (whole <= 0) return;
  // The instructions issue on the core's pipeline, shared with the sibling threads: they
  // end when the pipeline has given them their cycles, after any sibling's that overlap.
  const uint64_t t = local_ps();
  const uint64_t end = core_.issue(t, static_cast<uint64_t>(whole));
  st_.compute_ps += end - t;
  qk_.inc(sc_time::from_value(end - t));
  maybe_sync();
}

StallTimes HwThread::stalls(uint64_t end_ps) const {
  StallTimes s = st_;
  const uint64_t busy = s.compute_ps + s.memory_ps + s.lock_ps + s.classifier_ps;
  s.idle_ps = end_ps > busy ? end_ps - busy : 0;
  return s;
}

void HwThread::sync() {
  if (booting()) return;
  if (in_slice_) {  // inside the engine: after the slice (iss_card.hpp)
    sync_wanted_ = true;
    card_.iss_->iss().yield();
    return;
  }
  qk_.sync();
  card_.cur_ = this;
}

void HwThread::maybe_sync() {
  if (qk_.need_sync()) sync();
}

void HwThread::advance_to(uint64_t t_ps) {
  if (booting()) return;
  const uint64_t now = sc_core::sc_time_stamp().value();
  if (t_ps > now + qk_.get_local_time().value()) qk_.set(sc_time::from_value(t_ps - now));
  maybe_sync();
}

void HwThread::transport(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, uint32_t bytes, bool posted) {
  prepare_payload(gp_, cmd, addr, data, bytes);
  sc_time delay = qk_.get_local_time();
  if (booting()) {
    card_.ic_.b_transport(static_cast<int>(ctx_), gp_, delay);  // multi-socket not bound yet
    if (gp_.is_response_error()) bus_error(gp_, addr);
    return;  // boot: no simulated time
  }
  const uint64_t before = sc_core::sc_time_stamp().value();
  const uint64_t t0 = local_ps();
  core_.socket->b_transport(gp_, delay);
  card_.cur_ = this;  // a target may have synchronised this thread (another thread ran)
  ++card_.stats_.bus_transactions;
  if (gp_.is_response_error()) bus_error(gp_, addr);
  if (sc_core::sc_time_stamp().value() != before) qk_.reset();
  if (!posted) qk_.set(delay);
  // What the thread waited for: the target of the access.
  const uint64_t t1 = local_ps();
  if (t1 > t0) {
    const decode::Range* r = decode::find(addr);
    const decode::Target k = r ? r->target : decode::Target::Memory;
    (k == decode::Target::Classifier ? st_.classifier_ps : k == decode::Target::Semaphores ? st_.lock_ps : st_.memory_ps) +=
        t1 - t0;
  }
  // Schedule seed: extra sync points at random transactions (one in four).
  if (perturb_ && rng_() % 4 == 0) sync();
  maybe_sync();
}

void HwThread::mem(uint64_t addr, uint32_t bytes, bool write) {
  if (bytes == 0) return;
  // A load of the criteria sequence counter or version orders this thread against the control
  // plane that writes them: as before a lock, the thread first synchronises, so that every
  // modification earlier in simulated time has happened in the host too and the value read
  // (the rule map behind it) is the one in force at this thread's time. Without it a thread
  // running ahead of the control thread read the rule map as it was before a deletion that, in
  // simulated time, came first (churn-10m-smoke: unexpected copies, more the longer the
  // quantum), or took its flow-table entry for current under the version before an ADD that
  // had already been answered (churn-10m: a missing copy just after the reply).
  if (!write && (addr == cardmap::CRITERIA_SEQ || addr == cardmap::CRITERIA_VERSION) && card_.threads_.size() > 1)
    sync();
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
  const uint64_t line = core_.l1().line();
  const uint64_t first = addr & ~(line - 1), end = addr + bytes;
  const bool stream = !write && end - first > line;
  uint64_t run_at = 0;
  uint32_t run = 0;
  auto flush = [&] {
    if (run) transport(tlm::TLM_READ_COMMAND, run_at, burst_, run, false);
    run = 0;
  };
  for (uint64_t a = first; a < end; a += line) {
    const Cache::Result r = core_.l1().access(a, write);
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

uint32_t HwThread::load32(uint64_t addr) {
  uint32_t v = 0;
  transport(tlm::TLM_READ_COMMAND, addr, reinterpret_cast<unsigned char*>(&v), 4, false);
  return v;
}

void HwThread::store32(uint64_t addr, uint32_t v) {
  if (booting() && MemorySubsystem::in_rings(addr)) {
    card_.mem_.boot_store(addr, v);
    return;
  }
  transport(tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<unsigned char*>(&v), 4, false);
}

void HwThread::reg(tlm::tlm_command cmd, uint64_t addr, uint32_t* words, size_t n) {
  transport(cmd, addr, reinterpret_cast<unsigned char*>(words), static_cast<uint32_t>(n * 4), false);
}

void HwThread::lock_acquire(unsigned lock) {
  // Synchronise first (several threads only): the state a lock protects lives in ordinary C++
  // objects that change in the order the host runs the threads, so a thread must not take the
  // lock while another one, behind it in simulated time, could still take it first. At the
  // sync point every thread has reached this time, so critical sections run in simulated
  // time order and the data agrees with the timing (a decoupled thread could otherwise see
  // a deletion that, in simulated time, happens after its lookup).
  if (card_.threads_.size() > 1) sync();
  uint32_t v = 0;
  reg(tlm::TLM_READ_COMMAND, cardmap::HW_SEM_BASE + 4 * lock, &v, 1);  // the semaphore register
  const uint64_t t = local_ps();
  const uint64_t before = sc_core::sc_time_stamp().value();
  const uint64_t at = card_.sems_.acquire(lock, static_cast<int>(ctx_), t);
  card_.cur_ = this;
  if (sc_core::sc_time_stamp().value() != before) qk_.reset();
  advance_to(at);
  // The wait is from the request to the grant, including any sleep inside acquire().
  if (at > t) st_.lock_ps += at - t;
}

void HwThread::accelerator_wait(uint64_t until_ps) {
  const uint64_t t = local_ps();
  if (until_ps <= t || booting()) return;
  st_.classifier_ps += until_ps - t;
  advance_to(until_ps);
}

void HwThread::lock_release(unsigned lock) {
  uint32_t v = 0;
  reg(tlm::TLM_WRITE_COMMAND, cardmap::HW_SEM_BASE + 4 * lock, &v, 1);
  card_.sems_.release(lock, static_cast<int>(ctx_), local_ps());
}

void HwThread::run_timer() {
  if (card_.iss_) {  // the image runs its timers when it reads the event
    card_.timer_at_ps_ = UINT64_MAX;
    ++card_.stats_.timer_events;
    card_.iss_->raise(ctx_, iss::kEventTimer);
    run_image();
    return;
  }
  if (wave_) wave_->step(w_busy_, local_ps(), +1);  // now: the handler may sync before it ends
  card_.timer_at_ps_ = UINT64_MAX;
  ++card_.stats_.timer_events;
  race_sync(race::Sync::Timer, 0, false);  // the arming thread's writes come before the handler
  race_open();
  card_.fw_->on_timer();
  race_close();
  if (wave_) wave_->step(w_busy_, local_ps(), -1);
}

bool HwThread::run_idle() {
  if (card_.iss_) return false;  // the image does its housekeeping before PLAT_WAIT
  if (wave_) wave_->step(w_busy_, local_ps(), +1);
  race_open();
  const bool did = card_.fw_->on_idle();
  race_close();
  if (wave_) wave_->step(w_busy_, local_ps(), -1);
  return did;
}

void HwThread::handle(Packet& p) {
  const uint64_t start = local_ps();
  if (wave_) wave_->step(w_busy_, start, +1);
  if (wave_ && p.unit == Unit::Monitor) card_.wave_events_.begin(ctx_, start, p.id);
  card_.now_ps_ = std::max(card_.now_ps_, start);
  // The packet loop reads the descriptor the ingress DMA posted in this thread's ring.
  const uint64_t slot = (p.buf_addr - cardmap::PKT_MEM_BASE) / cardmap::PKT_BUF_BYTES;
  mem(cardmap::RX_RING_BASE + ctx_ * cardmap::RING_STRIDE + slot % card_.prof_.rx_ring_entries * cardmap::RX_DESC_BYTES,
      static_cast<uint32_t>(cardmap::RX_DESC_BYTES), false);
  if (p.unit == Unit::Control)
    ++card_.stats_.control_packets;
  else
    ++card_.stats_.monitor_packets;
  race_open();
  card_.fw_->on_packet(p);
  race_close();
  const uint64_t end = local_ps();
  if (wave_) wave_->step(w_busy_, end, -1);
  if (p.unit == Unit::Monitor) card_.stats_.monitor_last_done_ps = std::max(card_.stats_.monitor_last_done_ps, end);
  if (card_.on_done_) card_.on_done_(p, start, end);
  run_idle();  // the loop's housekeeping between packets, after this one is done
}

void HwThread::idle_control(uint64_t until) {
  if (card_.timer_at_ps_ < until) until = std::max(card_.timer_at_ps_, local_ps());
  if (until <= local_ps()) return;
  sync();
  const uint64_t now = sc_core::sc_time_stamp().value();
  if (until > now) sc_core::wait(sc_time::from_value(until - now), card_.timer_ev_);
  qk_.reset();
  card_.cur_ = this;
}

void HwThread::run() {
  card_.cur_ = this;
  qk_.reset();  // first quantum
  if (role_ == Role::Idle) {  // a thread with nothing to run
    end_of_traffic();
    return;
  }
  const bool control = role_ == Role::Control;
  // With the firmware's driver the thread polls its ring; otherwise (firmwares without a
  // driver: unit tests' stubs) the card hands it the packet.
  const bool driver = card_.ingress_dma_.driver();
  Packet p;
  for (;;) {
    const uint64_t t = local_ps();
    if (card_.iss_ && card_.iss_->pending(ctx_)) {  // an event for the image (a restart)
      run_image();
      continue;
    }
    // Timers run on the control thread, at their deadline or when it is free.
    if (control && card_.timer_at_ps_ <= t) {
      run_timer();
      continue;
    }
    uint64_t until = 0;
    const IngressDma::Take got = driver ? card_.ingress_dma_.advance(ctx_, t, card_.timer_at_ps_, until)
                                        : card_.ingress_dma_.take(ctx_, t, card_.timer_at_ps_, p, until);
    card_.cur_ = this;  // pacing may have slept; the source may block
    if (got == IngressDma::Take::End) break;
    if (got == IngressDma::Take::Packet) {
      if (driver) {
        if (card_.iss_)
          run_image();
        else
          poll();
        continue;
      }
      // A thread that lags may find a packet another thread admitted: it cannot start before
      // the packet arrived.
      if (p.t_arrival_ps > t) advance_to(p.t_arrival_ps);
      handle(p);
      maybe_sync();
      continue;
    }
    // Nothing to take: the firmware's background work first (deferred transmits), then
    // look again before sleeping.
    if (run_idle()) continue;
    if (control) {
      // The idle control thread waits for the next arrival or the timer, whichever is first,
      // and wakes when another thread re-arms the timer earlier meanwhile.
      idle_control(until);
      continue;
    }
    advance_to(until);
    if (card_.realtime_) sync();  // live sources: let wall time catch up
  }
  end_of_traffic();
}

void HwThread::poll() {
  const uint64_t start = local_ps();
  if (wave_) wave_->step(w_busy_, start, +1);
  card_.now_ps_ = std::max(card_.now_ps_, start);
  have_frame_ = false;
  race_open();
  const bool took = card_.fw_->on_poll();
  race_close();
  const uint64_t end = local_ps();
  if (wave_) wave_->step(w_busy_, end, -1);
  if (have_frame_) {
    if (frame_.unit == Unit::Monitor)
      card_.stats_.monitor_last_done_ps = std::max(card_.stats_.monitor_last_done_ps, end);
    if (card_.on_done_) card_.on_done_(frame_, start, end);
  }
  // The DMA announced a descriptor for this ring at or before now, so the poll finds it; if it
  // did not, look again a little later rather than spin at one time.
  if (!took) advance_to(end + 1);
  maybe_sync();
  run_idle();  // the loop's housekeeping between packets
}

Packet* HwThread::rx_frame(uint64_t buf_addr) {
  if (!card_.ingress_dma_.take_frame(ctx_, buf_addr, frame_, local_ps())) return nullptr;
  have_frame_ = true;
  if (wave_ && frame_.unit == Unit::Monitor) card_.wave_events_.begin(ctx_, local_ps(), frame_.id);
  if (frame_.unit == Unit::Control)
    ++card_.stats_.control_packets;
  else
    ++card_.stats_.monitor_packets;
  return &frame_;
}

void HwThread::end_of_traffic() {
  if (role_ != Role::Idle)
    while (run_idle()) {
    }
  if (role_ != Role::Control) {
    final_ps_ = role_ == Role::Idle ? 0 : local_ps();
    finished_ = true;
    sync();
    ++card_.threads_done_;
    card_.thread_done_ev_.notify(sc_core::SC_ZERO_TIME);
    return;
  }
  end_control();
}

void HwThread::end_control() {
  CardStats& st = card_.stats_;
  auto fire_until = [&](uint64_t end) {
    while (card_.timer_at_ps_ != UINT64_MAX && card_.timer_at_ps_ <= end) {
      idle_control(card_.timer_at_ps_);  // wakes if another thread arms an earlier timer
      if (card_.timer_at_ps_ <= local_ps()) run_timer();
    }
  };
  fire_until(st.last_arrival_ps + card_.drain_ps_);
  sync();
  // Other threads may still be working (and arming timers): keep serving the timers.
  while (card_.threads_done_ + 1 < card_.threads_.size()) {
    if (card_.timer_at_ps_ <= local_ps()) {
      run_timer();
      continue;
    }
    sync();
    const uint64_t now = sc_core::sc_time_stamp().value();
    if (card_.timer_at_ps_ == UINT64_MAX)
      sc_core::wait(card_.thread_done_ev_ | card_.timer_ev_);
    else
      sc_core::wait(sc_time::from_value(card_.timer_at_ps_ - now), card_.thread_done_ev_ | card_.timer_ev_);
    qk_.reset();
    card_.cur_ = this;
  }
  qk_.reset();
  uint64_t busy_until = local_ps();
  for (const HwThread* t : card_.threads_) busy_until = std::max(busy_until, t->final_ps());
  const uint64_t end = std::max({st.last_arrival_ps + card_.drain_ps_, busy_until, card_.egress_port_.free_ps()});
  fire_until(end);
  st.end_ps = std::max({end, local_ps(), card_.egress_port_.free_ps()});
  final_ps_ = st.end_ps;
  finished_ = true;
  advance_to(st.end_ps);
  sync();
}

}  // namespace dfc::model
