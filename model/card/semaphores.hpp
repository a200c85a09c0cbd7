// HwSemaphores: the card's hardware locks (card_map.hpp HW_LOCK_*, docs/model.md §6). The
// register access is an ordinary transaction (priced by the interconnect); the lock state is
// kept by acquire()/release(), which the calling hardware thread runs right after it, at its
// local time. Each lock counts its acquisitions, those that had to wait, and the time waited
// (CardStats::locks).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "block.hpp"

namespace dfc::model {

class HwSemaphores : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_target_socket<HwSemaphores> socket;
  explicit HwSemaphores(sc_core::sc_module_name n);
  // Called by a hardware thread (holder = core * threads_per_core + thread) with its local
  // time; returns the time the lock is held from. May wait() (the calling SystemC thread) while
  // another holder keeps the lock across a sync.
  uint64_t acquire(unsigned lock, int holder, uint64_t t_ps);
  void release(unsigned lock, int holder, uint64_t t_ps);
  // The firmware image's try-lock (docs/iss.md): never waits. true when `holder` now holds the
  // lock (it was free, or `holder` already held it: no nesting), granted at `at` (t_ps, or after
  // a recorded hold that covers it); false when another thread holds it now.
  bool try_acquire(unsigned lock, int holder, uint64_t t_ps, uint64_t& at);
  int holder(unsigned lock) const { return locks_.at(lock).holder; }
  // A refused try-lock's sleep until the release: counted as one contended acquisition's wait.
  void note_wait(unsigned lock, uint64_t ps) {
    Lock& l = locks_.at(lock);
    ++l.contended;
    l.wait_ps += ps;
  }
  sc_core::sc_event& released_event(unsigned lock) { return locks_.at(lock).released; }
  // Acquisitions, over all locks, that were granted later than asked for.
  uint64_t contended() const;
  void add_stats(CardStats& st) const override;
  // card_map.hpp's name for a lock without the HW_LOCK_ prefix, lower case ("criteria");
  // "lock<N>" for a lock without a named constant.
  static std::string lock_name(unsigned lock);

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  struct Lock {
    int holder = -1;
    uint64_t since_ps = 0;
    std::deque<std::pair<uint64_t, uint64_t>> held;  // recent [acquire, release) intervals
    sc_core::sc_event released;
    uint64_t acquisitions = 0, contended = 0, wait_ps = 0;
  };
  // The grant both acquire() and try_acquire() end with: after any recorded hold covering t_ps,
  // counted (contended when later than asked_ps); the lock is the holder's from then.
  uint64_t grant(Lock& l, int holder, uint64_t asked_ps, uint64_t t_ps);
  std::vector<Lock> locks_;
};

}  // namespace dfc::model
