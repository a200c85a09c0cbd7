// One CPU core of the card (docs/model.md §2): its own SC_THREAD running the firmware's
// packet loop (poll the receive ring, read the descriptor, run the handler), temporally
// decoupled with its own tlm_utils::tlm_quantumkeeper, a private L1 data cache, and an
// initiator socket on the interconnect. The HAL calls of the handler it runs are priced
// here: declared work at the profile's cycles per operation, memory through the L1 (and the
// interconnect, L2 and DRAM on a miss), register accesses as blocking TLM transactions.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <random>

#include "block.hpp"
#include "cache.hpp"
#include "dfc/hal/hal.hpp"
#include "profile.hpp"
#include "wave.hpp"

namespace dfc::model {

class Card;

class Core : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_initiator_socket<Core> socket;
  Core(sc_core::sc_module_name n, unsigned id, const CardProfile& p, Card& card);

  unsigned id() const { return id_; }
  // This core's local time: SystemC time plus its quantum keeper's offset.
  uint64_t local_ps() const { return sc_core::sc_time_stamp().value() + qk_.get_local_time().value(); }
  void cycles(double n);
  void work(Hal::Work k, uint64_t n) { cycles(work_[static_cast<size_t>(k)] * double(n)); }
  void mem(uint64_t addr, uint32_t bytes, bool write);
  void reg(tlm::tlm_command cmd, uint32_t addr, uint32_t* words, size_t n);
  void lock_acquire(unsigned lock);
  void lock_release(unsigned lock);

  uint64_t busy_ps() const { return busy_ps_; }
  uint64_t final_ps() const { return final_ps_; }
  bool finished() const { return finished_; }
  const Cache& l1() const { return l1_; }
  // Waveform (null: off): busy while it runs a handler, a timer or the idle housekeeping.
  void set_wave(WaveRecorder* w) override;
  void usage(std::vector<Usage>& out) const override;  // "coreN": the same busy time
  void add_stats(CardStats& st) const override;        // core_busy_ps[id]

 private:
  // Perturbs the quantum per sync when a schedule seed is set (deterministically).
  class Keeper : public tlm_utils::tlm_quantumkeeper {
   public:
    std::mt19937_64* rng = nullptr;

   protected:
    sc_core::sc_time compute_local_quantum() override;
  };
  void run();
  bool run_idle();  // FirmwareApp::on_idle, priced like a handler
  void handle(Packet& p);
  void run_timer();
  void advance_to(uint64_t t_ps);
  void idle_core0(uint64_t until_ps);
  void maybe_sync();
  void sync();
  // One blocking transaction at the current local time; returns the added delay.
  void transport(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, uint32_t bytes, bool posted);
  void end_of_traffic();

  unsigned id_;
  Card& card_;
  Keeper qk_;
  Cache l1_;
  double cycle_ps_, frac_ps_ = 0, l1_hit_cycles_;
  double work_[static_cast<size_t>(Hal::Work::kCount)];
  uint64_t desc_bytes_;
  uint64_t busy_ps_ = 0, final_ps_ = 0;
  bool finished_ = false;
  std::mt19937_64 rng_;
  bool perturb_ = false;
  WaveRecorder* wave_ = nullptr;
  int w_busy_ = 0;
  tlm::tlm_generic_payload gp_;
  unsigned char scratch_[256] = {};
  // A streaming read fetches its missing lines in bursts of up to one DRAM page.
  static constexpr uint32_t kBurstBytes = 4096;
  unsigned char burst_[kBurstBytes] = {};
};

}  // namespace dfc::model
