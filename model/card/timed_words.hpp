// TimedWords: the values of the descriptor rings in packet memory (SystemC-free). Threads and
// DMA engines run decoupled, so a write arrives in host order possibly before a reader that is
// earlier in simulated time reads the word: each write is kept with its simulated time, and a
// read at time t sees the latest write at or before t. Writes older than the floor (SystemC's
// time: no reader will ever be earlier) are folded into the word's settled value. Data written
// this way agrees with the timing: a thread that lags does not see a descriptor the DMA fills
// after its time, and the DMA does not see a buffer the firmware returns after the arrival.
#pragma once
#include <cstdint>
#include <iterator>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dfc::model {

class TimedWords {
 public:
  void write(uint64_t addr, uint32_t v, uint64_t t_ps, uint64_t floor_ps) {
    Word& w = words_[addr];
    settle(w, floor_ps);
    if (t_ps <= floor_ps && w.pending.empty()) {
      w.value = v;
      return;
    }
    // Keep the pending writes in time order (a write in the past of another is inserted).
    auto it = w.pending.end();
    while (it != w.pending.begin() && std::prev(it)->first > t_ps) --it;
    w.pending.insert(it, {t_ps, v});
  }
  uint32_t read(uint64_t addr, uint64_t t_ps, uint64_t floor_ps) {
    auto f = words_.find(addr);
    if (f == words_.end()) return 0;
    Word& w = f->second;
    settle(w, floor_ps);
    uint32_t v = w.value;
    for (const auto& [at, x] : w.pending)
      if (at <= t_ps) v = x;
    return v;
  }

 private:
  struct Word {
    uint32_t value = 0;
    std::vector<std::pair<uint64_t, uint32_t>> pending;  // (time, value), by time
  };
  static void settle(Word& w, uint64_t floor_ps) {
    size_t n = 0;
    while (n < w.pending.size() && w.pending[n].first <= floor_ps) w.value = w.pending[n++].second;
    if (n) w.pending.erase(w.pending.begin(), w.pending.begin() + static_cast<std::ptrdiff_t>(n));
  }
  std::unordered_map<uint64_t, Word> words_;
};

}  // namespace dfc::model
