// The packet match pipeline. Cost follows work: every step declares what it does to the
// HAL (Hal::work kinds, mem_read/mem_write at the modelled addresses of card_map.hpp); no
// step carries a cycle constant. Concurrency rules: docs/firmware-concurrency.md.
#include "dfc/fw/pipeline.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

#include "dfc/fw/ipip.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/util/raise.hpp"

namespace dfc::fw {

namespace {
constexpr uint16_t kUnknownDest = 0xffff;
constexpr size_t kOutcomes = 5;  // ParseOutcome values
// Criterion records and their counters are indexed by rule id modulo the region size.
constexpr uint64_t kCriterionSlots =
    (cardmap::COUNTERS_BASE - cardmap::CRITERIA_BASE) / cardmap::CRITERION_RECORD_BYTES;
constexpr uint64_t criterion_addr(RuleId r) {
  return cardmap::CRITERIA_BASE + (r % kCriterionSlots) * cardmap::CRITERION_RECORD_BYTES;
}
constexpr uint64_t counter_addr(RuleId r) {
  return cardmap::COUNTERS_BASE + (r % kCriterionSlots) * cardmap::COUNTER_RECORD_BYTES;
}
// Each copy is built in a transmit buffer (card_map.hpp TX_BUF_BASE): the firmware writes
// the outer header and the transmit descriptor; the egress DMA moves the payload. With the
// driver (docs/firmware-driver.md) the buffer is the one of the context's free transmit slot
// and the driver stores the descriptor. Without it (hosts without descriptor memory) each
// core cycles through its own kTxSlotsPerCore slots, so cores never share a buffer, and the
// descriptor is priced as a plain write next to the header.
constexpr uint32_t kCopyHeaderBytes = 20, kTxDescriptorBytes = 16;
constexpr uint64_t kTxSlotsPerCore = 256;
uint64_t tx_buf_addr(unsigned core, uint64_t k) {
  return cardmap::TX_BUF_BASE + (core * kTxSlotsPerCore + k % kTxSlotsPerCore) * cardmap::TX_BUF_BYTES;
}
constexpr uint16_t kNoName = 0xffff;
}  // namespace

// One content destination chosen for a packet: its best criterion (priority, then age).
struct Pipeline::Pick {
  uint32_t priority = 0;
  uint64_t added_seq = 0;
  RuleId rule = 0;
  uint32_t group = 0;  // capture group: max-duplicates applies per group
  uint16_t dest = kUnknownDest;
  bool dropped = false;  // by the group's max-duplicates
  bool carried = false;  // a copy was built (counts toward the destination's bandwidth)
  // An unknown destination's name: index in Core::unknown_names (a copy, not a pointer into
  // the criterion, which another core may delete between two HAL calls of resolve()).
  uint16_t unknown_name = kNoName;
};

// Everything a core touches without a lock: its flow table, its counters, its scratch
// buffers (reserved once; the per-packet path does not allocate while they fit).
struct Pipeline::Core {
  Core(Hal& h, size_t capacity, uint64_t base, size_t n_dests) : flows(h, capacity, base) {
    copies_per_dest.assign(n_dests, 0);
    bytes_per_dest.assign(n_dests, 0);
    rules.reserve(256);
    matched.reserve(256);
    picks.reserve(64);
  }
  FlowTable flows;
  // flows.size() as other threads read it (the memory thresholds, under the lock but not the
  // owner's): published by the owner after each change, read atomically.
  std::atomic<uint32_t> entries{0};
  PipelineStats s;  // scalars only; the maps stay empty
  std::array<uint64_t, kOutcomes> not_intercepted{};
  std::vector<uint64_t> copies_per_dest, bytes_per_dest;
  unsigned id = 0;
  uint32_t aged_epoch = 0;
  uint64_t tx_slot = 0;
  uint16_t ip_id = 0;
  std::vector<RuleId> rules, matched;
  std::vector<Pick> picks;
  std::vector<std::pair<uint32_t, uint32_t>> group_copies;  // (group, copies chosen) per packet
  std::vector<const std::string*> told;                     // sources told of a 598 drop
  std::vector<std::string> unknown_names;  // per packet; strings reused, no allocation once grown
  size_t n_unknown = 0;
  // --why: the trace of the packet in progress (null unless an observer is set), how the
  // flow table answered, and the picks' destination names (unknown ones included).
  PacketTrace* trace = nullptr;
  const char* flow = "";
  std::vector<std::string> pick_names;
};

// Reads shared criteria state (the classifier's entry map, the criteria by rule) without the
// criteria lock: `attempt` runs between two reads of the driver's sequence counter and is
// kept only if both are the same even value (no modification began or was under way). After
// kLockFreeAttempts failed attempts it runs once under the lock, where no writer can be
// (writers hold it), so a reader always finishes even under a stream of modifications.
// `attempt` must start from scratch (it may run several times) and must not hold a pointer
// into the shared state across one of its HAL calls: a writer may run there and free it.
template <class Attempt>
void Pipeline::read_criteria(Core& c, Attempt&& attempt) {
  for (unsigned i = 0; i < kLockFreeAttempts; ++i) {
    const uint32_t before = cls_.read_sequence();
    if (before & 1u) {
      // A modification is under way, and its writer holds the lock: wait for it there
      // (taken and given back at once) rather than spin through the attempts.
      ++c.s.criteria_read_waits;
      HwLock wait(hal_, cardmap::HW_LOCK_CRITERIA, "read_criteria.wait");
      continue;
    }
    // The attempt's reads may overlap a writer by design (the sequence check discards
    // them): the race checker is told not to check them (the writers it still checks).
    hal_.race_hint(Hal::RaceHint::SeqReadBegin);
    attempt();
    hal_.race_hint(Hal::RaceHint::SeqReadEnd);
    if (cls_.read_sequence() == before) return;
    ++c.s.criteria_read_retries;
  }
  ++c.s.criteria_read_fallbacks;
  HwLock l(hal_, cardmap::HW_LOCK_CRITERIA);
  attempt();
}

Pipeline::Pipeline(Hal& hal, ClassifierDriver& cls, ControlPlaneView& cp, PipelineConfig cfg)
    : hal_(hal), cls_(cls), cp_(cp), cfg_(cfg) {
  cfg_.cores = std::max(1u, std::min(cfg_.cores, kMaxCores));
  // Made here, before any handler runs: no lock needed.
  for (unsigned i = 0; i < cfg_.cores; ++i) make_core(i);
  n_cores_.exchange(cfg_.cores, std::memory_order_release);
}

Pipeline::~Pipeline() = default;

void Pipeline::make_core(unsigned id) {
  const uint64_t base = cardmap::FLOW_TABLE_BASE + id * cardmap::FLOW_TABLE_CORE_STRIDE;
  const size_t cap = (cfg_.flow_table_capacity + cfg_.cores - 1) / cfg_.cores;
  cores_[id] = std::make_unique<Core>(hal_, cap, base, dests_.size());
  cores_[id]->aged_epoch = aging_epoch_.load(std::memory_order_acquire);
  cores_[id]->id = id;
}

Pipeline::Core& Pipeline::core_at(unsigned id) {
  if (id < n_cores_.load(std::memory_order_acquire)) return *cores_[id];
  return add_cores(id);
}

// Tables are made at construction for cfg.cores cores; a host with more cores than it
// declared gets the extra tables on first use (one allocation per core, not per packet).
Pipeline::Core& Pipeline::add_cores(unsigned id) {
  if (id >= kMaxCores)
    raise<std::logic_error>("pipeline: hardware thread " + std::to_string(id) + " runs the firmware, but it keeps state for " +
                            std::to_string(kMaxCores) + " (Pipeline::kMaxCores); raise it for this card");
  // Two new cores may arrive at once: the states are made under the lock, each once.
  HwLock l(hal_, cardmap::HW_LOCK_CRITERIA);
  uint32_t n = n_cores_.load(std::memory_order_relaxed);
  for (; n <= id; ++n) make_core(n);
  n_cores_.exchange(n, std::memory_order_acq_rel);
  return *cores_[id];
}

void Pipeline::set_destinations(const std::map<std::string, CopyDestination>& d) {
  std::map<DestKey, CopyDestination> g;
  for (const auto& [id, cd] : d) g[DestKey{0, id}] = cd;
  set_destinations(g);
}

void Pipeline::set_destinations(const std::map<DestKey, CopyDestination>& d) {
  dests_.clear();
  dest_ix_.clear();
  for (const auto& [k, cd] : d) {
    dest_ix_.emplace(k, static_cast<uint16_t>(dests_.size()));
    dests_.push_back(Dest{k, cd.label.empty() ? k.cdest_id : cd.label, cd});
  }
  const uint32_t n = n_cores_.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < n; ++i) {
    cores_[i]->copies_per_dest.assign(dests_.size(), 0);
    cores_[i]->bytes_per_dest.assign(dests_.size(), 0);
  }
}

