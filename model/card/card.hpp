// The DFC PIC as a loosely-timed SystemC/TLM-2.0 virtual platform (docs/model.md):
//
//  unit 1 ─▶ IngressPort ─▶ IngressDma + Distribution ──(frames, descriptors)──┐
//  unit 0 ─┘                  │ a receive ring per hardware thread              │
//                             ▼                                                 ▼
//            Core 0 … Core N-1 (threads: SC_THREAD + quantum keeper; pipeline, L1) ─▶ Interconnect ─▶ MemorySubsystem
//                   │ Hal (CardHal)                                  │  │  (SRAM, L2, DRAM)
//                   ▼                                                │  └▶ ClassifierTarget (per-core
//            EgressDma ─▶ EgressPort ─▶ unit 2                       │      contexts, own clock)
//                                                                    └──▶ HwSemaphores
//            SecurityEngine (HMAC-SHA1, Hal::hmac_sha1 / the image's SEC_* registers) ─▶ Interconnect (its DMA)
//
// Every block is its own module in its own file (block.hpp: what they share) and a Block, so
// the card reaches them all alike for waveforms, utilisation and statistics. Blocks talk through
// TLM-2.0 sockets (b_transport with annotated delay); the interconnect routes by the address map
// generated from data/card_map.json. Only the cores' hardware threads have SystemC threads. Shared blocks price contention
// with occupancy timelines (timeline.hpp), so cores synchronise with SystemC time only at quantum
// ends, on a contended hardware lock and on a classifier context that several cores use.
#pragma once
#include <systemc>
#include <tlm>

#include <functional>
#include <unordered_map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "block.hpp"
#include "card_stats.hpp"
#include "classifier/classifier_device.hpp"
#include "classifier_target.hpp"
#include "core.hpp"
#include "distribution.hpp"
#include "hw_thread.hpp"
#include "wall_pacer.hpp"
#include "dfc/fw/firmware_app.hpp"
#include "dfc/hal/hal.hpp"
#include "egress_dma.hpp"
#include "egress_port.hpp"
#include "ingress_dma.hpp"
#include "ingress_port.hpp"
#include "interconnect.hpp"
#include "iss_card.hpp"
#include "memory.hpp"
#include "profile.hpp"
#include "race/detector.hpp"
#include "security_engine.hpp"
#include "semaphores.hpp"
#include "wave.hpp"
#include "usage_sampler.hpp"
#include "wave_events.hpp"

namespace dfc::model {

class Card : public sc_core::sc_module {
 public:
  using FirmwareFactory = std::function<std::unique_ptr<fw::FirmwareApp>(Hal&)>;
  using Sink = std::function<void(const Packet&, uint64_t t_ps)>;

  // drain_ps: simulated time the card keeps running after the last arrival (timers keep
  // firing until then, so timeouts and notifications after the traffic are observed).
  // image: run the firmware image on the instruction-set simulator (iss_card.hpp) instead of
  // the host-compiled firmware make_fw builds (then unused).
  Card(sc_core::sc_module_name n, const CardProfile& prof, std::unique_ptr<ClassifierDevice> dev,
       FirmwareFactory make_fw, IngressSource& src, Sink on_copy, Sink on_control, uint64_t drain_ps,
       const IssImageSpec* image = nullptr);
  ~Card() override;

