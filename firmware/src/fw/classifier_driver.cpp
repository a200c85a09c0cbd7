// Classifier driver: entry allocation in rule order, atomic install/remove, multi-match
// classification; turning MatchTerms into entries and range-check units is classifier_rules.cpp.
// Talks to the block only through Hal::bus_write/bus_read and the register map of
// dfc/hal/classifier_abi.hpp. See docs/classifier.md for the design.
//
// Invariants kept at every point a lookup can observe (i.e. after every single bus write):
//  * Entry order = rule order: for used entries i < j, (prio, seq, kind)(i) <= (...)(j), where
//    seq is the install sequence number and kind puts a rule's exclusion entries before its
//    positive ones. So a saturated result (more than CLS_MAX_RESULTS matches) still holds the
//    highest-priority rules; the rest are evaluated in software (exact, just slower).
//  * A rule is either fully visible or not at all: multi-entry rules are written under the
//    disabled staging group and made visible with one group-enable write; they are removed
//    by moving them back into the staging group (visibility unchanged) and disabling it.
//  * Moving an entry writes the copy first, then invalidates the original; the rule stays
//    matched throughout and classify() dedups.
#include "dfc/fw/classifier_driver.hpp"

#include <atomic>

#include "classifier_rules.hpp"
#include "dfc/hal/card_map.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>

namespace dfc::fw {

using namespace dfc::abi;

namespace {

constexpr RuleId kNoRule = std::numeric_limits<RuleId>::max();
constexpr uint32_t kLiveGroup = 0;   // always enabled: installed rules live here
constexpr uint32_t kStageGroup = 1;  // disabled except during an install/remove

// A unit is written in one burst: field, lo, hi (the commit) at consecutive words.
static_assert(CLS_RANGE_LO_OFF == CLS_RANGE_FIELD_OFF + 4 && CLS_RANGE_HI_OFF == CLS_RANGE_LO_OFF + 4,
              "range-unit words are consecutive");

}  // namespace

struct ClassifierDriver::Impl final : detail::RangeUnitSource {
  using Order = std::pair<uint32_t, uint64_t>;  // (priority, install sequence)
  struct Slot {
    RuleId rule = kNoRule;
    bool exclude = false;
    Order order{};
    Entry entry{};
  };
  struct Unit {
    RangeField field = RangeField::Disabled;
    uint16_t lo = 0, hi = 0;
    uint32_t refs = 0;
  };
  struct Rule {
    uint32_t prio = 0;
    uint64_t seq = 0;
    std::vector<MatchTerm> terms;
    std::vector<uint32_t> slots;  // entry indices (kept up to date on moves)
    std::vector<unsigned> units;  // range units referenced (one per reference)
  };

  Hal& hal;
  uint32_t depth = 0;
  std::vector<Slot> slots;
  std::vector<Unit> units{RANGE_UNITS};
  std::unordered_map<RuleId, Rule> rules;
  std::map<Order, RuleId> by_order;
  RuleId next_id = 1;
  uint64_t next_seq = 0;
  size_t used = 0;
  uint64_t moves = 0;     // entries moved to keep priority order (benchmark counter)
  uint64_t respreads = 0;  // of which whole-table respreads (see place)
  // The sequence counter (even: no modification under way). Written only by writers, under
  // HW_LOCK_CRITERIA; read by every data thread without it, so it is an atomic word. Every
  // access is an atomic read-modify-write (LL/SC on the card): its ordering is what the
  // sequence lock needs without a fence, and the race checker sees each one as an atomic
  // access of that word on both targets (an image's plain load would be a data read).
  std::atomic<uint32_t> seq{0};
  unsigned update_depth = 0;  // the writer's nesting (under the lock)

  // The bump comes before the first write of a modification and after its last: a reader
  // whose two reads of the counter agree (and are even) saw none of it. Going odd is an
  // acquire (the modification's writes stay after it), going even a release (they stay
  // before it).
  void begin_update() {
    if (update_depth++ > 0) return;
    seq.fetch_add(1, std::memory_order_acq_rel);
    hal.mem_write(ClassifierDriver::sequence_addr(), 4);
  }
  void end_update() {
    if (update_depth == 0 || --update_depth > 0) return;
    seq.fetch_add(1, std::memory_order_release);
    hal.mem_write(ClassifierDriver::sequence_addr(), 4);
  }

