// The fast card's statistics, utilisation and bottleneck, in the timing card's terms
// (Card::stats, Card::utilisation, Card::bottleneck_scores) so that the report reads alike.
#include <algorithm>

#include "dfc/hal/card_map.hpp"
#include "fast_card.hpp"

namespace dfc::fast {

namespace {
std::string lock_name(unsigned lock) {
  switch (lock) {
    case cardmap::HW_LOCK_CRITERIA: return "criteria";
    case cardmap::HW_LOCK_CLASSIFIER: return "classifier";
    default: return "lock" + std::to_string(lock);
  }
}
}  // namespace

model::CardStats FastCard::stats() const {
  model::CardStats s = stats_;
  const uint64_t end = s.end_ps;
  for (size_t c = 0; c < cores_.size(); ++c) {
    s.core_busy_ps.push_back(cores_[c].issue_busy_ps);
    model::CoreStalls cs;
    cs.role = cores_[c].role;
    model::StallTimes sum;
    for (const Thread& th : threads_) {
      if (th.core != c) continue;
      model::StallTimes t = th.st;
      const uint64_t busy = t.compute_ps + t.memory_ps + t.lock_ps + t.classifier_ps;
      t.idle_ps = end > busy ? end - busy : 0;
      sum.memory_ps += t.memory_ps, sum.lock_ps += t.lock_ps, sum.classifier_ps += t.classifier_ps;
      sum.idle_ps += t.idle_ps;
      cs.threads.push_back(t);
    }
    // As Core::add_stats: issuing is compute, the rest split over what the threads waited for.
    cs.core = model::StallTimes::of_core(cores_[c].issue_busy_ps, end, sum);
    s.stalls.push_back(std::move(cs));
    s.l1.push_back({cores_[c].l1.hits(), cores_[c].l1.misses()});
  }
  s.l2 = {l2_.hits(), l2_.misses()};
  for (unsigned i = 0; i < locks_.size(); ++i) {
    const bool named = i == cardmap::HW_LOCK_CRITERIA || i == cardmap::HW_LOCK_CLASSIFIER;
    if (locks_[i].st.acquisitions == 0 && !named) continue;
    model::LockStats l = locks_[i].st;
    l.name = lock_name(i);
    s.locks.push_back(l);
  }
  return s;
}

std::vector<std::pair<std::string, double>> FastCard::utilisation() const {
  uint64_t from = 0, to = stats_.end_ps;
  if (stats_.monitor_packets > 0)
    from = stats_.monitor_first_arrival_ps, to = std::max(stats_.monitor_last_done_ps, stats_.egress_last_depart_ps);
  const double span = to > from ? double(to - from) : 1.0;
  std::vector<std::pair<std::string, double>> u;
  auto add = [&](const std::string& name, uint64_t busy) { u.emplace_back(name, std::min(1.0, double(busy) / span)); };
  for (size_t c = 0; c < cores_.size(); ++c) add("core" + std::to_string(c), cores_[c].issue_busy_ps);
  add("interconnect", std::max(ic_data_.busy_ps(), ic_msg_.busy_ps()));
  add("memory", std::max(sram_.busy_ps(), dram_.busy_ps()));
  add("classifier", cls_q_.busy_ps());
  add("ingress", ingress_busy_ps_);
  add("egress", eg_busy_ps_);
  add("data_ring", ic_data_.busy_ps());
  add("message_ring", ic_msg_.busy_ps());
  add("dram", dram_.busy_ps());
  add("packet_memory", sram_.busy_ps());
  return u;
}

// long-function: the timing card's candidates one by one (Card::bottleneck_scores), kept in
// one place so that the two stay comparable.
std::vector<std::pair<std::string, double>> FastCard::bottleneck_scores() const {
  const model::CardStats st = stats();
  uint64_t from = 0, to = st.end_ps;
  if (st.monitor_packets > 0) from = st.monitor_first_arrival_ps, to = std::max(st.monitor_last_done_ps, st.egress_last_depart_ps);
  const double span = to > from ? double(to - from) : 1.0;
  double n = 0, mem = 0, cls = 0, issue = 0, busiest = 0, busy_sum = 0, data_cores = 0;
  for (size_t c = 0; c < cores_.size(); ++c) {
    bool data = false;
    for (const Thread& th : threads_)
      if (th.core == c && th.role == Role::Data) data = true;
    if (!data) continue;
    data_cores += 1;
    issue += double(cores_[c].issue_busy_ps) / span;
    for (const model::StallTimes& t : st.stalls[c].threads) {
      n += 1;
      mem += double(t.memory_ps) / span, cls += double(t.classifier_ps) / span;
      const double busy = double(t.compute_ps + t.memory_ps + t.lock_ps + t.classifier_ps) / span;
      busiest = std::max(busiest, busy), busy_sum += busy;
    }
  }
  if (data_cores == 0) data_cores = 1;
  const auto u = utilisation();
  auto util = [&](const std::string& k) {
    for (const auto& [name, f] : u)
      if (name == k) return f;
    return 0.0;
  };
  std::vector<std::pair<std::string, double>> out;
  out.emplace_back("core", std::min(1.0, issue / data_cores));
  out.emplace_back("memory", std::min(1.0, std::max(util("memory"), n ? mem / n : 0.0)));
  out.emplace_back("classifier", std::min(1.0, n ? cls / n : 0.0));
  for (const model::LockStats& l : st.locks)
    out.emplace_back("lock:" + l.name, std::min(1.0, n ? double(l.wait_ps) / span / n : 0.0));
  const double mean = n ? busy_sum / n : 0.0;
  out.emplace_back("distribution", n > 1 && busiest > 0.9 && mean < 0.5 * busiest ? std::min(1.0, busiest) : 0.0);
  const bool card_dropped = st.ingress_dropped_buffer + st.ingress_dropped_ring > 0;
  out.emplace_back("interconnect", util("interconnect"));
  if (!card_dropped) out.emplace_back("ingress", util("ingress"));
  out.emplace_back("egress", util("egress"));
  return out;
}

std::string FastCard::bottleneck() const {
  std::string best;
  double bv = -1;
  for (const auto& [name, f] : bottleneck_scores())
    if (f > bv) best = name, bv = f;
  return best;
}

}  // namespace dfc::fast
