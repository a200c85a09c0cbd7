// The fast card (docs/fast-mode.md): the same card as model/card (the profile's cores,
// hardware threads, rings, classifier, ports) running the same host-compiled firmware, priced
// without SystemC: a plain-C++ discrete-event loop in which every hardware thread has a local
// clock and the thread (or arrival) with the earliest time goes next. A handler runs to
// completion and its HAL calls advance its thread's clock by their priced cost: declared work at
// the profile's work.* cycles on the core's shared issue pipeline, memory through the core's L1
// and the shared L2, and the interconnect, memories and classifier as analytic queues
// (fast_queue.hpp) from the profile's latencies and bandwidths. The ingress and egress MACs
// serialise exactly (frame + preamble/SFD + IFG at line rate), the distribution is the card's
// (distribution.hpp), and the receive rings, buffer limits and drop reasons are the firmware
// driver's, as in the timing card.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "cache.hpp"
#include "card_stats.hpp"
#include "classifier/classifier_bus.hpp"
#include "classifier/classifier_device.hpp"
#include "dfc/fw/driver.hpp"
#include "dfc/fw/firmware_app.hpp"
#include "dfc/hal/hal.hpp"
#include "distribution.hpp"
#include "fast_queue.hpp"
#include "ingress_port.hpp"
#include "profile.hpp"
#include "timeline.hpp"
#include "wall_pacer.hpp"

namespace dfc::fast {

class FastCard {
 public:
  using FirmwareFactory = std::function<std::unique_ptr<fw::FirmwareApp>(Hal&)>;
  using Sink = std::function<void(const Packet&, uint64_t t_ps)>;
  // As model::Card's constructor (drain_ps: simulated time after the last arrival). Throws
  // model::ProfileError for a profile the card cannot be built from.
  FastCard(const model::CardProfile& prof, std::unique_ptr<model::ClassifierDevice> dev, FirmwareFactory make_fw,
           model::IngressSource& src, Sink on_copy, Sink on_control, uint64_t drain_ps);
  ~FastCard();
  FastCard(const FastCard&) = delete;
  FastCard& operator=(const FastCard&) = delete;

  // The same hooks as model::Card's, with the same event order.
  void set_drop_sink(std::function<void(const Packet&, const char*)> f) { on_drop_ = std::move(f); }
  void set_arrival_sink(std::function<void(const Packet&)> f) { on_arrival_ = std::move(f); }
  void set_copy_drop_sink(std::function<void(const Packet&, const char*)> f) { on_copy_drop_ = std::move(f); }
  void set_done_sink(std::function<void(const Packet&, uint64_t, uint64_t)> f) { on_done_ = std::move(f); }