  // The counters so far: the card's own and those its blocks keep (Block::add_stats).
  CardStats stats() const;
  // Called for every packet the card drops before the firmware sees it (reason: a
  // report key such as "ingress_buffer_full"), so a scoreboard can explain missing copies.
  void set_drop_sink(std::function<void(const Packet&, const char* reason)> f) {
    ingress_dma_.on_drop = [this, f = std::move(f)](const Packet& p, const char* why) {
      wave_events_.drop(p.t_arrival_ps, why, p.id);  // card.drop on the waveform
      if (f) f(p, why);
    };
  }
  // Called for every packet as the card admits it, at its (MAC) arrival time and in arrival
  // order. The ingress pulls up to 64 packets ahead of their arrival from the source (so that an
  // idle hardware thread sleeps until a packet for its own ring), so a host that must see
  // arrivals in simulated-time order observes them here, not when its source hands them over.
  void set_arrival_sink(std::function<void(const Packet&)> f) { ingress_dma_.on_arrival = std::move(f); }
  // Called for every copy the card refuses (its egress queue is full): the copy names its
  // packet (id) and destination (cdest_id), so a scoreboard can excuse exactly that copy.
  void set_copy_drop_sink(std::function<void(const Packet&, const char* reason)> f) {
    on_copy_drop_ = [this, f = std::move(f)](const Packet& p, const char* why) {
      wave_events_.drop(cur_ ? cur_->local_ps() : now_ps_, why, p.id);
      if (f) f(p, why);
    };
  }
  // Called after the firmware handled a packet: when it started on a core and when it ended.
  void set_done_sink(std::function<void(const Packet&, uint64_t start_ps, uint64_t done_ps)> f) {
    on_done_ = [this, f = std::move(f)](const Packet& p, uint64_t start, uint64_t done) {
      if (cur_) wave_events_.end(cur_->ctx(), done);  // the thread's packet_id back to 0
      if (f) f(p, start, done);
    };
  }
  fw::FirmwareApp& firmware() { return *fw_; }  // host-compiled firmware only
  // Image mode: a control frame this names (a testbench's restart marker) is not handed to the
  // image; it raises the image's restart event instead (PLAT_EVENTS), as the host firmware's
  // wrapper turns it into Firmware::restart().
  void set_restart_marker(std::function<bool(const Packet&)> f) { is_restart_ = std::move(f); }
  // The image and its simulator when the card runs one (null: host-compiled firmware).
  const IssCard* image() const { return iss_.get(); }
  IssCard* image() { return iss_.get(); }  // (a host asks the image for its counters after the run)
  // Real-time mode (`dfcsim serve`): simulated time never runs ahead of wall time (measured
  // from the first packet or idle step); when the model falls behind by more than
  // max_lag_ps the lag is counted in stats (realtime_late_events, realtime_max_lag_ps).
  void set_realtime(bool on, uint64_t max_lag_ps = 10'000'000'000ull);
  // Simulated time the card has reached (the latest time a core asked for work at).
  uint64_t now_ps() const { return now_ps_; }
  ClassifierDevice& classifier() { return classifier_.device(); }
  const CardProfile& profile() const { return prof_; }
  // Busy fraction (0..1) of every shared resource and core over the measurement window
  // (first monitored arrival to the last processing end or copy departure; the whole run
  // when there was no monitored traffic), as each block reports its resources (Block::usage),
  // ordered by kind: core0.., interconnect, memory (the busier of packet memory and DRAM),
  // classifier, ingress, egress, then the details dram and packet_memory.
  std::vector<std::pair<std::string, double>> utilisation() const;
  // Where the time goes (docs/model.md §5): `core` (the data cores' pipelines issue most of
  // the time), `memory`, `classifier` or `lock:<name>` (what the data threads wait for),
  // `distribution` (one data thread saturated while the others idle: the flow hash cannot
  // spread the traffic), or the busiest of `interconnect`, `ingress` and `egress`: the
  // candidate with the highest fraction of the measurement window (ties: in that order).
  std::string bottleneck() const;
  // Each candidate of bottleneck() with its fraction, in tie order.
  std::vector<std::pair<std::string, double>> bottleneck_scores() const;
  // A time before which nothing the firmware does from now on (a reply, a notification, a
  // copy) can be stamped: SystemC's global time, since every core's local time is at or
  // after it and never goes back. Cores run decoupled and can lag the ingress by their
  // receive-ring backlog, so a consumer that streams time-ordered output (dtcp.log) may
  // write entries older than this, not merely older than the last arrival. (A suspended
  // core's quantum-keeper offset cannot be read as its time: it may resume earlier.)
  uint64_t cores_time_floor_ps() const;

  // Card-level waveform (docs/model.md §12), before sc_start: every block reports its signals
  // into `path` on SystemC time (1 ps), limited to [from_ps, to_ps]. close_wave() after the run
  // writes the rest up to the run's end (the destructor does too). Throws std::runtime_error
  // when the file cannot be created.
  void open_wave(const std::string& path, WaveRecorder::Format f, uint64_t from_ps, uint64_t to_ps);
  void close_wave();
  const WaveRecorder* wave() const { return wave_.get(); }
  WaveRecorder* wave() { return wave_.get(); }  // --wave-signals selects before the run
  // Utilisation and receive-queue depth over time (usage_sampler.hpp; report.json "timeline").
  UsageSampler& sampler() { return *sampler_; }

  // The race checker (docs/race-check.md; profile key race_check): the firmware's memory
  // accesses and synchronisation feed a happens-before detector (host mode: the instrumented
  // firmware of the dfcsim-race build, model/race/host_gate.hpp; image mode: the simulator's
  // memory hooks, IssCard::enable_race_check). Null when off.
  race::Detector* race() { return race_.get(); }
  const race::Detector* race() const { return race_.get(); }

 private:
  friend class Core;
  friend class HwThread;
  friend class IssCard;
  class CardHal;
  bool transmit(Packet&& p, uint64_t t_ps);
  // The cores and their hardware threads with the roles of the profile's control_cores and
  // data_cores; the distribution's targets are the data threads.
  void build_cores();
  Distribution distribution() const;
  // Every block's resources with their utilisation, in report order.
  std::vector<std::pair<Usage, double>> usage() const;

  CardProfile prof_;
  CardStats stats_;
  Interconnect ic_;
  MemorySubsystem mem_;
  ClassifierTarget classifier_;
  HwSemaphores sems_;
  SecurityEngine sec_;
  IngressPort ingress_port_;
  IngressDma ingress_dma_;
  EgressDma egress_dma_;
  EgressPort egress_port_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::vector<HwThread*> threads_;  // every hardware thread, by firmware context
  // Every block above, in data-path order (ingress to egress): the order they register their
  // waveform signals in (the waveform file's scope order) and list their resources within a kind.
  std::vector<Block*> blocks_;
  std::unique_ptr<CardHal> hal_;
  std::unique_ptr<fw::FirmwareApp> fw_;
  std::unique_ptr<IssCard> iss_;
  Sink on_copy_, on_control_;
  uint64_t drain_ps_;
  std::function<void(const Packet&, const char*)> on_copy_drop_;
  std::function<void(const Packet&, uint64_t, uint64_t)> on_done_;
  std::function<bool(const Packet&)> is_restart_;
  HwThread* cur_ = nullptr;  // the hardware thread that runs now (the HAL acts on it)
  uint64_t timer_at_ps_ = UINT64_MAX;
  uint64_t now_ps_ = 0;
  uint64_t tx_slot_ = 0;
  unsigned threads_done_ = 0;
  sc_core::sc_event thread_done_ev_;
  sc_core::sc_event timer_ev_;  // the timer was re-armed (wakes an idle core 0)
  bool realtime_ = false;
  WallPacer pacer_;
  WaveEvents wave_events_;  // packet_id per thread, drop (waveform only)
  std::unique_ptr<UsageSampler> sampler_;
  std::unique_ptr<race::Detector> race_;
  std::unique_ptr<WaveRecorder> wave_;  // last member: closed before the blocks go
};

}  // namespace dfc::model
