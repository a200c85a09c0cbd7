// The card's shared blocks as TLM-2.0 loosely-timed targets (docs/model.md §1–§2):
//   Interconnect     - arbitration + transfer per transaction, routes by address
//   MemorySubsystem  - packet memory (SRAM) and DRAM behind a shared L2 cache
//   ClassifierTarget - the classifier block in its own clock domain, pipelined lookups,
//                      one register context per core (card_map.hpp CLS_CTX_STRIDE)
//   HwSemaphores     - the hardware locks (HW_LOCK_*)
// Every target computes the absolute time of a request as sc_time_stamp() + delay and books
// its occupancy on an Occupancy timeline, so requests that overlap in simulated time wait
// for each other whatever order the decoupled cores ran them in.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <deque>
#include <memory>
#include <vector>

#include "cache.hpp"
#include "classifier/classifier_bus.hpp"
#include "classifier/classifier_device.hpp"
#include "profile.hpp"
#include "timeline.hpp"
#include "wave.hpp"

namespace dfc::model {

inline uint64_t now_ps() { return sc_core::sc_time_stamp().value(); }  // resolution: 1 ps

// Which initiator (core index, or kDmaInitiator) issued a transaction.
struct InitiatorId : tlm::tlm_extension<InitiatorId> {
  explicit InitiatorId(int i = 0) : id(i) {}
  tlm_extension_base* clone() const override { return new InitiatorId(id); }
  void copy_from(const tlm_extension_base& e) override { id = static_cast<const InitiatorId&>(e).id; }
  int id;
};
constexpr int kDmaInitiator = -1;
inline int initiator_of(tlm::tlm_generic_payload& gp) {
  InitiatorId* e = nullptr;
  gp.get_extension(e);
  return e ? e->id : kDmaInitiator;
}

class MemorySubsystem : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<MemorySubsystem> socket;
  MemorySubsystem(sc_core::sc_module_name n, const CardProfile& p);
  uint64_t sram_busy_ps() const { return sram_.busy_ps(); }
  uint64_t dram_busy_ps() const { return dram_.busy_ps(); }
  const Cache& l2() const { return l2_; }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  Occupancy sram_, dram_;
  Cache l2_;
  double sram_ps_per_byte_, dram_ps_per_byte_;
  uint64_t sram_lat_, dram_lat_, l2_hit_;
};

class ClassifierTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ClassifierTarget> socket;
  ClassifierTarget(sc_core::sc_module_name n, std::unique_ptr<ClassifierDevice> dev, const CardProfile& p);
  ClassifierDevice& device() { return *dev_; }
  uint64_t lookups() const { return lookups_; }
  uint64_t busy_ps() const { return issue_.busy_ps(); }
  // Waveform (null: off): busy (the issue slot), lookups_in_flight (issue to result ready).
  void set_wave(WaveRecorder* w);
  // Extra sync points (schedule seed): the calling core's thread syncs at every access to a
  // context when set.
  bool sync_all = false;

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  struct Context {
    std::unique_ptr<ClassifierBus> bus;
    uint64_t ready_ps = 0;  // the last lookup's result is readable from then
    int last_core = -2;
    bool shared = false;    // more than one core has used this context
  };
  std::unique_ptr<ClassifierDevice> dev_;
  std::vector<Context> ctx_;
  Occupancy issue_;
  uint64_t cycle_ps_, issue_ps_, reg_ps_;
  uint64_t lookups_ = 0;
  WaveRecorder* wave_ = nullptr;
  int w_busy_ = 0, w_flight_ = 0;
};

class HwSemaphores : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<HwSemaphores> socket;
  explicit HwSemaphores(sc_core::sc_module_name n);
  // Called by a core's thread with its local time; returns the time the lock is held from.
  // May wait() (the calling thread) while another core holds the lock across a sync.
  uint64_t acquire(unsigned lock, int core, uint64_t t_ps);
  void release(unsigned lock, int core, uint64_t t_ps);
  uint64_t contended() const { return contended_; }

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

class Interconnect : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Interconnect> target;
  tlm_utils::simple_initiator_socket<Interconnect> to_memory, to_classifier, to_semaphores;
  Interconnect(sc_core::sc_module_name n, const CardProfile& p);
  uint64_t busy_ps() const { return occ_.busy_ps(); }
  uint64_t wait_ps() const { return occ_.wait_ps(); }
  void set_wave(WaveRecorder* w);  // busy: arbitration + transfer of every transaction
  // Multi-sockets bind their callbacks at the end of elaboration; transactions issued while
  // elaborating (the firmware's constructor probing the classifier) come in here.
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);

 private:
  Occupancy occ_;
  double cycle_ps_;
  unsigned bpc_, per_access_;
  WaveRecorder* wave_ = nullptr;
  int w_busy_ = 0;
};

}  // namespace dfc::model
