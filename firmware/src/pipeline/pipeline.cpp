#include "dfc/fw/pipeline.hpp"

#include <algorithm>

#include "dfc/fw/ipip.hpp"

namespace dfc::fw {

Pipeline::Pipeline(Hal& hal, ClassifierDriver& cls, ControlPlaneView& cp, PipelineConfig cfg)
    : hal_(hal), cls_(cls), cp_(cp), cfg_(cfg) {
  flows_.reserve(std::min<size_t>(cfg_.flow_table_capacity, 1u << 16));
}

const std::vector<RuleId>& Pipeline::lookup(const FlowKey& key) {
  const uint64_t now = hal_.now_ns();
  const uint64_t version = cp_.criteria_version();
  hal_.consume_cycles(cfg_.costs.flow_lookup);
  auto it = flows_.find(key);
  if (it != flows_.end()) {
    it->second.last_used_ns = now;
    if (it->second.version == version) {
      ++stats_.flow_hits;
      last_flow_ = "hit";
      return it->second.rules;
    }
    // Criteria changed since this flow was classified: the cached result may be wrong.
    ++stats_.flow_stale;
    last_flow_ = "stale";
  } else {
    ++stats_.flow_misses;
    last_flow_ = "miss";
    if (flows_.size() >= cfg_.flow_table_capacity) {
      age_flows();
      if (flows_.size() >= cfg_.flow_table_capacity) {
        // Still full of live flows: start over rather than refuse to cache (counted).
        stats_.flow_evictions += flows_.size();
        flows_.clear();
      }
    }
    hal_.consume_cycles(cfg_.costs.flow_insert);
    it = flows_.emplace(key, FlowEntry{}).first;
    it->second.last_used_ns = now;
  }
  hal_.consume_cycles(cfg_.costs.classify);
  it->second.rules = cls_.classify(key.words());
  it->second.version = version;
  stats_.flow_entries = flows_.size();
  stats_.flow_entries_peak = std::max<uint64_t>(stats_.flow_entries_peak, flows_.size());
  return it->second.rules;
}

void Pipeline::age_flows() {
  const uint64_t now = hal_.now_ns();
  for (auto it = flows_.begin(); it != flows_.end();) {
    if (now - it->second.last_used_ns > cfg_.flow_idle_ns) {
      it = flows_.erase(it);
      ++stats_.flow_evictions;
    } else {
      ++it;
    }
  }
  stats_.flow_entries = flows_.size();
}

void Pipeline::process(const Packet& p) {
  ++stats_.packets_in;
  stats_.bytes_in += p.data.size();
  hal_.consume_cycles(cfg_.costs.rx + cfg_.costs.parse);
  const ParsedPacket pp = parse_packet(p);
  // The observer (if any) gets the trace when this function returns, whichever way.
  struct Emit {
    const PacketTraceFn& fn;
    PacketTrace t;
    ~Emit() {
      if (fn) fn(t);
    }
  } tr{trace_, {}};
  if (trace_) tr.t.packet_id = p.id, tr.t.core = hal_.core_id(), tr.t.parsed = pp;
  if (pp.outcome != ParseOutcome::Ip) {
    hal_.consume_cycles(cfg_.costs.not_intercepted);
    ++stats_.not_intercepted[std::string(to_string(pp.outcome))];
    return;
  }
  // Copy the rule list: accounting below may delete criteria and bump the version.
  const std::vector<RuleId> rules = lookup(pp.key);
  if (trace_) tr.t.flow = last_flow_, tr.t.rules = rules;
  hal_.consume_cycles(cfg_.costs.per_match * rules.size());

  // One copy per content destination; the destination's best criterion (priority, then age)
  // represents it when max-duplicates has to choose.
  struct Choice {
    const CriterionView* best;
  };
  std::map<std::string, Choice> per_dest;
  std::vector<RuleId> matched;
  matched.reserve(rules.size());
  for (RuleId r : rules) {
    const CriterionView* c = cp_.criterion_for_rule(r);
    if (!c) continue;
    matched.push_back(r);
    if (trace_) tr.t.criteria.push_back(*c);
    auto [it, fresh] = per_dest.try_emplace(c->cdest_id, Choice{c});
    if (!fresh) {
      const CriterionView* b = it->second.best;
      if (c->priority < b->priority || (c->priority == b->priority && c->added_seq < b->added_seq))
        it->second.best = c;
    }
  }
  if (matched.empty()) {
    ++stats_.packets_unmatched;
    return;
  }
  ++stats_.packets_matched;

  std::vector<std::pair<std::string, const CriterionView*>> order;
  order.reserve(per_dest.size());
  for (auto& [dest, ch] : per_dest) order.emplace_back(dest, ch.best);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a.second->priority != b.second->priority) return a.second->priority < b.second->priority;
    return a.second->added_seq < b.second->added_seq;
  });
  stats_.copies_chosen += order.size();

  const uint8_t* inner = p.data.data() + pp.ip_offset;
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& [dest_id, crit] = order[i];
    if (i >= cfg_.max_duplicates) {
      ++stats_.copies_dropped_max_duplicates;
      if (trace_) tr.t.copies.push_back({dest_id, "max_duplicates"});
      cp_.duplicates_dropped(crit->csource_id);
      continue;
    }
    auto d = dests_.find(dest_id);
    if (d == dests_.end()) {
      ++stats_.copies_dropped_unknown_destination;
      if (trace_) tr.t.copies.push_back({dest_id, "unknown_destination"});
      continue;
    }
    hal_.consume_cycles(cfg_.costs.per_copy);
    Packet copy;
    copy.link = LinkType::RawIp;
    copy.unit = Unit::Copies;
    copy.id = p.id;
    copy.t_arrival_ps = p.t_arrival_ps;
    copy.cdest_id = dest_id;
    copy.data = encapsulate_ipip(inner, pp.ip_length,
                                 OuterHeader{cfg_.copy_source, d->second.address, d->second.ttl, ip_id_++});
    const size_t bytes = copy.data.size();
    const bool sent = hal_.transmit(std::move(copy));
    if (trace_) tr.t.copies.push_back({dest_id, sent ? "sent" : "tx_queue_full"});
    if (sent) {
      ++stats_.copies_sent;
      ++stats_.copies_per_destination[dest_id];
      stats_.bytes_per_destination[dest_id] += bytes;
    } else {
      ++stats_.copies_dropped_tx_queue;
    }
  }
  // Hit accounting last: it may delete criteria (packet/byte timeouts) and must not
  // invalidate the views used above.
  for (RuleId r : matched) cp_.account_hit(r, static_cast<uint32_t>(pp.ip_length));
}

}  // namespace dfc::fw
