// One CPU core of the card (docs/model.md §2): `threads_per_core` hardware threads (HwThread,
// each a firmware context with its own SC_THREAD and quantum keeper) sharing one in-order
// pipeline and one L1 data cache, and an initiator socket on the interconnect. The pipeline
// issues one instruction per core cycle among the ready threads: a thread's instructions are
// booked on the pipeline's occupancy timeline at its local time, so a thread that stalls (a
// miss, a lock, a classifier result) leaves the issue slots to its siblings, and two ready
// threads share them. A core's role comes from the profile: control (DTCP and timers on its
// first thread), data (every thread takes packets) or user (idle).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <memory>
#include <string>
#include <vector>

#include "block.hpp"
#include "cache.hpp"
#include "hw_thread.hpp"
#include "profile.hpp"
#include "timeline.hpp"
#include "wave.hpp"

namespace dfc::model {

class Card;

class Core : public sc_core::sc_module, public Block {
 public:
  enum class Role { Control, Data, User };
  tlm_utils::simple_initiator_socket<Core> socket;
  // first_ctx: the firmware context of its thread 0; data_on_control: the control core also
  // takes packets (a card without data cores).
  Core(sc_core::sc_module_name n, unsigned id, Role role, unsigned first_ctx, bool data_on_control,
       const CardProfile& p, Card& card);

  unsigned id() const { return id_; }
  Role role() const { return role_; }
  const char* role_name() const;
  Cache& l1() { return l1_; }
  const Cache& l1() const { return l1_; }
  // Issues `service_ps` of instructions for a thread ready at t_ps; returns when they end.
  uint64_t issue(uint64_t t_ps, uint64_t service_ps);
  std::vector<std::unique_ptr<HwThread>>& threads() { return threads_; }
  const std::vector<std::unique_ptr<HwThread>>& threads() const { return threads_; }
  uint64_t issue_busy_ps() const { return issue_busy_ps_; }

  // Waveform (null: off): busy (threads inside a handler, a timer or housekeeping).
  void set_wave(WaveRecorder* w) override;
  void usage(std::vector<Usage>& out) const override;  // "coreN": the pipeline's issue-busy time
  void add_stats(CardStats& st) const override;        // stalls[id], core_busy_ps[id]

 private:
  unsigned id_;
  Role role_;
  Cache l1_;
  Occupancy pipe_;
  bool shared_;  // more than one thread: book the pipeline (one thread never contends)
  uint64_t issue_busy_ps_ = 0;
  std::vector<std::unique_ptr<HwThread>> threads_;
  const Card& card_;
};

}  // namespace dfc::model
