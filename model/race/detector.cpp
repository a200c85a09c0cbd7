#include "detector.hpp"

#include <algorithm>
#include <stdexcept>

namespace dfc::race {

const char* sync_name(Sync s) {
  switch (s) {
    case Sync::Lock: return "lock";
    case Sync::Atomic: return "atomic";
    case Sync::Buffer: return "buffer";
    case Sync::Timer: return "timer";
    case Sync::kCount: break;
  }
  return "?";
}

Detector::Detector(unsigned threads) : threads_(threads) {
  if (threads == 0 || threads >= 0xFFFF) throw std::invalid_argument("race detector: 1 .. 65534 threads");
  clocks_.assign(threads, std::vector<uint64_t>(threads, 0));
  // Every thread starts at clock 1, so that epoch 0 means "no access" and a thread's first
  // accesses are unordered with every other thread's (nothing synchronised them yet).
  for (unsigned t = 0; t < threads; ++t) clocks_[t][t] = 1;
  pcs_.push_back(0);
}

Detector::~Detector() = default;

Detector::Cell& Detector::cell(uint64_t granule) {
  const uint64_t page = granule >> (kPageBits - 3);
  if (page != last_page_) {
    auto& p = pages_[page];
    if (!p) p = std::make_unique<Page>();
    last_page_ = page;
    last_cells_ = p->cells;
  }
  return last_cells_[granule & (kCellsPerPage - 1)];
}

uint64_t Detector::shadow_bytes() const { return pages_.size() * sizeof(Page); }

uint32_t Detector::pc_id(uint64_t pc) {
  auto [it, fresh] = pc_ids_.try_emplace(pc, static_cast<uint32_t>(pcs_.size()));
  if (fresh) pcs_.push_back(pc);
  return it->second;
}

bool Detector::ordered(const Slot& s, Tid t) const {
  const Tid u = static_cast<Tid>((s.epoch >> 48) - 1);
  const uint64_t clock = s.epoch & ((uint64_t{1} << 48) - 1);
  return u == t || clock <= clocks_[t][u];
}

bool Detector::access(Tid t, uint64_t addr, uint64_t size, bool write, uint64_t pc, uint64_t time_ps) {
  if (t >= threads_ || size == 0) return false;
  ++accesses_;
  uint64_t a = addr;
  const uint64_t end = addr + size;
  bool shared = false;
  while (a < end) {
    const uint64_t g = a >> 3;
    const unsigned lo = a & 7, hi = static_cast<unsigned>(std::min<uint64_t>(end - (g << 3), 8));
    const auto mask = static_cast<uint8_t>(((1u << hi) - 1) & ~((1u << lo) - 1));
    shared |= granule_access(t, g, mask, write, pc, time_ps);
    a = (g + 1) << 3;
  }
  return shared;
}

bool Detector::granule_access(Tid t, uint64_t g, uint8_t mask, bool write, uint64_t pc, uint64_t time_ps) {
  Cell& c = cell(g);
  const uint64_t now = epoch(t);
  // Fast path: this thread did the same (or wrote these bytes) at the same clock already.
  for (const Slot& s : c.s)
    if (s.epoch == now && (s.mask & mask) == mask && (s.write || !write)) return false;
  const uint64_t me = now >> 48;
  bool shared = false;
  for (const Slot& s : c.s) {
    if (!s.epoch || (s.epoch >> 48) == me) continue;
    shared = true;
    if ((s.write || write) && (s.mask & mask) && !ordered(s, t)) report(s, g, s.mask & mask, t, write, pc, time_ps);
  }
  // The bytes' older accesses that this one makes history: all of them for a write; for a read,
  // this thread's own reads and the reads ordered before it.
  for (Slot& s : c.s) {
    if (!s.epoch) continue;
    if (write || (!s.write && ((s.epoch >> 48) == me || ordered(s, t))))
      if ((s.mask &= static_cast<uint8_t>(~mask)) == 0) s = Slot{};
  }
  Slot* into = nullptr;
  for (Slot& s : c.s)
    if (s.epoch == now && s.write == write) into = &s;  // this thread, this clock: one slot
  if (into) {
    into->mask |= mask;
    into->time_ps = time_ps;
    into->pc = pc_id(pc);
    return shared;
  }
  for (Slot& s : c.s)
    if (!into && !s.epoch) into = &s;
  if (!into) {  // full: drop an access ordered before this one if any, else the oldest
    for (Slot& s : c.s)
      if (!into && ordered(s, t)) into = &s;
    if (!into) {
      into = &c.s[0];
      for (Slot& s : c.s)
        if (s.time_ps < into->time_ps) into = &s;
    }
  }
  *into = Slot{now, time_ps, pc_id(pc), mask, write};
  return shared;
}

void Detector::report(const Slot& prior, uint64_t g, uint8_t mask, Tid t, bool write, uint64_t pc, uint64_t time_ps) {
  ++races_total_;
  const uint32_t here = pc_id(pc);
  const uint64_t key = uint64_t{prior.pc} << 32 | here;
  if (!race_pairs_.insert(key).second || races_.size() >= kMaxRaces) return;
  unsigned first = 0;
  while (!(mask & (1u << first))) ++first;
  Race r;
  r.address = (g << 3) + first;
  r.first = Access{static_cast<Tid>((prior.epoch >> 48) - 1), prior.time_ps, prior.write, pcs_[prior.pc]};
  r.second = Access{t, time_ps, write, pc};
  races_.push_back(r);
}

std::vector<uint64_t>& Detector::object(Sync kind, uint64_t obj) {
  // Kinds have separate name spaces: a lock number and an address never collide.
  auto& vc = objects_[obj * static_cast<uint64_t>(Sync::kCount) + static_cast<uint64_t>(kind)];
  if (vc.empty()) vc.assign(threads_, 0);
  return vc;
}

void Detector::acquire(Tid t, Sync kind, uint64_t obj) {
  if (t >= threads_) return;
  ++sync_[static_cast<size_t>(kind)];
  const auto& vc = object(kind, obj);
  auto& mine = clocks_[t];
  for (unsigned u = 0; u < threads_; ++u) mine[u] = std::max(mine[u], vc[u]);
}

void Detector::release(Tid t, Sync kind, uint64_t obj) {
  if (t >= threads_) return;
  ++sync_[static_cast<size_t>(kind)];
  auto& vc = object(kind, obj);
  auto& mine = clocks_[t];
  for (unsigned u = 0; u < threads_; ++u) vc[u] = std::max(vc[u], mine[u]);
  ++mine[t];
}

void Detector::forget(uint64_t addr, uint64_t size) {
  for (uint64_t g = addr >> 3, end = (addr + size + 7) >> 3; g < end; ++g) {
    const uint64_t page = g >> (kPageBits - 3);
    auto it = pages_.find(page);
    if (it == pages_.end()) {
      g = ((page + 1) << (kPageBits - 3)) - 1;  // the whole page is untouched: skip it
      continue;
    }
    it->second->cells[g & (kCellsPerPage - 1)] = Cell{};
  }
}

}  // namespace dfc::race
