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
      return it->second.rules;
    }
    // Criteria changed since this flow was classified: the cached result may be wrong.
    ++stats_.flow_stale;
  } else {
    ++stats_.flow_misses;
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
  if (pp.outcome != ParseOutcome::Ip) {
    hal_.consume_cycles(cfg_.costs.not_intercepted);
    ++stats_.not_intercepted[std::string(to_string(pp.outcome))];
    return;
  }
  // Copy the rule list: accounting below may delete criteria and bump the version.
  const std::vector<RuleId> rules = lookup(pp.key);
  hal_.consume_cycles(cfg_.costs.per_match * rules.size());

  // One copy per content destination (group, id); the destination's best criterion
  // (priority, then age) represents it when max-duplicates has to choose. Every matched
  // criterion is kept, so that a dropped copy is reported to each source that asked for it.
  struct Choice {
    const CriterionView* best;
    RuleId best_rule;
    std::vector<const CriterionView*> all;
  };
  std::map<DestKey, Choice> per_dest;
  std::vector<RuleId> matched;
  matched.reserve(rules.size());
  for (RuleId r : rules) {
    const CriterionView* c = cp_.criterion_for_rule(r);
    if (!c) continue;
    matched.push_back(r);
    auto [it, fresh] = per_dest.try_emplace(DestKey{c->group, c->cdest_id}, Choice{c, r, {}});
    it->second.all.push_back(c);
    if (!fresh) {
      const CriterionView* b = it->second.best;
      if (c->priority < b->priority || (c->priority == b->priority && c->added_seq < b->added_seq)) {
        it->second.best = c;
        it->second.best_rule = r;
      }
    }
  }
  if (matched.empty()) {
    ++stats_.packets_unmatched;
    return;
  }
  ++stats_.packets_matched;

  std::vector<std::pair<const DestKey*, const Choice*>> order;
  order.reserve(per_dest.size());
  for (auto& [dest, ch] : per_dest) order.emplace_back(&dest, &ch);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a.second->best->priority != b.second->best->priority) return a.second->best->priority < b.second->best->priority;
    return a.second->best->added_seq < b.second->best->added_seq;
  });
  stats_.copies_chosen += order.size();

  const uint8_t* inner = p.data.data() + pp.ip_offset;
  const uint32_t ip_len = static_cast<uint32_t>(pp.ip_length);
  std::map<uint32_t, uint32_t> chosen_in_group;  // max-duplicates is per capture group
  std::vector<RuleId> carried;                   // representative criterion of each copy
  for (const auto& [key, ch] : order) {
    const uint32_t g = key->group;
    const uint32_t limit = g < cfg_.group_max_duplicates.size() ? cfg_.group_max_duplicates[g] : cfg_.max_duplicates;
    if (chosen_in_group[g] >= limit) {
      ++stats_.copies_dropped_max_duplicates;
      // Each control source whose criteria matched into this destination is told (once).
      std::vector<const CriterionView*> told;
      for (const CriterionView* c : ch->all) {
        bool seen = false;
        for (const CriterionView* t : told) seen = seen || t->csource_id == c->csource_id;
        if (seen) continue;
        told.push_back(c);
        cp_.duplicates_dropped(*c);
      }
      continue;
    }
    ++chosen_in_group[g];
    auto d = dests_.find(*key);
    if (d == dests_.end()) {
      ++stats_.copies_dropped_unknown_destination;
      continue;
    }
    carried.push_back(ch->best_rule);
    const std::string& label = d->second.label.empty() ? key->cdest_id : d->second.label;
    hal_.consume_cycles(cfg_.costs.per_copy);
    Packet copy;
    copy.link = LinkType::RawIp;
    copy.unit = Unit::Copies;
    copy.id = p.id;
    copy.t_arrival_ps = p.t_arrival_ps;
    copy.cdest_id = label;
    copy.data = encapsulate_ipip(inner, pp.ip_length,
                                 OuterHeader{cfg_.copy_source, d->second.address, d->second.ttl, ip_id_++});
    const size_t bytes = copy.data.size();
    if (hal_.transmit(std::move(copy))) {
      ++stats_.copies_sent;
      ++stats_.copies_per_destination[label];
      stats_.bytes_per_destination[label] += bytes;
    } else {
      ++stats_.copies_dropped_tx_queue;
    }
  }
  // Accounting last: it may delete criteria (packet/byte timeouts) and must not invalidate
  // the views used above. Destination bandwidth once per copy; criterion statistics per hit.
  for (RuleId r : carried) cp_.account_copy(r, ip_len);
  for (RuleId r : matched) cp_.account_hit(r, ip_len);
}

}  // namespace dfc::fw
