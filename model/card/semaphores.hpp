// HwSemaphores: the card's hardware locks (card_map.hpp HW_LOCK_*, docs/model.md §6). The
// register access is an ordinary transaction (priced by the interconnect); the lock state is
// kept by acquire()/release(), which the calling core runs right after it, at its local time.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <deque>
#include <utility>
#include <vector>

#include "block.hpp"

namespace dfc::model {

class HwSemaphores : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_target_socket<HwSemaphores> socket;
  explicit HwSemaphores(sc_core::sc_module_name n);
  // Called by a core's thread with its local time; returns the time the lock is held from.
  // May wait() (the calling thread) while another core holds the lock across a sync.
  uint64_t acquire(unsigned lock, int core, uint64_t t_ps);
  void release(unsigned lock, int core, uint64_t t_ps);
  uint64_t contended() const { return contended_; }
  void add_stats(CardStats& st) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  struct Lock {
    int holder = -1;
    uint64_t since_ps = 0;
    std::deque<std::pair<uint64_t, uint64_t>> held;  // recent [acquire, release) intervals
    sc_core::sc_event released;
  };
  std::vector<Lock> locks_;
  uint64_t contended_ = 0;
};

}  // namespace dfc::model