  explicit Impl(Hal& h) : hal(h) {
    depth = hal.reg_read(CLS_DEPTH);
    if (depth > CLS_MAX_DEPTH) depth = CLS_MAX_DEPTH;
    slots.resize(depth);
    // Reset state the driver relies on: no valid entry, no unit, live group on, stage off.
    for (uint32_t i = 0; i < depth; ++i) write_slot_raw(i, Entry{});
    for (unsigned u = 0; u < RANGE_UNITS; ++u) write_unit(u, RangeField::Disabled, 0, 0);
    set_group(kStageGroup, false);
    set_group(kLiveGroup, true);
  }

  // ---- register access ----
  void write_slot_raw(uint32_t i, const Entry& e) {
    uint32_t w[2 * ENTRY_WORDS + 1];
    for (unsigned j = 0; j < ENTRY_WORDS; ++j) {
      w[j] = e.value[j];
      w[ENTRY_WORDS + j] = e.mask[j];
    }
    w[2 * ENTRY_WORDS] =
        (e.valid ? CLS_ENTRY_VALID : 0u) | ((e.group & CLS_ENTRY_GROUP_MAX) << CLS_ENTRY_GROUP_SHIFT);
    hal.bus_write(CLS_ENTRY + i * CLS_ENTRY_STRIDE, w, 2 * ENTRY_WORDS + 1);
  }
  void invalidate(uint32_t i) {
    // Committing with valid = 0 hides the entry whatever the staged words hold.
    const uint32_t ctrl = 0;
    hal.bus_write(CLS_ENTRY + i * CLS_ENTRY_STRIDE + CLS_ENTRY_CTRL_OFF, &ctrl, 1);
  }
  void write_unit(unsigned u, RangeField f, uint16_t lo, uint16_t hi) {
    const uint32_t w[3] = {static_cast<uint32_t>(f), lo, hi};
    hal.bus_write(CLS_RANGE + u * CLS_RANGE_STRIDE + CLS_RANGE_FIELD_OFF, w, 3);
  }
  void set_group(uint32_t g, bool en) {
    hal.reg_write(CLS_GROUP_EN + g * CLS_GROUP_EN_STRIDE, en ? CLS_GROUP_EN_ON : 0u);
  }

  // ---- range units ----
  int acquire(RangeField f, uint16_t lo, uint16_t hi) override {
    int free_idx = -1, stale_same = -1;
    for (unsigned u = 0; u < RANGE_UNITS; ++u) {
      Unit& x = units[u];
      const bool same = x.field == f && x.lo == lo && x.hi == hi;
      if (same && x.refs > 0) {
        ++x.refs;
        return static_cast<int>(u);
      }
      if (x.refs == 0) {
        if (same && stale_same < 0) stale_same = static_cast<int>(u);
        if (free_idx < 0) free_idx = static_cast<int>(u);
      }
    }
    const int u = stale_same >= 0 ? stale_same : free_idx;
    if (u < 0) return -1;
    Unit& x = units[static_cast<unsigned>(u)];
    if (!(x.field == f && x.lo == lo && x.hi == hi)) {
      write_unit(static_cast<unsigned>(u), f, lo, hi);  // unreferenced: invisible to entries
      x.field = f;
      x.lo = lo;
      x.hi = hi;
    }
    x.refs = 1;
    return u;
  }
  void release_units(const std::vector<unsigned>& list) {
    for (unsigned u : list)
      if (units[u].refs > 0) --units[u].refs;
  }
  size_t units_in_use() const {
    size_t n = 0;
    for (const Unit& u : units) n += u.refs > 0;
    return n;
  }

  // ---- placement ----
  // Order of a used slot: (prio, seq) of its rule, then exclusion entries before positive.
  const Order& slot_order(uint32_t i) const { return slots[i].order; }
  bool is_used(uint32_t i) const { return slots[i].rule != kNoRule; }

  // Moves entry i to free slot j (copy first, then invalidate: atomic for lookups).
  void move(uint32_t i, uint32_t j) {
    ++moves;
    Slot s = slots[i];
    write_slot_raw(j, s.entry);
    slots[j] = s;
    invalidate(i);
    slots[i] = Slot{};
    for (uint32_t& x : rules.at(s.rule).slots)
      if (x == i) {
        x = j;
        break;
      }
  }

  static constexpr size_t kRespreadAbove = 32;  // moves per insert that trigger a respread

  // Entries that must move to free `need` slots by shifting away from `from` in direction
  // dir (+1: from U toward the end, -1: from L toward the start); SIZE_MAX when impossible.
  size_t shift_cost(int64_t from, int dir, size_t need) const {
    size_t moved = 0, found = 0;
    for (int64_t i = from; i >= 0 && i < static_cast<int64_t>(depth) && found < need; i += dir)
      ++(is_used(static_cast<uint32_t>(i)) ? moved : found);
    return found < need ? SIZE_MAX : moved;
  }

