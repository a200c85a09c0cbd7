// A hardware thread running the firmware image (iss_card.hpp): the slice loop and the pricing
// of what the instruction-set simulator retires. The host-compiled firmware's path is in
// hw_thread.cpp; the two share the thread's time, stalls, transactions and frames.
#include <algorithm>

#include "card.hpp"
#include "core.hpp"
#include "hw_thread.hpp"
#include "iss_card.hpp"

namespace dfc::model {

namespace {
uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }
}  // namespace

// Instructions up to the end of this thread's quantum at one per cycle, so that a slice ends
// about where the quantum keeper would synchronise; at least a few dozen (a device access or a
// yield ends a slice earlier anyway), at most 200,000 (a long boot in several slices).
uint64_t HwThread::slice_budget() const {
  const uint64_t q = tlm::tlm_global_quantum::instance().get().value();
  const uint64_t local = qk_.get_local_time().value();
  const double left = double(minus(q, local)) / cycle_ps_;
  return std::clamp<uint64_t>(static_cast<uint64_t>(left), 64, 200000);
}

// One issue slot per instruction on the core's shared pipeline (single-issue, in order) and the
// L1's load-to-use cycles beyond it per load. The image's DRAM-window loads and stores are not
// sent through the cache model one by one (a host call per access would cost the speed the ISS
// has); packet memory, rings, registers and locks are (iss_card.hpp).
void HwThread::iss_price(uint64_t instructions, uint64_t loads) {
  const double c = double(instructions) + double(loads) * load_extra_cycles_;
  if (c > 0) cycles(c);
}

void HwThread::iss_catch_up() {
  if (!in_slice_) return;
  const iss::MipsIss::Counters p = card_.iss_->iss().progress();
  iss_price(minus(p.instructions, priced_.instructions), minus(p.loads, priced_.loads));
  priced_ = p;
}

void HwThread::run_image() {
  IssCard& ic = *card_.iss_;
  for (;;) {
    card_.cur_ = this;
    priced_ = {};
    in_slice_ = true;
    const bool step = ic.stepping(ctx_);
    iss::MipsIss::Slice s = ic.iss().run(ctx_, step ? 1 : slice_budget());
    // A branch and its delay slot are one step (MipsIss retires neither for a budget of 1).
    if (step && s.instructions == 0 && s.stop == iss::MipsIss::Slice::Stop::Budget) s = ic.iss().run(ctx_, 2);
    in_slice_ = false;
    card_.cur_ = this;
    iss_price(minus(s.instructions, priced_.instructions), minus(s.loads, priced_.loads));
    ic.check(ctx_, s);
    if (s.stop == iss::MipsIss::Slice::Stop::Break || step) ic.debug_stop(ctx_);
    const int lock = ic.take_refused(ctx_);
    if (lock >= 0) wait_lock(static_cast<unsigned>(lock));
    if (sync_wanted_) {
      sync_wanted_ = false;
      sync();
    }
    if (ic.take_wait(ctx_)) return;
  }
}

bool HwThread::iss_try_lock(unsigned lock) {
  const uint64_t t = local_ps();
  uint64_t at = t;
  if (!card_.sems_.try_acquire(lock, static_cast<int>(ctx_), t, at)) return false;
  if (at > t) {
    st_.lock_ps += at - t;
    advance_to(at);
  }
  return true;
}

// A refused try-lock: the thread sleeps until the holder releases; the image then reads again.
void HwThread::wait_lock(unsigned lock) {
  const uint64_t t0 = local_ps();
  if (sc_core::sc_get_status() == sc_core::SC_ELABORATION)
    throw std::logic_error("firmware image: semaphore " + std::to_string(lock) + " contended during boot");
  sync();
  while (card_.sems_.holder(lock) >= 0 && card_.sems_.holder(lock) != static_cast<int>(ctx_))
    sc_core::wait(card_.sems_.released_event(lock));
  qk_.reset();
  card_.cur_ = this;
  const uint64_t t1 = local_ps();
  if (t1 > t0) {
    st_.lock_ps += t1 - t0;
    card_.sems_.note_wait(lock, t1 - t0);
  }
}

void HwThread::pkt_access(uint64_t addr, bool write) {
  const uint64_t line = std::min<uint64_t>(core_.l1().line(), sizeof scratch_);
  const uint64_t at = addr & ~(line - 1);
  if (at == pkt_line_ && write == pkt_line_write_) return;
  pkt_line_ = at;
  pkt_line_write_ = write;
  transport(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, at, scratch_, static_cast<uint32_t>(line), false);
}

void HwThread::iss_frame_begin() {
  frame_start_ps_ = local_ps();
  pkt_line_ = UINT64_MAX;  // the buffer holds a new frame
  if (wave_) wave_->step(w_busy_, frame_start_ps_, +1);
  card_.now_ps_ = std::max(card_.now_ps_, frame_start_ps_);
}

void HwThread::iss_frame_end() {
  if (!have_frame_) return;
  have_frame_ = false;
  const uint64_t end = local_ps();
  if (wave_) wave_->step(w_busy_, end, -1);
  if (frame_.unit == Unit::Monitor) card_.stats_.monitor_last_done_ps = std::max(card_.stats_.monitor_last_done_ps, end);
  if (card_.on_done_) card_.on_done_(frame_, frame_start_ps_, end);
}

}  // namespace dfc::model