  // Runs until the source ends and the drain time has passed, or until stop().
  void run();
  // Ends the run at the next event (a lockstep classifier's divergence).
  void stop() { stop_ = true; }
  // A live source (serve): the ingress takes one packet ahead (the source blocks until each is
  // due), and at every arrival the card's time is held against the wall clock as the timing
  // card's is (model::Card::set_realtime): ahead, it waits; behind by more than max_lag_ps, a
  // late event (stats: realtime_late_events, realtime_max_lag_ps).
  void set_realtime(bool on, uint64_t max_lag_ps = 10'000'000'000ull);
  model::CardStats stats() const;
  // Busy fractions over the measurement window, named and ordered as model::Card's.
  std::vector<std::pair<std::string, double>> utilisation() const;
  std::vector<std::pair<std::string, double>> bottleneck_scores() const;
  std::string bottleneck() const;
  // Nothing the firmware does from now on is stamped before this time.
  uint64_t cores_time_floor_ps() const { return floor_ps_; }
  model::ClassifierDevice& classifier() { return *dev_; }
  const model::CardProfile& profile() const { return prof_; }

 private:
  class FastHal;
  enum class Role { Control, Data, Idle };
  enum StallKind { kMemory, kClassifier, kLock };  // where a thread's waiting time is booked
  struct Thread {
    unsigned ctx = 0, core = 0;
    Role role = Role::Idle;
    uint64_t clock = 0;
    double frac_ps = 0;
    model::StallTimes st;
    std::deque<uint64_t> desc_times;  // arrival times of descriptors not taken yet
    uint64_t consumer = 0;            // free-ring entries the DMA took
    uint64_t tail = 0;                // descriptors the DMA wrote
    Packet frame;                     // the frame the current poll took
    bool have_frame = false;
    uint64_t missed_polls = 0;        // polls in a row that took nothing
  };
  struct Core {
    model::Occupancy pipe;
    model::Cache l1;
    uint64_t issue_busy_ps = 0;
    bool shared = false;
    std::string role;
  };
  struct Lock {
    uint64_t since = 0, free_at = 0, last_start = 0;
    int holder = -1;
    model::LockStats st;
  };
  struct Staged {
    Packet p;
    unsigned ctx;
    uint32_t hash;  // the distribution's flow hash (its descriptor carries it too)
  };
  struct TimedWrite {
    uint64_t t, addr;
    uint32_t v;
    bool operator>(const TimedWrite& o) const { return t > o.t; }
  };

  // ---- fast_card.cpp: the event loop, ingress and egress
  model::Distribution make_distribution() const;
  void build_threads();
  void stage();
  void admit(Staged& s);
  uint64_t ic_svc(uint32_t bytes) const;
  void count_drop(const Packet& p, const char* why);
  uint64_t ready_at(const Thread& th) const;
  void step(Thread& th, uint64_t t);
  void poll(Thread& th);
  void idle_loop(Thread& th);
  void run_timer(Thread& th);
  void finish();
  bool transmit(Packet&& p);
  void apply_writes(uint64_t t);

  // ---- fast_hal.cpp: pricing of the HAL calls on the current thread
  void cycles(double n);
  void mem(uint64_t addr, uint32_t bytes, bool write);
  // One access through the interconnect to memory from `initiator` (a context, or -1: a DMA
  // engine) at t; returns when its data is back (reads) or it is accepted (writes).
  uint64_t access(uint64_t addr, uint32_t bytes, bool write, uint64_t t, int initiator);
  uint64_t interconnect(uint64_t addr, uint32_t bytes, uint64_t t, int initiator);
  void stall(uint64_t from, uint64_t to, int kind);
  uint32_t load32(uint64_t addr);
  void store32(uint64_t addr, uint32_t v);
  void reg(uint32_t addr, uint32_t* words, size_t n, bool write);
  void classifier_reg(uint32_t addr, uint32_t* words, size_t n, bool write);
  void lock_acquire(unsigned lock);
  void lock_release(unsigned lock);
  Packet* rx_frame(uint64_t buf_addr);
  uint32_t& word(uint64_t addr);
  // ---- fast_security.cpp: Hal::hmac_sha1 on the profile's security engine (false: none)
  bool hmac(const uint8_t* key, const uint8_t* data, size_t n, uint8_t* digest);

  model::CardProfile prof_;
  std::unique_ptr<model::ClassifierDevice> dev_;
  model::IngressSource& src_;
  Sink on_copy_, on_control_;
  uint64_t drain_ps_;
  std::function<void(const Packet&, const char*)> on_drop_, on_copy_drop_;
  std::function<void(const Packet&)> on_arrival_;
  std::function<void(const Packet&, uint64_t, uint64_t)> on_done_;

  model::Distribution dist_;
  std::vector<Thread> threads_;
  std::vector<Core> cores_;
  std::vector<Lock> locks_;
  std::vector<std::unique_ptr<model::ClassifierBus>> cls_;  // a lookup context per hardware thread
  std::vector<uint64_t> cls_ready_;
  model::Cache l2_;
  AnalyticQueue ic_data_, ic_msg_, sram_, dram_, cls_q_;
  double cycle_ps_, ic_cycle_ps_, sram_ps_per_byte_, dram_ps_per_byte_;
  uint64_t sram_lat_, dram_lat_, l2_hit_, cls_cycle_ps_, cls_issue_ps_, cls_reg_ps_;
  uint64_t cls_time_ = 0;
  model::Occupancy sec_core_;  // the security engine's SHA-1 core
  uint64_t sec_block_ps_ = 0, sec_requests_ = 0;
  // The descriptor rings' words (RX_RING_BASE up to TX_BUF_BASE), zero pages not resident.
  uint32_t* words_ = nullptr;
  std::priority_queue<TimedWrite, std::vector<TimedWrite>, std::greater<TimedWrite>> pending_;
  fw::DriverOptions dopt_;
  // The frame in each receive buffer (by buffer index), and whether it holds one.
  std::vector<Packet> frames_;
  std::vector<char> held_;
  std::deque<Staged> staged_;
  bool src_end_ = false;
  bool realtime_ = false;
  model::WallPacer pacer_;
  uint64_t idle_until_ = 0, mac_free_ps_ = 0, ingress_busy_ps_ = 0;
  size_t in_use_ = 0;
  // Egress: the MAC's queue (service starts of queued copies) and line.
  std::deque<uint64_t> eg_starts_;
  uint64_t eg_free_ps_ = 0, eg_busy_ps_ = 0;
  uint64_t timer_at_ps_ = UINT64_MAX, floor_ps_ = 0;
  bool booting_ = true, stop_ = false;
  Thread* cur_ = nullptr;
  model::CardStats stats_;
  std::unique_ptr<FastHal> hal_;
  std::unique_ptr<fw::FirmwareApp> fw_;
};

}  // namespace dfc::fast
