#include "egress_port.hpp"

#include <algorithm>

#include "wave.hpp"

namespace dfc::model {

EgressPort::EgressPort(sc_core::sc_module_name n, const CardProfile& p)
    : sc_module(n), bps_(p.egress_bps), capacity_(p.egress_queue_packets) {}

void EgressPort::set_wave(WaveRecorder* w) {
  wave_ = w;
  if (!w) return;
  w_depth_ = w->add("card.egress", "queue_depth", WaveRecorder::Kind::Count);
  w_busy_ = w->add("card.egress", "busy", WaveRecorder::Kind::Busy);
}

void EgressPort::usage(std::vector<Usage>& out) const { out.push_back({"egress", busy_ps_, Usage::Kind::Port}); }

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