uint16_t Pipeline::dest_index(const DestKey& k) const {
  auto it = dest_ix_.find(k);
  return it == dest_ix_.end() ? kUnknownDest : it->second;
}

void Pipeline::age_core(Core& c, unsigned slices, uint32_t epoch) {
  c.aged_epoch = epoch;
  c.s.flow_evictions += c.flows.age(hal_.now_ns(), cfg_.flow_idle_ns, slices);
  c.s.flow_entries = c.flows.size();
  c.entries.exchange(static_cast<uint32_t>(c.flows.size()), std::memory_order_relaxed);
}

void Pipeline::age_flows(unsigned slices) {
  Core& c = core_at(hal_.core_id());
  aging_slices_.exchange(slices, std::memory_order_relaxed);
  const uint32_t epoch = aging_epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;
  age_core(c, slices, epoch);
}

size_t Pipeline::lookup(Core& c, const FlowKey& key) {
  const uint64_t now = hal_.now_ns();
  // The version is a word the control thread writes: its load is declared (CRITERIA_VERSION) so
  // that the platform orders it against an install or removal, as the sequence counter's is.
  hal_.mem_read(cardmap::CRITERIA_VERSION, 4);
  const uint64_t version = cp_.criteria_version();  // one word; read before classifying
  hal_.work(Hal::Work::Hash);
  const size_t h = FlowKeyHash{}(key);
  size_t slot = 0;
  FlowTable::Entry* e = c.flows.find(key, h, slot);
  if (e) {
    e->last_used_ns = now;
    hal_.mem_write(c.flows.addr_of(e), 16);
    if (e->version == version) {
      ++c.s.flow_hits;
      c.flow = "hit";
      if (!e->overflow) {
        c.rules.assign(e->rules, e->rules + e->n_rules);
        return c.rules.size();
      }
      ++c.s.flow_rule_overflows;
      hal_.work(Hal::Work::ClassifyKey);
      read_criteria(c, [&] { cls_.classify(key.words(), c.rules); });
      return c.rules.size();
    }
    // Criteria changed since this flow was classified: the cached result may be wrong.
    ++c.s.flow_stale;
    c.flow = "stale";
  } else {
    ++c.s.flow_misses;
    c.flow = "miss";
    if (c.flows.size() >= c.flows.capacity()) {
      age_core(c, 1, aging_epoch_.load(std::memory_order_acquire));  // full: the whole table, now
      if (c.flows.size() >= c.flows.capacity()) {
        // Still full of live flows: start over rather than refuse to cache (counted).
        c.s.flow_evictions += c.flows.clear();
      }
      c.flows.find(key, h, slot);
    }
    e = c.flows.insert(key, slot);
    e->last_used_ns = now;
  }
  // The driver's entry map is shared with the control plane (another core may install or
  // remove criteria meanwhile): the lookup and its translation are validated by the
  // sequence counter instead of serialised by the lock, so the hardware threads' lookups
  // overlap in the classifier's pipeline.
  hal_.work(Hal::Work::ClassifyKey);
  read_criteria(c, [&] { cls_.classify(key.words(), c.rules); });
  e->overflow = c.rules.size() > FlowTable::kInlineRules;
  e->n_rules = e->overflow ? 0 : static_cast<uint8_t>(c.rules.size());
  std::copy_n(c.rules.begin(), e->n_rules, e->rules);
  e->version = version;
  hal_.mem_write(c.flows.addr_of(e), FlowTable::kBucketBytes);
  c.s.flow_entries = c.flows.size();
  c.entries.exchange(static_cast<uint32_t>(c.flows.size()), std::memory_order_relaxed);
  c.s.flow_entries_peak = std::max<uint64_t>(c.s.flow_entries_peak, c.flows.size());
  return c.rules.size();
}

