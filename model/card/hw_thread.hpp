// One hardware thread of a core (docs/model.md §2): a firmware context with its own
// SC_THREAD running the firmware's loop (poll its receive ring, run the handler), temporally
// decoupled with its own tlm_utils::tlm_quantumkeeper. It shares its core's pipeline (one
// instruction issue per core cycle among the ready threads: Core::issue) and L1 data cache.
// The HAL calls of the handler it runs are priced here: declared work as instructions
// issued on the shared pipeline, memory through the L1 (and the interconnect, L2 and DRAM
// on a miss), register accesses as blocking TLM transactions. While a thread waits for a
// miss, a lock or the classifier, it issues nothing, so its siblings have the pipeline:
// latency is hidden, or not, as it emerges from the work. Every picosecond of its local
// time is attributed to compute, memory, lock, classifier or idle (StallTimes).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <random>

#include "block.hpp"
#include "card_stats.hpp"
#include "dfc/hal/hal.hpp"
#include "iss/mips_iss.hpp"
#include "profile.hpp"
#include "race/detector.hpp"
#include "wave.hpp"

namespace dfc::model {

class Card;
class Core;

class HwThread : public sc_core::sc_module {
 public:
  // What the thread runs: the control thread (DTCP and the timers), a data thread (its
  // receive ring), or nothing (an idle user-core thread, or a control core's other threads).
  enum class Role { Control, Data, Idle };
  HwThread(sc_core::sc_module_name n, unsigned ctx, Role role, const CardProfile& p, Core& core, Card& card);

  unsigned ctx() const { return ctx_; }  // firmware context: core * threads_per_core + thread
  Role role() const { return role_; }
  // This thread's local time: SystemC time plus its quantum keeper's offset.
  uint64_t local_ps() const { return sc_core::sc_time_stamp().value() + qk_.get_local_time().value(); }
  void cycles(double n);
  void work(Hal::Work k, uint64_t n) { cycles(work_[static_cast<size_t>(k)] * double(n)); }
  void mem(uint64_t addr, uint32_t bytes, bool write);
  // A descriptor-memory word (Hal::load32/store32): the value travels in the transaction.
  uint32_t load32(uint64_t addr);
  void store32(uint64_t addr, uint32_t v);
  void reg(tlm::tlm_command cmd, uint64_t addr, uint32_t* words, size_t n);
  void lock_acquire(unsigned lock);
  void lock_release(unsigned lock);
  // Waits (issuing nothing) until an accelerator's answer at until_ps: the security engine's.
  // Counted as the classifier's stall kind, the accelerators' (StallTimes has no other).
  void accelerator_wait(uint64_t until_ps);

  uint64_t final_ps() const { return final_ps_; }
  bool finished() const { return finished_; }
  // Where its time went up to `end_ps` (idle is the rest).
  StallTimes stalls(uint64_t end_ps) const;
  // Hal::rx_frame on this thread (driver mode): the frame in that receive buffer, from now on
  // the thread's until its next poll; null when the buffer holds none.
  Packet* rx_frame(uint64_t buf_addr);
  void set_wave(WaveRecorder* w, int busy_signal) { wave_ = w, w_busy_ = busy_signal; }

  // ---- The race checker in host mode (hw_thread_race.cpp, docs/race-check.md): the firmware
  // code of this thread runs from race_open() (entering a handler, a poll or the timer, or back
  // from a HAL call) to race_close() (it called the HAL, or returned). No-ops when checking is off.
  void race_open();
  void race_close();
  void race_hint(Hal::RaceHint h);
  // Synchronisation this thread performed (a lock, the timer, a buffer hand-off).
  void race_sync(race::Sync kind, uint64_t obj, bool release);

  // ---- The firmware image on the instruction-set simulator (hw_thread_iss.cpp, iss_card.hpp).
  // Runs this thread's context in slices until the image writes PLAT_WAIT: the time of its
  // instructions (one issue slot each on the core's pipeline, plus the L1's load-to-use cycles
  // per load) is booked as they retire, its device accesses as the card's transactions.
  void run_image();
  // From a device callback: prices the instructions the slice retired so far, so that the
  // access happens at the thread's true local time.
  void iss_catch_up();
  // The image asks for a synchronisation (PLAT_SYNC): done after the slice, before its next
  // instruction (the slice ends at the next block).
  void iss_sync() { sync(); }
  // The image's semaphore read: true when this thread now holds `lock` (never waits).
  bool iss_try_lock(unsigned lock);
  // A packet-memory access of the image outside the rings (buffers): priced per line as an
  // uncached transaction (the first access of each line in a run of accesses to it).
  void pkt_access(uint64_t addr, bool write);
  // The frame the image took (rx_frame) is being handled from now / is done.
  void iss_frame_begin();
  void iss_frame_end();
  bool iss_frame_open() const { return have_frame_; }
  Unit iss_frame_unit() const { return frame_.unit; }

 private:
  // Perturbs the quantum per sync when a schedule seed is set (deterministically).
  class Keeper : public tlm_utils::tlm_quantumkeeper {
   public:
    std::mt19937_64* rng = nullptr;

   protected:
    sc_core::sc_time compute_local_quantum() override;
  };
  void run();
  // One poll of the firmware's driver (the thread's ring got a frame).
  void poll();
  bool run_idle();  // FirmwareApp::on_idle, priced like a handler
  void handle(Packet& p);
  void run_timer();
  void advance_to(uint64_t t_ps);
  void idle_control(uint64_t until_ps);
  void maybe_sync();
  void sync();
  // One blocking transaction at the current local time; its delay is booked as a stall of
  // the kind its target gives (memory, classifier, lock).
  void transport(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, uint32_t bytes, bool posted);
  void end_of_traffic();
  void end_control();
  uint64_t slice_budget() const;
  void iss_price(uint64_t instructions, uint64_t loads);
  void wait_lock(unsigned lock);

  unsigned ctx_;
  Role role_;
  Core& core_;
  Card& card_;
  Keeper qk_;
  double cycle_ps_, frac_ps_ = 0, l1_hit_cycles_;
  double work_[static_cast<size_t>(Hal::Work::kCount)];
  uint64_t final_ps_ = 0;
  bool finished_ = false;
  StallTimes st_;
  Packet frame_;  // the frame the current poll took (driver mode)
  bool have_frame_ = false;
  std::mt19937_64 rng_;
  bool perturb_ = false;
  WaveRecorder* wave_ = nullptr;
  int w_busy_ = 0;
  tlm::tlm_generic_payload gp_;
  unsigned char scratch_[256] = {};
  // A streaming read fetches its missing lines in bursts of up to one DRAM page.
  static constexpr uint32_t kBurstBytes = 4096;
  unsigned char burst_[kBurstBytes] = {};
  // The image (ISS mode).
  bool in_slice_ = false;     // inside MipsIss::run: nothing may wait (iss_card.hpp)
  bool sync_wanted_ = false;  // a sync requested inside the slice: done after it
  iss::MipsIss::Counters priced_;
  double load_extra_cycles_ = 0;  // per load: the L1's load-to-use cycles beyond its issue slot
  uint64_t frame_start_ps_ = 0;
  uint64_t pkt_line_ = UINT64_MAX;
  bool pkt_line_write_ = false;
  // The race checker (host mode).
  bool race_ignore_reads_ = false;  // inside a sequence-lock read attempt (Hal::race_hint)
  static uint64_t race_now(void* self);
  static void race_shared_access(void* self);
};

}  // namespace dfc::model
