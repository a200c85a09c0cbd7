#include "core.hpp"

#include <algorithm>

#include "card.hpp"

namespace dfc::model {

Core::Core(sc_core::sc_module_name n, unsigned id, Role role, unsigned first_ctx, bool data_on_control,
           const CardProfile& p, Card& card)
    : sc_module(n), socket("socket"), id_(id), role_(role),
      l1_(static_cast<uint64_t>(p.l1_bytes), static_cast<unsigned>(p.l1_line), static_cast<unsigned>(p.l1_ways)),
      shared_(p.threads_per_core > 1), card_(card) {
  for (unsigned t = 0; t < std::max(1u, p.threads_per_core); ++t) {
    HwThread::Role r = HwThread::Role::Idle;
    if (role == Role::Data) r = HwThread::Role::Data;
    // The control core's first thread runs DTCP and the timers; its other threads take
    // packets only on a card without data cores.
    if (role == Role::Control) r = t == 0 ? HwThread::Role::Control : data_on_control ? HwThread::Role::Data : HwThread::Role::Idle;
    threads_.push_back(std::make_unique<HwThread>(("t" + std::to_string(t)).c_str(), first_ctx + t, r, p, *this, card));
  }
}

const char* Core::role_name() const {
  switch (role_) {
    case Role::Control: return "control";
    case Role::Data: return "data";
    case Role::User: break;
  }
  return "user";
}

uint64_t Core::issue(uint64_t t_ps, uint64_t service_ps) {
  issue_busy_ps_ += service_ps;
  if (!shared_) return t_ps + service_ps;
  return pipe_.book(t_ps, service_ps, now_ps()) + service_ps;
}

void Core::set_wave(WaveRecorder* w) {
  const int sig = w ? w->add("card.core" + std::to_string(id_), "busy", WaveRecorder::Kind::Busy) : 0;
  for (auto& t : threads_) t->set_wave(w, sig);
}

void Core::usage(std::vector<Usage>& out) const {
  out.push_back({"core" + std::to_string(id_), issue_busy_ps_, Usage::Kind::Core});
}

void Core::add_stats(CardStats& st) const {
  st.core_busy_ps.at(id_) = issue_busy_ps_;
  const uint64_t end = st.end_ps;
  CoreStalls cs;
  cs.role = role_name();
  StallTimes sum;
  for (const auto& t : threads_) {
    cs.threads.push_back(t->stalls(end));
    const StallTimes& s = cs.threads.back();
    sum.memory_ps += s.memory_ps, sum.lock_ps += s.lock_ps, sum.classifier_ps += s.classifier_ps;
    sum.idle_ps += s.idle_ps;
  }
  // The core's own breakdown: its pipeline issuing is compute; the time it issues nothing is
  // split over what its threads were waiting for, in proportion.
  cs.core = StallTimes::of_core(issue_busy_ps_, end, sum);
  if (st.stalls.size() <= id_) st.stalls.resize(id_ + 1);
  st.stalls[id_] = std::move(cs);
  if (st.l1.size() <= id_) st.l1.resize(id_ + 1);
  st.l1[id_] = {l1_.hits(), l1_.misses()};
}

}  // namespace dfc::model
