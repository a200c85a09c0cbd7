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

std::string HwSemaphores::lock_name(unsigned lock) {
  // The generated map has the constants but no names: the named ones are listed here, so a
  // lock added to card_map.json without a line here still reports (as lock<N>).
  switch (lock) {
    case cardmap::HW_LOCK_CRITERIA: return "criteria";
    case cardmap::HW_LOCK_CLASSIFIER: return "classifier";
    default: return "lock" + std::to_string(lock);
  }
}

uint64_t HwSemaphores::contended() const {
  uint64_t n = 0;
  for (const Lock& l : locks_) n += l.contended;
  return n;
}

void HwSemaphores::add_stats(CardStats& st) const {
  st.lock_contended = contended();
  st.locks.clear();
  for (unsigned i = 0; i < locks_.size(); ++i) {
    const Lock& l = locks_[i];
    const bool named = i == cardmap::HW_LOCK_CRITERIA || i == cardmap::HW_LOCK_CLASSIFIER;
    if (l.acquisitions == 0 && !named) continue;
    LockStats ls;
    ls.name = lock_name(i);
    ls.acquisitions = l.acquisitions;
    ls.contended = l.contended;
    ls.wait_ps = l.wait_ps;
    st.locks.push_back(ls);
  }
}

void HwSemaphores::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time&) {
  // The register access itself (priced by the interconnect); the lock state is kept by
  // acquire()/release(), which the calling hardware thread runs right after.
  gp.set_response_status(gp.get_address() < cardmap::HW_SEM_BASE + 4 * locks_.size() ? tlm::TLM_OK_RESPONSE
                                                                                     : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

uint64_t HwSemaphores::acquire(unsigned lock, int holder, uint64_t t_ps) {
  if (lock >= locks_.size()) throw std::runtime_error("lock_acquire: no hardware semaphore " + std::to_string(lock));
  Lock& l = locks_[lock];
  if (l.holder == holder)
    throw std::runtime_error("lock_acquire: hardware thread " + std::to_string(holder) + " already holds semaphore " +
                             std::to_string(lock));
  const uint64_t asked_ps = t_ps;
  if (l.holder >= 0) {
    // Held by a thread that synchronised inside its critical section: wait for the release in
    // simulated time (the caller's thread sleeps).
    const uint64_t now = now_ps();
    if (t_ps > now) wait(at_ps(t_ps - now));
    while (l.holder >= 0) wait(l.released);
    t_ps = std::max(t_ps, now_ps());
  }
  return grant(l, holder, asked_ps, t_ps);
}

uint64_t HwSemaphores::grant(Lock& l, int holder, uint64_t asked_ps, uint64_t t_ps) {
  // Not held now, but another thread may have held it over [a, b) in this thread's future or
  // past (decoupled threads run out of time order): start after any interval covering t.
  const uint64_t floor = now_ps();
  while (!l.held.empty() && l.held.front().second < floor) l.held.pop_front();
  for (bool moved = true; moved;) {
    moved = false;
    for (const auto& [a, b] : l.held)
      if (t_ps >= a && t_ps < b) t_ps = b, moved = true;
  }
  // Contended = granted later than asked, whether by a live hold or a recorded one: a lock
  // found held but released before the asker's time cost it nothing.
  ++l.acquisitions;
  if (t_ps > asked_ps) {
    ++l.contended;
    l.wait_ps += t_ps - asked_ps;
  }
  l.holder = holder;
  l.since_ps = t_ps;
  return t_ps;
}

bool HwSemaphores::try_acquire(unsigned lock, int holder, uint64_t t_ps, uint64_t& at) {
  if (lock >= locks_.size()) throw std::runtime_error("no hardware semaphore " + std::to_string(lock));
  Lock& l = locks_[lock];
  at = t_ps;
  if (l.holder == holder) return true;
  if (l.holder >= 0) return false;
  at = grant(l, holder, t_ps, t_ps);
  return true;
}

void HwSemaphores::release(unsigned lock, int holder, uint64_t t_ps) {
  if (lock >= locks_.size() || locks_[lock].holder != holder)
    throw std::runtime_error("lock_release: hardware thread " + std::to_string(holder) + " does not hold semaphore " +
                             std::to_string(lock));
  Lock& l = locks_[lock];
  if (l.held.size() >= 256) l.held.pop_front();
  l.held.emplace_back(l.since_ps, t_ps);
  l.holder = -1;
  const uint64_t now = now_ps();
  l.released.notify(at_ps(t_ps > now ? t_ps - now : 0));
}

}  // namespace dfc::model