  // Pulls the entries of [G, L] toward the start so that `need` slots after them are free;
  // returns the new L.
  int64_t open_left(int64_t L, size_t need) {
    int64_t G = L, got = 0;
    for (int64_t i = L; i >= 0 && static_cast<size_t>(got) < need; --i) {
      if (!is_used(static_cast<uint32_t>(i))) ++got;
      G = i;
    }
    int64_t target = G;
    for (int64_t i = G; i <= L; ++i) {
      if (!is_used(static_cast<uint32_t>(i))) continue;
      if (i != target) move(static_cast<uint32_t>(i), static_cast<uint32_t>(target));
      ++target;
    }
    return target - 1;
  }

  // Spreads the used entries evenly over the table with k free slots right after slot L (the
  // last entry ordered before the new rule) and returns those slots. Entries moving toward
  // the start move first, front to back, then those moving toward the end, back to front:
  // every destination is free when written and no entry passes another, so the order
  // invariant holds after every write.
  std::vector<uint32_t> respread(int64_t L, size_t k) {
    std::vector<uint32_t> pos;
    pos.reserve(used);
    size_t before = 0;  // used entries at or before L
    for (uint32_t i = 0; i < depth; ++i)
      if (is_used(i)) {
        pos.push_back(i);
        if (static_cast<int64_t>(i) <= L) ++before;
      }
    const uint64_t total = pos.size() + k;
    auto target = [&](uint64_t m) { return static_cast<uint32_t>(m * depth / total); };
    auto target_of = [&](size_t e) { return target(e < before ? e : e + k); };
    for (size_t e = 0; e < pos.size(); ++e)
      if (target_of(e) < pos[e]) move(pos[e], target_of(e));
    for (size_t e = pos.size(); e-- > 0;)
      if (target_of(e) > pos[e]) move(pos[e], target_of(e));
    std::vector<uint32_t> out;
    for (size_t m = 0; m < k; ++m) out.push_back(target(before + m));
    ++respreads;
    return out;
  }

  // Finds k free slots for a rule of order `o`, moving other entries if needed, such that
  // the order invariant holds. Returns the slot indices ascending. Requires k <= free slots.
  std::vector<uint32_t> place(const Order& o, size_t k) {
    // L = last used slot ordered before o, U = first used slot ordered after o: the last
    // slot of the nearest preceding rule that has entries and the first slot of the nearest
    // following one, from the rule-order index (the slots are in rule order, so everything
    // between them is free). O(log rules) instead of a scan of the table per install.
    int64_t L = -1;
    int64_t U = depth;
    const auto at = by_order.find(o);
    for (auto p = at; p != by_order.begin();) {
      const Rule& r = rules.at((--p)->second);
      if (!r.slots.empty()) {
        L = *std::max_element(r.slots.begin(), r.slots.end());
        break;
      }
    }
    if (at != by_order.end())
      for (auto n = std::next(at); n != by_order.end(); ++n) {
        const Rule& r = rules.at(n->second);
        if (!r.slots.empty()) {
          U = *std::min_element(r.slots.begin(), r.slots.end());
          break;
        }
      }
    size_t gap = static_cast<size_t>(U - L - 1);  // all free by construction
    if (gap < k) {
      // Shifting toward the nearest free slots costs one move per entry in the way. When
      // both sides are crowded, spread all entries evenly over the table instead (one move
      // per entry, then cheap inserts for a while): random priority order stays at a few
      // moves per insert instead of half the table.
      const size_t need = k - gap;
      const size_t right = shift_cost(U, +1, need), left = shift_cost(L, -1, need);
      if (std::min(right, left) > kRespreadAbove) return respread(L, k);
      if (left < right) {
        L = open_left(L, need);
        gap = k;
      }
    }
    if (gap < k) {
      // Open room after U: push the entries of [U, F] to the end of that range.
      size_t need = k - gap;
      int64_t F = U, found = 0;
      for (int64_t i = U; i < depth && static_cast<size_t>(found) < need; ++i) {
        if (!is_used(static_cast<uint32_t>(i))) ++found;
        F = i;
      }
      if (found > 0) {
        int64_t target = F;
        for (int64_t i = F; i >= U; --i) {
          if (!is_used(static_cast<uint32_t>(i))) continue;
          if (i != target) move(static_cast<uint32_t>(i), static_cast<uint32_t>(target));
          --target;
        }
        U = target + 1;
        need -= static_cast<size_t>(found);
      }
      if (need > 0) L = open_left(L, need);  // then open room before L
    }
    std::vector<uint32_t> out;
    for (int64_t i = L + 1; i < U && out.size() < k; ++i) out.push_back(static_cast<uint32_t>(i));
    return out;
  }

