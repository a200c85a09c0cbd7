// A set-associative cache with LRU replacement, tags only (the data lives in the
// firmware's C++ objects; only the time is modelled). SystemC-free.
#pragma once
#include <cstdint>
#include <vector>

namespace dfc::model {

class Cache {
 public:
  Cache() = default;
  // bytes == 0 disables the cache (every access misses).
  Cache(uint64_t bytes, unsigned line, unsigned ways);

  struct Result {
    bool hit = false;
    bool writeback = false;  // a dirty line was evicted
    uint64_t victim = 0;     // its address, when writeback
  };
  // Accesses the line holding addr (allocating it on a miss).
  Result access(uint64_t addr, bool write);
  unsigned line() const { return line_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Way {
    uint64_t tag = UINT64_MAX;
    uint64_t used = 0;  // LRU stamp
    bool dirty = false;
  };
  unsigned line_ = 64, ways_ = 1, shift_ = 6;
  uint64_t sets_ = 0, stamp_ = 0, hits_ = 0, misses_ = 0;
  std::vector<Way> w_;
};

}  // namespace dfc::model
