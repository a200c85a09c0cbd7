// The fast functional classifier: tuple space search (Srinivasan, Suri and Varghese,
// SIGCOMM 1999) with relaxed tuples in the manner of TupleMerge (Daly et al., IEEE/ACM ToN
// 2019), over the same ternary entries as the hardware.
//
// Each entry's mask is relaxed to a coarser "tuple mask" that keeps only part of what it
// cares about: per 32-bit word, a mask that is a prefix (leading ones) is rounded down to a
// whole number of bytes, and any other word (range-unit bits, partial fields) is dropped.
// Entries with the same tuple mask share one hash table keyed by value & tuple mask; a
// lookup masks the extended key once per tuple, probes that table and checks the few
// entries of the bucket against their full mask. The number of tuples is bounded by the
// byte-rounded prefix combinations (tens for DTCP criteria and ClassBench sets), not by the
// number of entries, so a lookup at 64k entries costs about what it costs at 1k. Worst case
// (arbitrary non-prefix masks everywhere): one tuple, one bucket — the linear scan.
//
// Same semantics as ClassifierRef (the linear scan, kept as the oracle): an entry matches
// when it is valid, its group is enabled and (x & mask) == value over the key extended by
// the range units; the result lists every matching index in ascending order.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "classifier_device.hpp"

namespace dfc::model {

class ClassifierTss final : public ClassifierDevice {
 public:
  explicit ClassifierTss(uint32_t depth);
  uint32_t depth() const override { return depth_; }
  void write_entry(uint32_t index, const abi::Entry& e) override;
  void write_range_unit(uint32_t unit, const abi::RangeUnit& r) override;
  void set_group_enable(uint32_t group, bool enable) override;
  abi::LookupResult lookup(const abi::KeyWords& key) override;
  std::string name() const override { return "model"; }

  // Tuples holding entries (what a lookup's cost follows).
  size_t tuples() const {
    size_t n = 0;
    for (const Tuple& t : tuples_) n += t.count != 0;
    return n;
  }
  // The tuple mask an entry mask is relaxed to (public for tests).
  static abi::EntryWords relax(const abi::EntryWords& mask);

 private:
  struct WordsHash {
    size_t operator()(const abi::EntryWords& w) const noexcept;
  };
  // A tuple's table: open addressing on the 64-bit hash of (value & tuple mask). A slot
  // heads a chain (next_) of the tuple's entries with that hash; a hash collision only
  // costs a full-mask check, which every candidate gets anyway. Flat arrays so that a probe
  // of a tuple with no match costs one cache line.
  struct Slot {
    uint64_t tag = 0;
    int32_t head = kEmpty;
  };
  static constexpr int32_t kEmpty = -1, kTomb = -2;
  struct Tuple {
    abi::EntryWords mask{};
    uint32_t care = 0;  // words of the tuple mask that are non-zero
    size_t count = 0;   // entries stored
    size_t used = 0;    // slots not empty (chains and tombstones)
    std::vector<Slot> slots;
    // One bit per 1/4 slot, set from other hash bits than the slot index: a probe that
    // finds its bit clear skips the slot array. Tuples of a large table miss the cache on
    // every slot probe; the filters of all tuples together stay small enough to hit it
    // (8 bits per entry), so a lookup's cache misses follow its matches, not the tuples.
    std::vector<uint64_t> filter;
  };
  static uint64_t hash(const abi::EntryWords& x, const Tuple& t);
  Slot* find_slot(Tuple& t, uint64_t tag, bool insert);
  void grow(Tuple& t);
  static void set_filter(Tuple& t, uint64_t tag);
  static bool maybe(const Tuple& t, uint64_t tag);
  void remove(uint32_t index);
  void refresh_active();

  uint32_t depth_;
  std::vector<abi::Entry> entries_;
  std::vector<uint32_t> care_;           // per entry: bit w set when mask word w is non-zero
  std::vector<int32_t> tuple_of_entry_;  // -1: not stored (invalid)
  std::vector<uint64_t> tag_of_entry_;
  std::vector<int32_t> next_;            // chain links
  std::vector<Tuple> tuples_;
  std::unordered_map<abi::EntryWords, uint32_t, WordsHash> tuple_by_mask_;
  std::vector<uint32_t> active_;  // tuples with count > 0
  bool active_dirty_ = false;
  std::vector<abi::RangeUnit> units_;
  std::vector<uint32_t> enabled_units_;
  std::vector<bool> group_en_;
};

}  // namespace dfc::model