  std::optional<RuleId> install(const std::vector<MatchTerm>& terms, uint32_t prio) {
    const size_t free_slots = depth - used;
    std::vector<Entry> excl_entries, pos_entries;
    std::vector<unsigned> units_taken;
    bool ok = true;
    for (const MatchTerm& t : terms) {
      if (!t.exclude) continue;
      ok = ok && detail::compile_term(t, free_slots, *this, excl_entries, units_taken);
    }
    for (const MatchTerm& t : terms) {
      if (t.exclude) continue;
      ok = ok && detail::compile_term(t, free_slots - std::min(free_slots, excl_entries.size()), *this,
                                      pos_entries, units_taken);
    }
    if (pos_entries.empty()) excl_entries.clear();  // never matches: exclusions are moot
    if (!ok || excl_entries.size() + pos_entries.size() > free_slots) {
      release_units(units_taken);
      return std::nullopt;
    }
    if (pos_entries.empty()) {
      release_units(units_taken);
      units_taken.clear();
    }
    const RuleId id = next_id++;
    if (next_id == kNoRule) next_id = 1;
    Rule& r = rules[id];
    r.prio = prio;
    r.seq = next_seq++;
    r.terms = terms;
    r.units = std::move(units_taken);
    by_order[{r.prio, r.seq}] = id;
    const size_t k = excl_entries.size() + pos_entries.size();
    if (k == 0) return id;
    const std::vector<uint32_t> where = place({r.prio, r.seq}, k);
    const bool staged = k > 1;
    const uint32_t group = staged ? kStageGroup : kLiveGroup;
    for (size_t n = 0; n < k; ++n) {
      const bool ex = n < excl_entries.size();
      Entry e = ex ? excl_entries[n] : pos_entries[n - excl_entries.size()];
      e.group = static_cast<uint16_t>(group);
      e.valid = true;
      write_slot_raw(where[n], e);
      Slot& s = slots[where[n]];
      s.rule = id;
      s.exclude = ex;
      s.order = {r.prio, r.seq};
      s.entry = e;
      s.entry.group = static_cast<uint16_t>(kLiveGroup);
      r.slots.push_back(where[n]);
    }
    used += k;
    if (staged) {
      set_group(kStageGroup, true);  // the rule appears: one write
      for (uint32_t i : r.slots) write_slot_raw(i, slots[i].entry);  // retag into live group
      set_group(kStageGroup, false);
    }
    return id;
  }

  void remove(RuleId id) {
    auto it = rules.find(id);
    if (it == rules.end()) return;
    Rule& r = it->second;
    if (r.slots.size() > 1) {
      set_group(kStageGroup, true);
      for (uint32_t i : r.slots) {
        Entry e = slots[i].entry;
        e.group = static_cast<uint16_t>(kStageGroup);
        write_slot_raw(i, e);
      }
      set_group(kStageGroup, false);  // the rule disappears: one write
    }
    for (uint32_t i : r.slots) {
      invalidate(i);
      slots[i] = Slot{};
    }
    used -= r.slots.size();
    release_units(r.units);
    by_order.erase({r.prio, r.seq});
    rules.erase(it);
  }

