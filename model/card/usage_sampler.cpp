#include "usage_sampler.hpp"

#include <algorithm>

namespace dfc::model {

UsageSampler::UsageSampler(sc_core::sc_module_name n, Probes p, sc_core::sc_event& wake, uint64_t period_ps)
    : sc_module(n), p_(std::move(p)), wake_(wake), period_ps_(std::max<uint64_t>(period_ps, 1)) {
  SC_HAS_PROCESS(UsageSampler);
  SC_THREAD(run);
}

void UsageSampler::take(uint64_t t_ps) {
  std::vector<Usage> u;
  p_.usage(u);
  if (names_.empty())
    for (const Usage& r : u) names_.push_back(r.name), kinds_.push_back(r.kind);
  Sample s;
  s.t_ps = t_ps;
  for (const Usage& r : u) s.busy_ps.push_back(r.busy_ps);
  s.busy_ps.resize(names_.size(), 0);
  s.rx_depth = s.rx_depth_max = p_.rx_depth ? p_.rx_depth() : 0;
  samples_.push_back(std::move(s));
  if (samples_.size() <= kMaxSamples) return;
  // Keep the first, every other one after it and the newest; a dropped sample's peak depth
  // goes to the kept one after it.
  std::vector<Sample> kept;
  for (size_t i = 0; i < samples_.size(); ++i) {
    const bool keep = i == 0 || i % 2 == 0 || i + 1 == samples_.size();
    if (!keep) {
      samples_[i + 1].rx_depth_max = std::max(samples_[i + 1].rx_depth_max, samples_[i].rx_depth_max);
      continue;
    }
    kept.push_back(std::move(samples_[i]));
  }
  samples_ = std::move(kept);
  period_ps_ *= 2;
}

void UsageSampler::run() {
  take(sc_core::sc_time_stamp().value());
  while (!p_.done()) {
    sc_core::wait(sc_core::sc_time::from_value(period_ps_), wake_);
    if (p_.done()) break;
    take(sc_core::sc_time_stamp().value());
  }
}

void UsageSampler::finish(uint64_t t_ps) {
  if (finished_) return;
  finished_ = true;
  if (!samples_.empty() && t_ps <= samples_.back().t_ps) {
    samples_.pop_back();  // the run ended at (or before) the last wake: this one replaces it
  }
  take(t_ps);
}

}  // namespace dfc::model
