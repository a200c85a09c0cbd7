// The race checker's core (docs/race-check.md): a happens-before data-race detector over the
// firmware's memory accesses, in the FastTrack style (Flanagan & Freund, PLDI 2009). SystemC-free:
// the card feeds it the accesses of the thread that runs (host mode: the instrumented firmware
// library, model/race/tsan_hooks.cpp; image mode: the instruction-set simulator's memory hooks)
// and the synchronisation it performs (hardware semaphores, atomic instructions, buffer hand-offs
// through the rings, the timer).
//
// Each hardware thread has a vector clock; each synchronisation object (a semaphore, an atomic
// word, a receive buffer, the timer) has one. A release joins the thread's clock into the
// object's and ticks the thread; an acquire joins the object's into the thread's. Two accesses to
// the same byte, at least one a write, by two threads, race when neither happens before the
// other.
//
// Shadow memory: one cell per 8-byte granule, in 4 KiB pages allocated on first touch. A cell
// keeps up to four recent accesses (thread, clock, read or write, bytes touched, code location,
// time). A write makes the earlier accesses of its bytes history (whatever is ordered after it is
// ordered after them; whatever is not races with it). Bounded history can miss a race (a fifth
// access that none of the four subsumes evicts one); it never invents one: a race is reported only
// for overlapping bytes of two unordered accesses, at least one a write.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace dfc::race {

using Tid = uint32_t;

// One side of a race.
struct Access {
  Tid thread = 0;
  uint64_t time_ps = 0;  // simulated time of the access (the thread's local time)
  bool write = false;
  uint64_t pc = 0;  // code location (host: return address in the firmware; image: MIPS pc)
};

struct Race {
  uint64_t address = 0;  // first byte both accesses touched
  Access first, second;  // first happened earlier in the run, unordered with second
};

// What synchronisation the detector saw, by kind.
enum class Sync : uint8_t { Lock, Atomic, Buffer, Timer, kCount };
const char* sync_name(Sync s);

class Detector {
 public:
  // `threads` hardware threads, numbered 0 .. threads-1.
  explicit Detector(unsigned threads);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  unsigned threads() const { return threads_; }

  // A data access of `size` bytes (any size; ranges are split into granules). true when another
  // thread touched those granules before (the access is to shared memory).
  bool access(Tid t, uint64_t addr, uint64_t size, bool write, uint64_t pc, uint64_t time_ps);

  // Synchronisation on object `obj` (a name space per kind: a lock number, an address).
  void acquire(Tid t, Sync kind, uint64_t obj);
  void release(Tid t, Sync kind, uint64_t obj);
  // An atomic instruction on `addr` (test-and-set, fetch-add, LL/SC, compare-and-swap):
  // acquire and release on that word. Atomic accesses never race with each other; they are
  // not data accesses.
  void atomic(Tid t, uint64_t addr) {
    acquire(t, Sync::Atomic, addr);
    release(t, Sync::Atomic, addr);
  }

  // [addr, addr + size) was (re)allocated: its history ends (an allocator hands memory from
  // one thread to another; the allocator's own locking is not the firmware's data).
  void forget(uint64_t addr, uint64_t size);

  // Races, each pair of code locations once (in the order found), at most `kMaxRaces`.
  static constexpr size_t kMaxRaces = 64;
  const std::vector<Race>& races() const { return races_; }
  uint64_t races_total() const { return races_total_; }  // every racing access, duplicates too
  uint64_t accesses() const { return accesses_; }
  // Reads not checked: inside a sequence-lock read attempt (Hal::race_hint), counted by the host.
  void skip_read() { ++skipped_reads_; }
  uint64_t skipped_reads() const { return skipped_reads_; }
  uint64_t sync_events(Sync s) const { return sync_[static_cast<size_t>(s)]; }
  uint64_t shadow_bytes() const;

 private:
  struct Slot {
    uint64_t epoch = 0;  // (thread + 1) << 48 | clock; 0 = empty
    uint64_t time_ps = 0;
    uint32_t pc = 0;     // pc id (pcs_)
    uint8_t mask = 0;    // bytes of the granule touched
    bool write = false;
  };
  // The granule's recent accesses: writes and reads, each slot one thread's at one clock.
  struct Cell {
    Slot s[4];
  };
  static constexpr unsigned kPageBits = 12;  // 4 KiB of memory per shadow page
  static constexpr unsigned kCellsPerPage = (1u << kPageBits) / 8;
  struct Page {
    Cell cells[kCellsPerPage];
  };

  Cell& cell(uint64_t granule);
  bool granule_access(Tid t, uint64_t granule, uint8_t mask, bool write, uint64_t pc, uint64_t time_ps);
  bool ordered(const Slot& s, Tid t) const;  // s happened before thread t's present
  void report(const Slot& prior, uint64_t granule, uint8_t mask, Tid t, bool write, uint64_t pc, uint64_t time_ps);
  uint32_t pc_id(uint64_t pc);
  uint64_t epoch(Tid t) const { return (uint64_t{t} + 1) << 48 | clocks_[t][t]; }
  std::vector<uint64_t>& object(Sync kind, uint64_t obj);

  unsigned threads_;
  std::vector<std::vector<uint64_t>> clocks_;  // per thread
  std::unordered_map<uint64_t, std::vector<uint64_t>> objects_;  // per (kind, object)
  std::unordered_map<uint64_t, std::unique_ptr<Page>> pages_;
  uint64_t last_page_ = UINT64_MAX;
  Cell* last_cells_ = nullptr;
  std::vector<uint64_t> pcs_;  // pc id -> pc (id 0: a location that did not fit)
  std::unordered_map<uint64_t, uint32_t> pc_ids_;
  std::vector<Race> races_;
  std::unordered_set<uint64_t> race_pairs_;  // (pc id, pc id) seen
  uint64_t races_total_ = 0, accesses_ = 0, skipped_reads_ = 0;
  uint64_t sync_[static_cast<size_t>(Sync::kCount)] = {};
};

}  // namespace dfc::race
