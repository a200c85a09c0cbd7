// The race checker's host mode on a hardware thread (docs/race-check.md). The firmware library of
// the dfcsim-race build reports its loads and stores through race::host_gate(); the gate names the
// hardware thread whose firmware code runs, and is closed while the model's own code runs (behind
// a HAL call, or between handlers), since that code, and what other threads do while this one
// waits in it, is not this thread's firmware.
#include "card.hpp"
#include "race/host_gate.hpp"

namespace dfc::model {

uint64_t HwThread::race_now(void* self) { return static_cast<HwThread*>(self)->local_ps(); }

// --schedule-seed with the race checker: at an access to memory another thread touched, the
// thread may stop there for a few cycles and let the others run (a sync), so that the seed moves
// the interleaving at shared accesses, not only at HAL calls. Never inside a sequence-lock read
// attempt (its reads are not checked; see docs/race-check.md for why).
void HwThread::race_shared_access(void* self) {
  auto* th = static_cast<HwThread*>(self);
  if (!th->perturb_ || th->race_ignore_reads_ || th->rng_() % 32 != 0) return;
  th->race_close();
  th->cycles(double(1 + th->rng_() % 64));
  th->sync();
  th->card_.cur_ = th;
  th->race_open();
}

void HwThread::race_open() {
  race::Detector* d = card_.race_.get();
  if (!d) return;
  race::HostGate& g = race::host_gate();
  g.det = d;
  g.tid = static_cast<int>(ctx_);
  g.ignore_reads = race_ignore_reads_;
  g.now_ps = &HwThread::race_now;
  g.now_ctx = this;
  g.shared_access = &HwThread::race_shared_access;
  g.shared_ctx = this;
}

void HwThread::race_close() {
  if (card_.race_) race::host_gate().tid = -1;
}

void HwThread::race_hint(Hal::RaceHint h) { race_ignore_reads_ = h == Hal::RaceHint::SeqReadBegin; }

void HwThread::race_sync(race::Sync kind, uint64_t obj, bool release) {
  race::Detector* d = card_.race_.get();
  if (!d) return;
  if (release)
    d->release(ctx_, kind, obj);
  else
    d->acquire(ctx_, kind, obj);
}

}  // namespace dfc::model
