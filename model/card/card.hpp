// The DFC PIC as a cycle-approximate SystemC/TLM-2.0 model.
//
//   unit 1 (monitored traffic) --+                       +--> unit 2 (IP-IP copies, egress link)
//   unit 0 (DTCP requests) ------+--> ingress buffer --> cores running the firmware --+--> unit 0
//                                                          |  HAL bus accesses          (replies,
//                                                          v  (TLM-2.0 b_transport)      notifications)
//                                                   register/table bus --> classifier (RTL or model)
//
// Timing: loosely-timed with temporal decoupling. One SC_THREAD walks the ingress timeline
// in arrival order and runs each packet's firmware on the earliest free core; the firmware's
// declared cycles and the bus delays annotated by the TLM target give the service time. The
// buffer and the egress link are exact FIFO queues computed from those times, so there is no
// thread switch per packet: the thread only syncs with SystemC time once per quantum.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "classifier/classifier_device.hpp"
#include "dfc/fw/firmware_app.hpp"
#include "dfc/hal/hal.hpp"
#include "profile.hpp"

namespace dfc::model {

// The testbench's side of unit 0 and unit 1: packets in nondecreasing t_arrival_ps.
class IngressSource {
 public:
  enum class Next {
    Packet,  // `out` holds the next packet
    Idle,    // no packet yet; none will arrive before idle_until_ps (live sources: the card
             // fires the timers due until then and asks again)
    End,     // no more packets
  };
  virtual ~IngressSource() = default;
  // next_timer_ps: the card's next timer deadline (UINT64_MAX when none), so that a live
  // source can return Idle in time for it instead of blocking past it.
  virtual Next next(Packet& out, uint64_t next_timer_ps, uint64_t& idle_until_ps) = 0;
};

struct CardStats {
  uint64_t ingress_packets = 0, ingress_bytes = 0;
  uint64_t control_packets = 0, monitor_packets = 0;
  uint64_t ingress_dropped_buffer = 0;       // arrived with the ingress buffer full
  uint64_t egress_copies = 0, egress_bytes = 0;
  uint64_t egress_dropped_queue = 0;         // copies refused by a full egress queue
  uint64_t control_sent = 0;
  uint64_t bus_transactions = 0, classifier_lookups = 0;
  uint64_t timer_events = 0;
  std::vector<uint64_t> core_busy_ps;
  uint64_t first_arrival_ps = 0, last_arrival_ps = 0, end_ps = 0;
  // Monitored traffic only (unit 1): offered = arrived at the MAC, processed = seen by the
  // firmware; the window runs from the first arrival to the last processing end.
  uint64_t monitor_offered = 0;
  uint64_t monitor_first_arrival_ps = 0, monitor_last_arrival_ps = 0, monitor_last_done_ps = 0;
  size_t ingress_buffer_peak = 0;
  uint64_t realtime_late_events = 0, realtime_max_lag_ps = 0;
};

// The register/table bus target: decodes CLS_* addresses onto the classifier block.
class RegBus : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<RegBus> socket;
  RegBus(sc_core::sc_module_name n, std::unique_ptr<ClassifierDevice> dev, const CardProfile& prof);
  ~RegBus() override;
  ClassifierDevice& device() { return *dev_; }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  std::unique_ptr<ClassifierDevice> dev_;
  struct Decoder;
  std::unique_ptr<Decoder> dec_;
  sc_core::sc_time bus_cycle_, cls_cycle_;
  unsigned per_access_, per_word_;
};

class Card : public sc_core::sc_module {
 public:
  using FirmwareFactory = std::function<std::unique_ptr<fw::FirmwareApp>(Hal&)>;
  using Sink = std::function<void(const Packet&, uint64_t t_ps)>;

  tlm_utils::simple_initiator_socket<Card> bus;

  // drain_ps: simulated time the card keeps running after the last arrival (timers keep
  // firing until then, so timeouts and notifications after the traffic are observed).
  Card(sc_core::sc_module_name n, const CardProfile& prof, std::unique_ptr<ClassifierDevice> dev,
       FirmwareFactory make_fw, IngressSource& src, Sink on_copy, Sink on_control, uint64_t drain_ps);
  ~Card() override;

  const CardStats& stats() const { return stats_; }
  // Called for every packet the card drops before the firmware sees it (reason: a
  // report key such as "ingress_buffer_full"), so a scoreboard can explain missing copies.
  void set_drop_sink(std::function<void(const Packet&, const char* reason)> f) { on_drop_ = std::move(f); }
  // Called for every copy the card refuses (its egress queue is full): the copy names its
  // packet (id) and destination (cdest_id), so a scoreboard can excuse exactly that copy.
  void set_copy_drop_sink(std::function<void(const Packet&, const char* reason)> f) { on_copy_drop_ = std::move(f); }
  // Called after the firmware handled a packet: when it started on a core and when it ended.
  void set_done_sink(std::function<void(const Packet&, uint64_t start_ps, uint64_t done_ps)> f) {
    on_done_ = std::move(f);
  }
  fw::FirmwareApp& firmware() { return *fw_; }
  // Real-time mode (`dfcsim serve`): simulated time never runs ahead of wall time (measured
  // from the first packet or idle step); when the model falls behind by more than
  // max_lag_ps the lag is counted in stats (realtime_late_events, realtime_max_lag_ps).
  void set_realtime(bool on, uint64_t max_lag_ps = 10'000'000'000ull) { realtime_ = on, max_lag_ps_ = max_lag_ps; }
  // Simulated time the card has reached (the latest handler start).
  uint64_t now_ps() const { return now_ps_; }
  ClassifierDevice& classifier() { return regbus_.device(); }
  const CardProfile& profile() const { return prof_; }

 private:
  class CardHal;
  void run();
  void fire_timers_until(uint64_t t_ps);
  void sync(uint64_t t_ps);
  bool transmit(Packet&& p, uint64_t t_ps);

  CardProfile prof_;
  RegBus regbus_;
  std::unique_ptr<CardHal> hal_;
  std::unique_ptr<fw::FirmwareApp> fw_;
  IngressSource& src_;
  Sink on_copy_, on_control_;
  uint64_t drain_ps_;
  std::function<void(const Packet&, const char*)> on_drop_, on_copy_drop_;
  std::function<void(const Packet&, uint64_t, uint64_t)> on_done_;
  CardStats stats_;
  std::vector<uint64_t> core_free_ps_;
  std::deque<uint64_t> waiting_starts_;  // start times of buffered packets not yet started
  std::deque<uint64_t> egress_departs_;  // departure times of queued copies
  uint64_t egress_free_ps_ = 0;
  uint64_t timer_at_ps_ = UINT64_MAX;
  uint64_t quantum_ps_ = 1'000'000;  // 1 us of decoupling
  uint64_t now_ps_ = 0;
  bool realtime_ = false;
  uint64_t max_lag_ps_ = 0;
  bool wall_started_ = false;
  std::chrono::steady_clock::time_point wall0_;
  void pace(uint64_t t_ps);
};

}  // namespace dfc::model
