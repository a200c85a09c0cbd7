#include "dfc/fw/flow_table.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "dfc/util/raise.hpp"

namespace dfc::fw {

namespace {
size_t slots_for(size_t capacity) {
  const size_t want = std::max<size_t>(8, capacity + capacity / 3 + 1);
  size_t n = 8;
  while (n < want) n <<= 1;
  return n;
}
}  // namespace

void FlowTable::Free::operator()(Entry* p) const noexcept { std::free(p); }

FlowTable::FlowTable(Hal& hal, size_t capacity, uint64_t base_addr)
    : hal_(hal), capacity_(std::max<size_t>(1, capacity)), base_(base_addr), n_slots_(slots_for(capacity_)),
      slots_(static_cast<Entry*>(std::calloc(n_slots_, sizeof(Entry)))), mask_(n_slots_ - 1) {
  if (!slots_) raise<std::bad_alloc>();
}

FlowTable::Entry* FlowTable::find(const FlowKey& key, size_t hash, size_t& slot) {
  // The table is never full (slots > capacity), so an empty bucket ends every probe.
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    Entry& e = slots_[i];
    hal_.mem_read(addr_of(&e), 64);  // the key line; the rules line is read on a hit
    if (!e.used) {
      slot = i;
      return nullptr;
    }
    hal_.work(Hal::Work::KeyCompare);
    if (e.key == key) {
      hal_.mem_read(addr_of(&e) + 64, kBucketBytes - 64);
      slot = i;
      return &e;
    }
  }
}

FlowTable::Entry* FlowTable::insert(const FlowKey& key, size_t slot) {
  Entry& e = slots_[slot];
  e = Entry{};
  e.key = key;
  e.used = true;
  ++size_;
  hal_.work(Hal::Work::FlowInsert);
  hal_.mem_write(addr_of(&e), 64);
  return &e;
}

void FlowTable::erase_at(size_t i) {
  // Backward-shift deletion (Knuth 6.4 algorithm R): pull later members of the probe run
  // into the hole when their home slot does not lie cyclically in (hole, j].
  size_t hole = i;
  for (size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
    const size_t h = home(slots_[j].key);
    const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = Entry{};
  --size_;
}

size_t FlowTable::age(uint64_t now_ns, uint64_t idle_ns, unsigned slices) {
  if (size_ == 0) return 0;
  // One sequential sweep of the buckets [from, to) (declared as one streaming read), a write
  // per removed entry. Deleting at i may pull a later entry into i, so i is examined again;
  // entries only move towards lower (cyclic) positions, into the hole at or after i, so each
  // is visited in this slice or a later one.
  const size_t n = slices <= 1 ? n_slots_ : std::max<size_t>(1, n_slots_ / slices);
  const size_t from = slices <= 1 ? 0 : age_cursor_;
  const size_t to = std::min(n_slots_, from + n);
  age_cursor_ = to >= n_slots_ ? 0 : to;
  hal_.mem_read(base_ + from * uint64_t{kBucketBytes},
                static_cast<uint32_t>(std::min<uint64_t>((to - from) * uint64_t{kBucketBytes}, UINT32_MAX)));
  size_t removed = 0;
  for (size_t i = from; i < to;) {
    Entry& e = slots_[i];
    if (e.used && now_ns > e.last_used_ns && now_ns - e.last_used_ns > idle_ns) {
      erase_at(i);
      hal_.mem_write(addr_of(&e), 64);
      ++removed;
    } else {
      ++i;
    }
  }
  return removed;
}

size_t FlowTable::clear() {
  const size_t n = size_;
  if (n == 0) return 0;
  for (size_t i = 0; i < n_slots_; ++i)
    if (slots_[i].used) slots_[i] = Entry{};
  size_ = 0;
  return n;
}

}  // namespace dfc::fw