// Maps the packet's rules to criteria and chooses one pick per content destination, in copy
// order. CriterionView pointers are only valid until the next HAL call (another core may
// delete the criterion then; the sequence check discards such an attempt), so everything the
// copies need later is copied into the picks here.
bool Pipeline::resolve(Core& c, size_t n_rules) {
  const size_t traced = c.trace ? c.trace->criteria.size() : 0;
  read_criteria(c, [&] {
    c.matched.clear();
    c.picks.clear();
    c.n_unknown = 0;
    if (c.trace) c.trace->criteria.resize(traced);
    for (size_t i = 0; i < n_rules; ++i) resolve_rule(c, c.rules[i]);
  });
  // (priority, install order) is a total order over distinct criteria: no ties to keep.
  std::sort(c.picks.begin(), c.picks.end(), [](const Pick& a, const Pick& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.added_seq < b.added_seq;
  });
  if (c.trace) {
    c.pick_names.clear();
    for (const Pick& pk : c.picks)
      c.pick_names.push_back(pk.dest == kUnknownDest ? c.unknown_names[pk.unknown_name] : dests_[pk.dest].label);
  }
  return !c.matched.empty();
}

// One rule of the packet: its criterion (if still installed) competes for its destination.
void Pipeline::resolve_rule(Core& c, RuleId r) {
  hal_.work(Hal::Work::MatchResolve);
  hal_.mem_read(criterion_addr(r), cardmap::CRITERION_RECORD_BYTES);
  // No HAL call from here to the end: cv stays valid throughout.
  const CriterionView* cv = cp_.criterion_for_rule(r);
  if (!cv) return;
  c.matched.push_back(r);
  if (c.trace) c.trace->criteria.push_back(*cv);
  // A destination is (capture group, id): groups may reuse ids for different addresses.
  const uint16_t d = dest_index(DestKey{cv->group, cv->cdest_id});
  auto same = [&](const Pick& pk) {
    return pk.dest == d &&
           (d != kUnknownDest || (pk.group == cv->group && c.unknown_names[pk.unknown_name] == cv->cdest_id));
  };
  auto it = std::find_if(c.picks.begin(), c.picks.end(), same);
  Pick cand;
  cand.priority = cv->priority;
  cand.added_seq = cv->added_seq;
  cand.rule = r;
  cand.group = cv->group;
  cand.dest = d;
  if (it != c.picks.end()) {
    cand.unknown_name = it->unknown_name;  // the same destination, so the same name
  } else if (d == kUnknownDest) {
    if (c.n_unknown == c.unknown_names.size()) c.unknown_names.emplace_back();
    c.unknown_names[c.n_unknown] = cv->cdest_id;
    cand.unknown_name = static_cast<uint16_t>(c.n_unknown++);
  }
  if (it == c.picks.end()) {
    c.picks.push_back(cand);
  } else if (cand.priority < it->priority ||
             (cand.priority == it->priority && cand.added_seq < it->added_seq)) {
    *it = cand;
  }
}

