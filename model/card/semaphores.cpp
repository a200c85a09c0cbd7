#include "semaphores.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "card_stats.hpp"
#include "dfc/hal/card_map.hpp"

namespace dfc::model {

HwSemaphores::HwSemaphores(sc_core::sc_module_name n) : sc_module(n), socket("socket"), locks_(cardmap::HW_LOCK_COUNT) {
  socket.register_b_transport(this, &HwSemaphores::b_transport);
}

void HwSemaphores::add_stats(CardStats& st) const { st.lock_contended = contended_; }

void HwSemaphores::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  // The register access itself (priced by the interconnect); the lock state is kept by
  // acquire()/release(), which the calling core runs right after.
  gp.set_response_status(gp.get_address() < cardmap::HW_SEM_BASE + 4 * locks_.size() ? tlm::TLM_OK_RESPONSE
                                                                                     : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

uint64_t HwSemaphores::acquire(unsigned lock, int core, uint64_t t_ps) {
  if (lock >= locks_.size()) throw std::runtime_error("lock_acquire: no hardware semaphore " + std::to_string(lock));
  Lock& l = locks_[lock];
  if (l.holder == core) throw std::runtime_error("lock_acquire: core " + std::to_string(core) +
                                                 " already holds semaphore " + std::to_string(lock));
  if (l.holder >= 0) {
    // Held by a core that synchronised inside its critical section: wait for the release in
    // simulated time (the caller's thread sleeps).
    ++contended_;
    const uint64_t now = now_ps();
    if (t_ps > now) wait(at_ps(t_ps - now));
    while (l.holder >= 0) wait(l.released);
    t_ps = std::max(t_ps, now_ps());
  }
  // Not held now, but another core may have held it over [a, b) in this core's future or
  // past (decoupled cores run out of time order): start after any interval covering t.
  const uint64_t floor = now_ps();
  while (!l.held.empty() && l.held.front().second < floor) l.held.pop_front();
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [a, b] : l.held)
      if (t_ps >= a && t_ps < b) t_ps = b, moved = true;
  }
  l.holder = core;
  l.since_ps = t_ps;
  return t_ps;
}

void HwSemaphores::release(unsigned lock, int core, uint64_t t_ps) {
  if (lock >= locks_.size() || locks_[lock].holder != core)
    throw std::runtime_error("lock_release: core " + std::to_string(core) + " does not hold semaphore " +
                             std::to_string(lock));
  Lock& l = locks_[lock];
  if (l.held.size() >= 256) l.held.pop_front();
  l.held.emplace_back(l.since_ps, t_ps);
  l.holder = -1;
  const uint64_t now = now_ps();
  l.released.notify(at_ps(t_ps > now ? t_ps - now : 0));
}

}  // namespace dfc::model
