// TimedWords: the values of the descriptor rings in packet memory (SystemC-free). Threads and
// DMA engines run decoupled, so a write arrives in host order possibly before a reader that is
// earlier in simulated time reads the word: each write is kept with its simulated time, and a
// read at time t sees the latest write at or before t. Writes older than the floor (SystemC's
// time: no reader will ever be earlier) are folded into the word's settled value. Data written
// this way agrees with the timing: a thread that lags does not see a descriptor the DMA fills
// after its time, and the DMA does not see a buffer the firmware returns after the arrival.
//
// Every descriptor the DMA engines and the driver exchange goes through here, so the store is
// flat: the words live in pages of 1024 (4 KiB of address: each word's settled value and the
// head of its pending list), found through a small open-addressed directory that remembers the
// last page used; the writes not yet settled form short lists, by time, in one shared pool
// whose freed entries are reused. A run allocates only when it touches a new page or has more
// writes unsettled at once than ever before. The history is bounded: a word keeps only the
// writes after the floor at its last access (any access settles the ones the floor has passed).
// (P1 on the 8x4 card, 200k packets: 280 pages, at most 11.5k writes unsettled at once.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace dfc::model {

class TimedWords {
 public:
  void write(uint64_t addr, uint32_t v, uint64_t t_ps, uint64_t floor_ps) {
    Word& w = page(addr).w[slot(addr)];
    settle(w, floor_ps);
    if (t_ps <= floor_ps && w.pending == kNone) {
      w.value = v;
      return;
    }
    // Keep the pending writes in time order (a write in the past of another is inserted
    // before it; one at the same time goes after, as the later in host order).
    uint32_t prev = kNone, cur = w.pending;
    while (cur != kNone && pool_[cur].t_ps <= t_ps) prev = cur, cur = pool_[cur].next;
    const uint32_t e = take(t_ps, v, cur);
    if (prev == kNone)
      w.pending = e;
    else
      pool_[prev].next = e;
  }
  uint32_t read(uint64_t addr, uint64_t t_ps, uint64_t floor_ps) {
    Page* p = find(addr);
    if (!p) return 0;
    Word& w = p->w[slot(addr)];
    settle(w, floor_ps);
    uint32_t v = w.value;
    for (uint32_t e = w.pending; e != kNone && pool_[e].t_ps <= t_ps; e = pool_[e].next) v = pool_[e].v;
    return v;
  }
  // Writes kept unsettled right now, and the most ever at once (the pool's size).
  size_t pending() const { return pool_.size() - 1 - free_count_; }
  size_t pending_peak() const { return pool_.size() - 1; }
  size_t pages() const { return pages_.size(); }

 private:
  static constexpr unsigned kPageBits = 12;  // 4 KiB of address: 1024 words
  static constexpr size_t kWords = size_t{1} << (kPageBits - 2);
  static constexpr uint32_t kNone = 0;  // pool_[0] is never used, so 0 ends a list
  // A word's settled value and its pending list side by side: an access touches one cache line.
  struct Word {
    uint32_t value = 0;
    uint32_t pending = kNone;  // first pending write (pool index), by time
  };
  struct Page {
    Word w[kWords];
  };
  struct Pending {
    uint64_t t_ps;
    uint32_t v, next;
  };
  // A word is 4 bytes at any address: an address that is not 4-aligned is a word of its own,
  // so the byte lane (addr & 3) is part of the page's key (the driver's words are all lane 0).
  static uint64_t key(uint64_t addr) { return (addr >> kPageBits) << 2 | (addr & 3); }
  static size_t slot(uint64_t addr) { return (addr >> 2) & (kWords - 1); }

  // Folds the word's writes at or before the floor into its settled value.
  void settle(Word& w, uint64_t floor_ps) {
    uint32_t e = w.pending;
    while (e != kNone && pool_[e].t_ps <= floor_ps) {
      w.value = pool_[e].v;
      const uint32_t next = pool_[e].next;
      pool_[e].next = free_, free_ = e, ++free_count_;
      e = next;
    }
    w.pending = e;
  }
  uint32_t take(uint64_t t_ps, uint32_t v, uint32_t next) {
    if (free_ == kNone) {
      pool_.push_back({t_ps, v, next});
      return static_cast<uint32_t>(pool_.size() - 1);
    }
    const uint32_t e = free_;
    free_ = pool_[e].next, --free_count_;
    pool_[e] = {t_ps, v, next};
    return e;
  }

  Page* find(uint64_t addr) {
    const uint64_t k = key(addr);
    if (k == last_key_) return last_;
    if (dir_.empty()) return nullptr;
    for (size_t i = hash(k);; i = (i + 1) & (dir_.size() - 1)) {
      if (dir_[i].key == kEmpty) return nullptr;
      if (dir_[i].key == k) {
        last_key_ = k, last_ = pages_[dir_[i].page].get();
        return last_;
      }
    }
  }
  Page& page(uint64_t addr) {
    if (Page* p = find(addr)) return *p;
    // A new page: the directory stays at most half full, so probes stay short.
    if (2 * (pages_.size() + 1) > dir_.size()) grow();
    const uint64_t k = key(addr);
    pages_.push_back(std::make_unique<Page>());
    place(k, static_cast<uint32_t>(pages_.size() - 1));
    last_key_ = k, last_ = pages_.back().get();
    return *last_;
  }
  struct Slot {
    uint64_t key;
    uint32_t page;
  };
  static constexpr uint64_t kEmpty = UINT64_MAX;  // key() never reaches it (addr >> 12 << 2)
  size_t hash(uint64_t k) const {
    // Fibonacci hashing: consecutive pages spread over the table.
    return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
  }
  void place(uint64_t k, uint32_t page) {
    size_t i = hash(k);
    while (dir_[i].key != kEmpty) i = (i + 1) & (dir_.size() - 1);
    dir_[i] = {k, page};
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(dir_);
    bits_ = old.empty() ? 6 : bits_ + 1;
    dir_.assign(size_t{1} << bits_, Slot{kEmpty, 0});
    for (const Slot& s : old)
      if (s.key != kEmpty) place(s.key, s.page);
  }

  std::vector<std::unique_ptr<Page>> pages_;
  std::vector<Slot> dir_;  // open addressing, linear probing: key -> index in pages_
  unsigned bits_ = 0;      // dir_.size() == 1 << bits_
  uint64_t last_key_ = kEmpty;
  Page* last_ = nullptr;
  std::vector<Pending> pool_ = std::vector<Pending>(1);  // [0] unused (kNone)
  uint32_t free_ = kNone;  // freed pool entries, linked through next
  size_t free_count_ = 0;
};

}  // namespace dfc::model
