#include "classifier_ref.hpp"

#include <stdexcept>

namespace dfc::model {

ClassifierRef::ClassifierRef(uint32_t depth)
    : depth_(depth), entries_(depth), care_(depth, 0), units_(abi::RANGE_UNITS),
      group_en_(abi::GROUPS, false) {
  if (depth == 0 || depth > abi::CLS_MAX_DEPTH)
    throw std::invalid_argument("classifier depth out of range");
}

void ClassifierRef::write_entry(uint32_t index, const abi::Entry& e) {
  if (index >= depth_) throw std::out_of_range("classifier entry index");
  abi::Entry& d = entries_[index];
  d = e;
  care_[index] = 0;
  for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) {
    d.value[w] &= d.mask[w];  // stored pre-masked
    if (d.mask[w] != 0) care_[index] |= 1u << w;
  }
  d.group = static_cast<uint16_t>(e.group % abi::GROUPS);
}

void ClassifierRef::write_range_unit(uint32_t unit, const abi::RangeUnit& r) {
  if (unit >= abi::RANGE_UNITS) throw std::out_of_range("classifier range unit");
  units_[unit] = r;
}

void ClassifierRef::set_group_enable(uint32_t group, bool enable) {
  if (group >= abi::GROUPS) throw std::out_of_range("classifier group");
  group_en_[group] = enable;
}

abi::EntryWords ClassifierRef::extend(const abi::KeyWords& key) const {
  abi::EntryWords x{};
  for (unsigned w = 0; w < abi::KEY_IN_WORDS; ++w) x[w] = key[w];
  const uint32_t sport = (key[abi::W_PORTS] >> abi::PORTS_SPORT_SHIFT) & abi::PORTS_SPORT_MAX,
                 dport = (key[abi::W_PORTS] >> abi::PORTS_DPORT_SHIFT) & abi::PORTS_DPORT_MAX;
  for (unsigned u = 0; u < abi::RANGE_UNITS; ++u) {
    const abi::RangeUnit& r = units_[u];
    uint32_t v;
    if (r.field == abi::RangeField::SrcPort)
      v = sport;
    else if (r.field == abi::RangeField::DstPort)
      v = dport;
    else
      continue;
    if (v >= r.lo && v <= r.hi) x[abi::W_RANGE + u / 32] |= 1u << (u % 32);
  }
  return x;
}

abi::LookupResult ClassifierRef::lookup(const abi::KeyWords& key) {
  const abi::EntryWords x = extend(key);
  abi::LookupResult r;
  for (uint32_t i = 0; i < depth_; ++i) {
    const abi::Entry& e = entries_[i];
    if (!e.valid || !group_en_[e.group]) continue;
    bool hit = true;
    for (uint32_t c = care_[i]; c != 0 && hit; c &= c - 1) {  // only words the entry cares about
      const unsigned w = static_cast<unsigned>(__builtin_ctz(c));
      hit = (x[w] & e.mask[w]) == e.value[w];
    }
    if (hit) r.matches.push_back(i);
  }
  r.cycles = lookup_cycles(r.matches.size());
  return r;
}

}  // namespace dfc::model
