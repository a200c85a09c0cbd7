#include "classifier_tss.hpp"

#include <algorithm>
#include <stdexcept>

#include "classifier_ref.hpp"

namespace dfc::model {

namespace {
// 64-bit multiply-xorshift: masked keys differ in few bits (a prefix, a port), so every
// word must reach every output bit.
inline uint64_t mix(uint64_t h, uint32_t v) {
  h ^= v;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}
}  // namespace

size_t ClassifierTss::WordsHash::operator()(const abi::EntryWords& w) const noexcept {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (uint32_t v : w) h = mix(h, v);
  return static_cast<size_t>(h);
}

uint64_t ClassifierTss::hash(const abi::EntryWords& x, const Tuple& t) {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (uint32_t c = t.care; c != 0; c &= c - 1) {
    const unsigned w = static_cast<unsigned>(__builtin_ctz(c));
    h = mix(h, x[w] & t.mask[w]);
  }
  return h;
}

abi::EntryWords ClassifierTss::relax(const abi::EntryWords& mask) {
  abi::EntryWords t{};
  for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) {
    const uint32_t m = mask[w];
    const unsigned ones = m == ~0u ? 32 : static_cast<unsigned>(__builtin_clz(~m));  // leading ones
    // m is a prefix when it is exactly `ones` leading ones.
    const uint32_t prefix = ones == 0 ? 0 : (ones == 32 ? ~0u : ~0u << (32 - ones));
    if (m != prefix) continue;  // not a prefix: not hashed on
    const unsigned bytes = ones / 8;
    t[w] = bytes == 0 ? 0 : (bytes == 4 ? ~0u : ~0u << (32 - 8 * bytes));
  }
  return t;
}

ClassifierTss::ClassifierTss(uint32_t depth)
    : depth_(depth), entries_(depth), care_(depth, 0), tuple_of_entry_(depth, -1),
      tag_of_entry_(depth, 0), next_(depth, kEmpty), units_(abi::RANGE_UNITS),
      group_en_(abi::GROUPS, false) {
  if (depth == 0 || depth > abi::CLS_MAX_DEPTH)
    throw std::invalid_argument("classifier depth out of range");
}

ClassifierTss::Slot* ClassifierTss::find_slot(Tuple& t, uint64_t tag, bool insert) {
  if (t.slots.empty()) return nullptr;  // write_entry grows a table before inserting
  const size_t mask = t.slots.size() - 1;
  Slot* tomb = nullptr;
  for (size_t i = static_cast<size_t>(tag) & mask;; i = (i + 1) & mask) {
    Slot& s = t.slots[i];
    if (s.head == kEmpty) {
      if (!insert) return nullptr;
      if (tomb) return tomb;
      ++t.used;
      s.tag = tag;
      return &s;
    }
    if (s.head == kTomb) {
      if (!tomb) tomb = &s;
    } else if (s.tag == tag) {
      return &s;
    }
  }
}

void ClassifierTss::set_filter(Tuple& t, uint64_t tag) {
  const size_t bit = static_cast<size_t>(tag >> 32) & (t.filter.size() * 64 - 1);
  t.filter[bit / 64] |= uint64_t{1} << (bit % 64);
}

bool ClassifierTss::maybe(const Tuple& t, uint64_t tag) {
  const size_t bit = static_cast<size_t>(tag >> 32) & (t.filter.size() * 64 - 1);
  return (t.filter[bit / 64] >> (bit % 64)) & 1u;
}

void ClassifierTss::grow(Tuple& t) {
  std::vector<Slot> old;
  old.swap(t.slots);
  size_t cap = 16;
  while (cap < 4 * t.count + 16) cap *= 2;
  t.slots.assign(cap, Slot{});
  t.filter.assign(cap * 4 / 64, 0);
  t.used = 0;
  for (const Slot& s : old)
    if (s.head >= 0) {
      *find_slot(t, s.tag, true) = s;
      set_filter(t, s.tag);
    }
}

void ClassifierTss::remove(uint32_t index) {
  const int32_t ti = tuple_of_entry_[index];
  if (ti < 0) return;
  Tuple& t = tuples_[static_cast<size_t>(ti)];
  Slot* s = find_slot(t, tag_of_entry_[index], false);
  int32_t* link = &s->head;
  while (*link != static_cast<int32_t>(index)) link = &next_[static_cast<size_t>(*link)];
  *link = next_[index];
  if (s->head == kEmpty) s->head = kTomb;  // chain now empty
  if (--t.count == 0) active_dirty_ = true;
  tuple_of_entry_[index] = -1;
}