void Pipeline::send_copies(Core& c, const Packet& p, const ParsedPacket& pp) {
  c.s.copies_chosen += c.picks.size();
  const uint8_t* inner = p.bytes() + pp.ip_offset;
  c.group_copies.clear();
  for (size_t i = 0; i < c.picks.size(); ++i) {
    Pick& pk = c.picks[i];
    auto g = std::find_if(c.group_copies.begin(), c.group_copies.end(),
                          [&](const auto& gc) { return gc.first == pk.group; });
    if (g == c.group_copies.end()) g = c.group_copies.insert(g, {pk.group, 0});
    const uint32_t limit =
        pk.group < cfg_.group_max_duplicates.size() ? cfg_.group_max_duplicates[pk.group] : cfg_.max_duplicates;
    if (g->second >= limit) {
      pk.dropped = true;
      ++c.s.copies_dropped_max_duplicates;
      if (c.trace) c.trace->copies.push_back({c.pick_names[i], "max_duplicates"});
      continue;
    }
    ++g->second;
    if (pk.dest == kUnknownDest) {
      ++c.s.copies_dropped_unknown_destination;
      if (c.trace) c.trace->copies.push_back({c.pick_names[i], "unknown_destination"});
      continue;
    }
    const Dest& d = dests_[pk.dest];
    pk.carried = true;
    // With the driver, the copy is built in the buffer of a free transmit slot (none: the
    // ring is full, nothing is built) and the driver's stores write the descriptor.
    const uint64_t buf = drv_ ? drv_->tx_acquire() : tx_buf_addr(c.id, c.tx_slot++);
    if (buf == 0) {
      ++c.s.copies_dropped_tx_queue;
      if (c.trace) c.trace->copies.push_back({d.label, "tx_queue_full"});
      Packet lost;  // for the drop trace only: which packet's copy to which destination
      lost.unit = Unit::Copies;
      lost.id = p.id;
      lost.cdest_id = d.label;
      lost.data = encapsulate_ipip(inner, pp.ip_length, OuterHeader{cfg_.copy_source, d.d.address, d.d.ttl, 0});
      hal_.copy_dropped(lost, "tx_ring_full");
      continue;
    }
    hal_.work(Hal::Work::CopyBuild);
    hal_.mem_write(buf, kCopyHeaderBytes + (drv_ ? 0 : kTxDescriptorBytes));
    // The copy's bytes leave the firmware with it (Hal::transmit takes ownership), so its
    // buffer is the one allocation per copy.
    Packet copy;
    copy.link = LinkType::RawIp;
    copy.unit = Unit::Copies;
    copy.id = p.id;
    copy.t_arrival_ps = p.t_arrival_ps;
    copy.cdest_id = d.label;
    copy.data = encapsulate_ipip(inner, pp.ip_length,
                                 OuterHeader{cfg_.copy_source, d.d.address, d.d.ttl, c.ip_id++});
    const size_t bytes = copy.data.size();
    hal_.work(Hal::Work::CopyByte, bytes);  // the inner packet copied in (the image: and to its buffer)
    const bool sent = drv_ ? drv_->tx_post(std::move(copy)) : hal_.transmit(std::move(copy));
    if (c.trace) c.trace->copies.push_back({d.label, sent ? "sent" : "tx_queue_full"});
    if (sent) {
      ++c.s.copies_sent;
      ++c.copies_per_dest[pk.dest];
      c.bytes_per_dest[pk.dest] += bytes;
    } else {
      ++c.s.copies_dropped_tx_queue;
    }
  }
}

