// The flow table: a cache of classification results per flow, one table per core.
//
// Pre-allocated open addressing (linear probing, backward-shift deletion, no tombstones):
// the slot array is allocated once at construction for a fixed capacity and nothing is
// allocated per packet. Each bucket is kBucketBytes in the modelled DRAM at
//   base + slot * kBucketBytes      (base = FLOW_TABLE_BASE + core * FLOW_TABLE_CORE_STRIDE)
// and every probe is declared to the HAL as a read of that bucket, so the card model's cache
// and memory price the table's real access pattern (a 1M-flow table misses the cache, a
// 100-flow table does not).
//
// Rules per flow are stored inline (at most kInlineRules). A flow that matches more rules
// than fit is marked `overflow`: its entry still caches the fact that it was classified at
// this criteria version, but not the rules, so every packet of it is classified again. The
// copies are therefore exactly those of an unbounded cache (only the time differs), and the
// pipeline counts such packets (flow_rule_overflows).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/flow_key.hpp"
#include "dfc/hal/hal.hpp"

namespace dfc::fw {

class FlowTable {
 public:
  static constexpr unsigned kInlineRules = 8;
  static constexpr uint32_t kBucketBytes = 128;  // two 64-byte lines: key + state, rules

  struct Entry {
    FlowKey key;
    uint64_t version = 0;
    uint64_t last_used_ns = 0;
    RuleId rules[kInlineRules] = {};
    uint8_t n_rules = 0;
    bool overflow = false;  // matched more than kInlineRules rules: not cached
    bool used = false;
  };
  static_assert(sizeof(Entry) <= kBucketBytes, "an entry must fit its modelled bucket");
  static_assert(std::is_trivially_copyable_v<Entry> && std::is_trivially_destructible_v<Entry>,
                "entries live in zero-filled raw memory");

  // capacity: maximum live entries (the table refuses inserts beyond it); the slot array is
  // the next power of two >= capacity * 4/3 so probes stay short at full load.
  // base_addr: the modelled address of slot 0.
  FlowTable(Hal& hal, size_t capacity, uint64_t base_addr);

  // Looks `key` up (hash = FlowKeyHash of it). Declares each bucket probe (mem_read of
  // the bucket, KeyCompare per occupied bucket). Returns the entry when found; otherwise
  // nullptr, and `slot` is where an insert would go.
  Entry* find(const FlowKey& key, size_t hash, size_t& slot);
  // Inserts at the slot find() returned (requires size() < capacity()). Declares the write.
  Entry* insert(const FlowKey& key, size_t slot);
  // Removes entries idle for longer than idle_ns; returns how many. slices > 1 sweeps only the
  // next 1/slices of the bucket array (a cursor remembers where the last slice ended), so a
  // periodic caller spreads one pass over `slices` calls and no single call holds the core long.
  size_t age(uint64_t now_ns, uint64_t idle_ns, unsigned slices = 1);
  // Drops every entry; returns how many there were.
  size_t clear();

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t slots() const { return n_slots_; }
  uint64_t addr_of(const Entry* e) const {
    return base_ + static_cast<uint64_t>(e - slots_.get()) * kBucketBytes;
  }

 private:
  void erase_at(size_t i);  // backward-shift deletion
  size_t home(const FlowKey& k) const { return FlowKeyHash{}(k) & mask_; }

  Hal& hal_;
  size_t capacity_;
  uint64_t base_;
  // Zero-filled at allocation (calloc: the all-zero Entry is the empty one), so a large
  // table costs no start-up time: its pages are mapped when first touched.
  struct Free {
    void operator()(Entry* p) const noexcept;
  };
  size_t n_slots_;
  std::unique_ptr<Entry[], Free> slots_;
  size_t mask_;
  size_t size_ = 0;
  size_t age_cursor_ = 0;  // next bucket a sliced sweep examines
};

}  // namespace dfc::fw