  // Lookup through the current core's lookup context (card_map.hpp), so cores never share
  // a key or result window. Callers without the criteria lock validate the result with the
  // sequence counter (read_sequence before and after): the translation below reads the entry
  // map as it is after the result read, which a concurrent update may have changed. Allocation-free once `out` has capacity: the per-entry hits are
  // collected in a fixed array and ordered by rule order in place.
  void classify(const KeyWords& key, std::vector<RuleId>& out) {
    out.clear();
    const uint32_t ctx = (hal.core_id() % cardmap::CLS_CONTEXTS) * cardmap::CLS_CTX_STRIDE;
    hal.bus_write(CLS_KEY + ctx, key.data(), KEY_IN_WORDS);
    uint32_t res[CLS_MAX_RESULTS + 1];
    hal.bus_read(CLS_RESULT + ctx, res, 1);
    const uint32_t n = std::min<uint32_t>(res[0] & ~CLS_RESULT_OVERFLOW, CLS_MAX_RESULTS);
    if (n > 0) hal.bus_read(CLS_RESULT + ctx + CLS_RESULT_MATCHES_OFF, res + 1, n);
    struct Hit {
      Order order;
      RuleId rule;
      bool exclude;
    };
    Hit hit[CLS_MAX_RESULTS];
    size_t nh = 0;
    for (uint32_t j = 1; j <= n; ++j) {
      const uint32_t i = res[j];
      if (i >= depth || !is_used(i)) continue;  // stale: freed since the lookup (see read_sequence)
      hit[nh++] = Hit{slots[i].order, slots[i].rule, slots[i].exclude};
    }
    // Per rule (entries of one rule share its order): matched a positive entry and no
    // exclusion entry.
    std::sort(hit, hit + nh, [](const Hit& a, const Hit& b) { return a.order < b.order; });
    auto emit_rules = [&](bool (*keep)(const Order&, const Order&), const Order& limit) {
      for (size_t a = 0; a < nh;) {
        size_t b = a;
        bool pos = false, excl = false;
        for (; b < nh && hit[b].order == hit[a].order; ++b) (hit[b].exclude ? excl : pos) = true;
        if (pos && !excl && keep(hit[a].order, limit)) out.push_back(hit[a].rule);
        a = b;
      }
    };
    if (res[0] & CLS_RESULT_OVERFLOW) {
      // Saturated: rules ordered before the last reported entry's rule are exact; evaluate
      // the rest in software.
      // Without the criteria lock the map may have changed since the lookup: the caller's
      // sequence check discards this result, but it must not read outside the table.
      const Order last = res[n] < depth ? slot_order(res[n]) : Order{};
      emit_rules([](const Order& o, const Order& l) { return o < l; }, last);
      for (auto it = by_order.lower_bound(last); it != by_order.end(); ++it)
        if (matches_sw(rules.at(it->second), key)) out.push_back(it->second);
      return;
    }
    emit_rules([](const Order&, const Order&) { return true; }, Order{});
  }

  static bool matches_sw(const Rule& r, const KeyWords& key) {
    bool pos = false;
    for (const MatchTerm& t : r.terms)
      if (t.exclude && detail::term_matches(t, key)) return false;
      else if (!t.exclude && !pos) pos = detail::term_matches(t, key);
    return pos;
  }
};

ClassifierDriver::ClassifierDriver(Hal& hal) : impl_(new Impl(hal)) {}
ClassifierDriver::~ClassifierDriver() { delete impl_; }

// Both bracket themselves: entries move, appear and disappear over many bus writes, and a
// lookup's result indices mean nothing while the map is half-written.
std::optional<RuleId> ClassifierDriver::install(const std::vector<MatchTerm>& terms,
                                                uint32_t priority) {
  Update u(*this);
  return impl_->install(terms, priority);
}
void ClassifierDriver::remove(RuleId id) {
  Update u(*this);
  impl_->remove(id);
}
ClassifierDriver::Update::Update(ClassifierDriver& d) : d_(d) { d_.impl_->begin_update(); }
ClassifierDriver::Update::~Update() { d_.impl_->end_update(); }
uint64_t ClassifierDriver::sequence_addr() { return cardmap::CRITERIA_SEQ; }
uint32_t ClassifierDriver::read_sequence() {
  impl_->hal.mem_read(sequence_addr(), 4);
  // The value after the read: whatever ran before it is counted. A reader's read is an
  // acquire (the attempt's reads stay after the first one) and a release (they stay before
  // the second one), so the attempt is validated without a fence.
  return impl_->seq.fetch_add(0, std::memory_order_acq_rel);
}
uint32_t ClassifierDriver::sequence() const { return impl_->seq.load(std::memory_order_acquire); }
std::vector<RuleId> ClassifierDriver::classify(const KeyWords& key) {
  std::vector<RuleId> out;
  impl_->classify(key, out);
  return out;
}
void ClassifierDriver::classify(const KeyWords& key, std::vector<RuleId>& out) { impl_->classify(key, out); }
size_t ClassifierDriver::entries_used(RuleId id) const {
  auto it = impl_->rules.find(id);
  return it == impl_->rules.end() ? 0 : it->second.slots.size();
}
size_t ClassifierDriver::entries_used() const { return impl_->used; }
size_t ClassifierDriver::depth() const { return impl_->depth; }
size_t ClassifierDriver::rules() const { return impl_->rules.size(); }
size_t ClassifierDriver::range_units_used() const { return impl_->units_in_use(); }
uint64_t ClassifierDriver::entry_moves() const { return impl_->moves; }

}  // namespace dfc::fw