void Pipeline::process(const Packet& p) {
#ifdef DFC_EXTRA_PACKET_WORK
  // Deliberate extra work in the packet handler, compiled only into the test image
  // dfc_firmware_extra_work.elf (firmware/image/CMakeLists.txt): 3,000 loop iterations that
  // nothing annotates. In ISS mode the card's throughput must fall with no Hal::work() change.
  for (volatile unsigned i = 0; i < 3000; i = i + 1) {
  }
#endif
  Core& c = core_at(hal_.core_id());
  const uint32_t epoch = aging_epoch_.load(std::memory_order_acquire);
  if (c.aged_epoch != epoch) age_core(c, aging_slices_.load(std::memory_order_relaxed), epoch);
  ++c.s.packets_in;
  c.s.bytes_in += p.length();
  const ParsedPacket pp = parse_packet(p);
  if (pp.header_bytes) hal_.mem_read(p.buf_addr, pp.header_bytes);
  hal_.work(Hal::Work::HeaderByte, pp.header_bytes);
  hal_.work(Hal::Work::HeaderDecode, pp.headers);
  // The observer (if any) gets the trace when this function returns, whichever way.
  struct Emit {
    const PacketTraceFn& fn;
    Core& c;
    PacketTrace t;
    ~Emit() {
      if (fn) fn(t);
      c.trace = nullptr;
    }
  } tr{trace_, c, {}};
  if (trace_) {
    tr.t.packet_id = p.id, tr.t.core = hal_.core_id(), tr.t.parsed = pp;
    c.trace = &tr.t;
  }
  if (pp.outcome != ParseOutcome::Ip) {
    ++c.not_intercepted[static_cast<size_t>(pp.outcome)];
    return;
  }
  const size_t n = lookup(c, pp.key);
  if (c.trace) tr.t.flow = c.flow, tr.t.rules.assign(c.rules.begin(), c.rules.begin() + static_cast<long>(n));
  if (n == 0 || !resolve(c, n)) {
    ++c.s.packets_unmatched;
    return;
  }
  ++c.s.packets_matched;
  send_copies(c, p, pp);
  // Accounting last, under the lock: it may delete criteria (packet/byte timeouts). A
  // criterion deleted by another core since resolve() is no longer looked up or counted.
  // With this section removed (fault injection, hal.hpp; the test image
  // dfc_firmware_no_packet_lock.elf) several data threads update the same criterion and
  // destination counters unlocked, which the race checker must report. Its deletions
  // (congestion.cpp) and its 598 notifications (tell_dropped) still lock then, so that the
  // firmware runs on to report the race instead of falling over in a half-changed map.
  HwLock l(hal_, cardmap::HW_LOCK_CRITERIA);
  const uint32_t ip_len = static_cast<uint32_t>(pp.ip_length);
  for (const Pick& pk : c.picks) {
    if (pk.carried) cp_.account_copy(pk.rule, ip_len);  // destination bandwidth: once per copy
    if (!pk.dropped) continue;
    DFC_FAULT_RELOCK(hal_, cardmap::HW_LOCK_CRITERIA, "process");
    tell_dropped(c, pk);
  }
  for (RuleId r : c.matched) {
    hal_.work(Hal::Work::HitAccount);
    hal_.mem_read(counter_addr(r), 16);
    hal_.mem_write(counter_addr(r), 16);
    cp_.account_hit(r, ip_len);
  }
}

