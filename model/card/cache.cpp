#include "cache.hpp"

#include <stdexcept>

namespace dfc::model {

Cache::Cache(uint64_t bytes, unsigned line, unsigned ways) : line_(line), ways_(ways ? ways : 1) {
  if (line_ == 0 || (line_ & (line_ - 1)) != 0) throw std::invalid_argument("cache line must be a power of two");
  shift_ = 0;
  while ((1u << shift_) < line_) ++shift_;
  sets_ = bytes / line_ / ways_;
  w_.assign(sets_ * ways_, Way{});
}

Cache::Result Cache::access(uint64_t addr, bool write) {
  Result r;
  if (sets_ == 0) {
    ++misses_;
    return r;
  }
  const uint64_t ln = addr >> shift_;
  Way* set = &w_[(ln % sets_) * ways_];
  const uint64_t tag = ln / sets_;
  Way* victim = set;
  for (unsigned i = 0; i < ways_; ++i) {
    if (set[i].tag == tag) {
      set[i].used = ++stamp_;
      set[i].dirty |= write;
      ++hits_;
      r.hit = true;
      return r;
    }
    if (set[i].used < victim->used) victim = &set[i];
  }
  ++misses_;
  r.writeback = victim->tag != UINT64_MAX && victim->dirty;
  if (r.writeback) r.victim = (victim->tag * sets_ + ln % sets_) << shift_;
  victim->tag = tag;
  victim->used = ++stamp_;
  victim->dirty = write;
  return r;
}

}  // namespace dfc::model
