#include "classifier_tss.hpp"

#include <algorithm>
#include <stdexcept>

#include "classifier_ref.hpp"

namespace dfc::model {

size_t ClassifierTss::WordsHash::operator()(const abi::EntryWords& w) const noexcept {
  // 64-bit multiply-xorshift over the words: masked keys differ in few bits (a prefix, a
  // port), so every word must reach every output bit.
  uint64_t h = 0x9e3779b97f4a7c15ull;
  for (uint32_t v : w) {
    h ^= v;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  return static_cast<size_t>(h);
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
    : depth_(depth), entries_(depth), care_(depth, 0), tuple_of_entry_(depth, -1), units_(abi::RANGE_UNITS),
      group_en_(abi::GROUPS, false) {
  if (depth == 0 || depth > abi::CLS_MAX_DEPTH)
    throw std::invalid_argument("classifier depth out of range");
}

void ClassifierTss::remove(uint32_t index) {
  const int32_t t = tuple_of_entry_[index];
  if (t < 0) return;
  Tuple& tu = tuples_[static_cast<size_t>(t)];
  abi::EntryWords v0{};
  for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) v0[w] = entries_[index].value[w] & tu.mask[w];
  auto it = tu.by_value.find(v0);
  auto& v = it->second;
  v.erase(std::find(v.begin(), v.end(), index));
  if (v.empty()) tu.by_value.erase(it);
  if (--tu.count == 0) active_dirty_ = true;
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
    tuples_.push_back(std::move(t));
  }
  Tuple& tu = tuples_[mt->second];
  abi::EntryWords tv{};
  for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) tv[w] = d.value[w] & tmask[w];
  auto& v = tu.by_value[tv];
  v.insert(std::lower_bound(v.begin(), v.end(), index), index);
  if (tu.count++ == 0) active_dirty_ = true;
  tuple_of_entry_[index] = static_cast<int32_t>(mt->second);
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
  const uint32_t sport = key[abi::W_PORTS] & 0xffffu, dport = key[abi::W_PORTS] >> 16;
  for (uint32_t u : enabled_units_) {
    const abi::RangeUnit& r = units_[u];
    const uint32_t v = r.field == abi::RangeField::SrcPort ? sport : dport;
    if (v >= r.lo && v <= r.hi) x[abi::W_RANGE + u / 32] |= 1u << (u % 32);
  }
  abi::LookupResult r;
  abi::EntryWords m{};
  for (uint32_t t : active_) {
    const Tuple& tu = tuples_[t];
    for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) m[w] = x[w] & tu.mask[w];
    auto it = tu.by_value.find(m);
    if (it == tu.by_value.end()) continue;
    for (uint32_t i : it->second) {
      const abi::Entry& e = entries_[i];
      if (!group_en_[e.group]) continue;
      bool hit = true;
      for (uint32_t c = care_[i]; c != 0 && hit; c &= c - 1) {
        const unsigned w = static_cast<unsigned>(__builtin_ctz(c));
        hit = (x[w] & e.mask[w]) == e.value[w];
      }
      if (hit) r.matches.push_back(i);
    }
  }
  std::sort(r.matches.begin(), r.matches.end());
  r.cycles = lookup_cycles(r.matches.size());
  return r;
}

}  // namespace dfc::model