// A copy dropped by max-duplicates: each control source with a criterion that matched this
// packet into that destination is told once (598). Runs under the criteria lock.
void Pipeline::tell_dropped(Core& c, const Pick& pk) {
  const CriterionView* rep = cp_.criterion_for_rule(pk.rule);
  c.told.clear();
  for (RuleId r : c.matched) {
    const CriterionView* cv = cp_.criterion_for_rule(r);
    if (!cv || cv->group != pk.group) continue;
    const bool same_dest = pk.dest != kUnknownDest ? dest_index(DestKey{cv->group, cv->cdest_id}) == pk.dest
                                                   : rep && rep->cdest_id == cv->cdest_id;
    if (!same_dest) continue;
    if (std::any_of(c.told.begin(), c.told.end(), [&](const std::string* s) { return *s == cv->csource_id; }))
      continue;
    c.told.push_back(&cv->csource_id);
    cp_.duplicates_dropped(*cv);
  }
}

// Any thread (the memory thresholds, the timer): each core's published count.
uint64_t Pipeline::flow_entries() const {
  uint64_t total = 0;
  const uint32_t n = n_cores_.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < n; ++i) total += cores_[i]->entries.load(std::memory_order_relaxed);
  return total;
}

const PipelineStats& Pipeline::stats() const {
  PipelineStats t;
  const uint32_t n_cores = n_cores_.load(std::memory_order_acquire);
  for (uint32_t ci = 0; ci < n_cores; ++ci) {
    const Core& c = *cores_[ci];
    const PipelineStats& s = c.s;
    t.packets_in += s.packets_in;
    t.bytes_in += s.bytes_in;
    t.packets_matched += s.packets_matched;
    t.packets_unmatched += s.packets_unmatched;
    t.copies_chosen += s.copies_chosen;
    t.copies_sent += s.copies_sent;
    t.copies_dropped_max_duplicates += s.copies_dropped_max_duplicates;
    t.copies_dropped_unknown_destination += s.copies_dropped_unknown_destination;
    t.copies_dropped_tx_queue += s.copies_dropped_tx_queue;
    t.flow_hits += s.flow_hits;
    t.flow_misses += s.flow_misses;
    t.flow_stale += s.flow_stale;
    t.flow_evictions += s.flow_evictions;
    t.flow_entries += c.flows.size();
    // Per-core peaks summed: exact on one core, an upper bound of the card's peak otherwise.
    t.flow_entries_peak += s.flow_entries_peak;
    t.flow_rule_overflows += s.flow_rule_overflows;
    t.criteria_read_retries += s.criteria_read_retries;
    t.criteria_read_fallbacks += s.criteria_read_fallbacks;
    t.criteria_read_waits += s.criteria_read_waits;
    for (size_t o = 0; o < kOutcomes; ++o)
      if (c.not_intercepted[o])
        t.not_intercepted[std::string(to_string(static_cast<ParseOutcome>(o)))] += c.not_intercepted[o];
    for (size_t d = 0; d < dests_.size() && d < c.copies_per_dest.size(); ++d) {
      if (!c.copies_per_dest[d]) continue;
      t.copies_per_destination[dests_[d].label] += c.copies_per_dest[d];
      t.bytes_per_destination[dests_[d].label] += c.bytes_per_dest[d];
    }
  }
  stats_ = std::move(t);
  return stats_;
}

}  // namespace dfc::fw