void ClassifierTss::write_entry(uint32_t index, const abi::Entry& e) {
  if (index >= depth_) throw std::out_of_range("classifier entry index");
  remove(index);
  abi::Entry& d = entries_[index];
  d = e;
  care_[index] = 0;
  for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) {
    d.value[w] &= d.mask[w];  // pre-masked
    if (d.mask[w] != 0) care_[index] |= 1u << w;
  }
  d.group = static_cast<uint16_t>(e.group % abi::GROUPS);
  if (!d.valid) return;
  const abi::EntryWords tmask = relax(d.mask);
  auto [mt, fresh] = tuple_by_mask_.try_emplace(tmask, static_cast<uint32_t>(tuples_.size()));
  if (fresh) {
    Tuple t;
    t.mask = tmask;
    for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w)
      if (tmask[w] != 0) t.care |= 1u << w;
    tuples_.push_back(std::move(t));
  }
  Tuple& t = tuples_[mt->second];
  if (2 * (t.used + 1) > t.slots.size()) grow(t);  // load factor <= 1/2, tombstones included
  const uint64_t tag = hash(d.value, t);
  Slot* s = find_slot(t, tag, true);
  if (s->head == kTomb) s->head = kEmpty;  // a reused tombstone
  s->tag = tag;
  set_filter(t, tag);
  next_[index] = s->head;
  s->head = static_cast<int32_t>(index);
  if (t.count++ == 0) active_dirty_ = true;
  tuple_of_entry_[index] = static_cast<int32_t>(mt->second);
  tag_of_entry_[index] = tag;
}

void ClassifierTss::write_range_unit(uint32_t unit, const abi::RangeUnit& r) {
  if (unit >= abi::RANGE_UNITS) throw std::out_of_range("classifier range unit");
  units_[unit] = r;
  enabled_units_.clear();
  for (uint32_t u = 0; u < abi::RANGE_UNITS; ++u)
    if (units_[u].field != abi::RangeField::Disabled) enabled_units_.push_back(u);
}

void ClassifierTss::set_group_enable(uint32_t group, bool enable) {
  if (group >= abi::GROUPS) throw std::out_of_range("classifier group");
  group_en_[group] = enable;
}

void ClassifierTss::refresh_active() {
  active_.clear();
  for (uint32_t t = 0; t < tuples_.size(); ++t)
    if (tuples_[t].count != 0) active_.push_back(t);
  active_dirty_ = false;
}

abi::LookupResult ClassifierTss::lookup(const abi::KeyWords& key) {
  if (active_dirty_) refresh_active();
  abi::EntryWords x{};
  for (unsigned w = 0; w < abi::KEY_IN_WORDS; ++w) x[w] = key[w];
  const uint32_t sport = (key[abi::W_PORTS] >> abi::PORTS_SPORT_SHIFT) & abi::PORTS_SPORT_MAX,
                 dport = (key[abi::W_PORTS] >> abi::PORTS_DPORT_SHIFT) & abi::PORTS_DPORT_MAX;
  for (uint32_t u : enabled_units_) {
    const abi::RangeUnit& r = units_[u];
    const uint32_t v = r.field == abi::RangeField::SrcPort ? sport : dport;
    if (v >= r.lo && v <= r.hi) x[abi::W_RANGE + u / 32] |= 1u << (u % 32);
  }
  abi::LookupResult r;
  for (uint32_t ti : active_) {
    Tuple& t = tuples_[ti];
    const uint64_t tag = hash(x, t);
    if (!maybe(t, tag)) continue;
    const Slot* s = find_slot(t, tag, false);
    if (!s) continue;
    for (int32_t i = s->head; i >= 0; i = next_[static_cast<size_t>(i)]) {
      const abi::Entry& e = entries_[static_cast<size_t>(i)];
      if (!group_en_[e.group]) continue;
      bool hit = true;
      for (uint32_t c = care_[static_cast<size_t>(i)]; c != 0 && hit; c &= c - 1) {
        const unsigned w = static_cast<unsigned>(__builtin_ctz(c));
        hit = (x[w] & e.mask[w]) == e.value[w];
      }
      if (hit) r.matches.push_back(static_cast<uint32_t>(i));
    }
  }
  std::sort(r.matches.begin(), r.matches.end());
  r.cycles = lookup_cycles(r.matches.size());
  return r;
}

}  // namespace dfc::model
