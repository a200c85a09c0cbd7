#include "card.hpp"

#include <algorithm>
#include <stdexcept>

#include "dfc/hal/card_map.hpp"
#include "race/host_gate.hpp"

namespace dfc::model {

// ---------------------------------------------------------------------------------------
// The HAL as the firmware sees it on the card: every call acts on the core whose thread is
// running (Card::cur_), at that core's local time.
class Card::CardHal : public Hal {
 public:
  explicit CardHal(Card& c) : c_(c) {}

  uint32_t load32(uint64_t addr) override {
    HalCall g(c_);
    return c_.cur_->load32(addr);
  }
  void store32(uint64_t addr, uint32_t v) override {
    HalCall g(c_);
    // A buffer given back to the hardware (a free-ring entry): a hand-off, like a release.
    if (g.th && fw::ring::is_free_entry(addr)) g.th->race_sync(race::Sync::Buffer, cardmap::PKT_MEM_BASE + v, true);
    c_.cur_->store32(addr, v);
  }
  void bus_write(uint32_t addr, const uint32_t* words, size_t n) override {
    HalCall g(c_);
    c_.cur_->reg(tlm::TLM_WRITE_COMMAND, addr, const_cast<uint32_t*>(words), n);
  }
  void bus_read(uint32_t addr, uint32_t* words, size_t n) override {
    HalCall g(c_);
    c_.cur_->reg(tlm::TLM_READ_COMMAND, addr, words, n);
  }
  bool transmit(Packet&& p) override {
    HalCall g(c_);
    return c_.transmit(std::move(p), c_.cur_->local_ps());
  }
  uint64_t now_ns() const override { return c_.cur_->local_ps() / 1000; }
  uint64_t epoch_ms_at_reset() const override { return epoch_ms; }
  void arm_timer(uint64_t at_ns) override {
    HalCall g(c_);
    if (g.th) g.th->race_sync(race::Sync::Timer, 0, true);
    c_.timer_at_ps_ = at_ns >= UINT64_MAX / 1000 ? UINT64_MAX : at_ns * 1000;
    // Core 0 runs the timers; if it is idle waiting for the next arrival, it re-plans.
    if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) c_.timer_ev_.notify(sc_core::SC_ZERO_TIME);
  }
  // Legacy declared cycles: priced one to one at the core clock.
  void consume_cycles(uint64_t cycles) override {
    HalCall g(c_);
    c_.cur_->cycles(double(cycles));
  }
  void work(Work kind, uint64_t n) override {
    HalCall g(c_);
    c_.cur_->work(kind, n);
  }
  void mem_read(uint64_t addr, uint32_t bytes) override {
    HalCall g(c_);
    c_.cur_->mem(addr, bytes, false);
  }
  void mem_write(uint64_t addr, uint32_t bytes) override {
    HalCall g(c_);
    c_.cur_->mem(addr, bytes, true);
  }
  unsigned core_id() const override { return c_.cur_->ctx(); }
  Packet* rx_frame(uint64_t buf_addr) override {
    HalCall g(c_);
    Packet* p = c_.cur_->rx_frame(buf_addr);
    if (p && g.th) g.th->race_sync(race::Sync::Buffer, buf_addr, false);
    return p;
  }
  void copy_dropped(const Packet& copy, const char* reason) override {
    HalCall g(c_);
    if (c_.on_copy_drop_) c_.on_copy_drop_(copy, reason);
  }
  void lock_acquire(unsigned lock) override {
    HalCall g(c_);
    c_.cur_->lock_acquire(lock);
    if (g.th) g.th->race_sync(race::Sync::Lock, lock, false);
  }
  void lock_release(unsigned lock) override {
    HalCall g(c_);
    if (g.th) g.th->race_sync(race::Sync::Lock, lock, true);
    c_.cur_->lock_release(lock);
  }
  // The security engine (SecurityEngine): the host firmware's strings have no card address, so
  // the engine's DMA is priced at SEC_HOST_DATA (key block, digest, message).
  bool hmac_sha1(const uint8_t* key, const uint8_t* data, size_t n, uint8_t* digest) override {
    if (!c_.sec_.present()) return false;
    HalCall g(c_);
    const SecurityEngine::Addresses at{cardmap::SEC_HOST_DATA, cardmap::SEC_HOST_DATA + 128, cardmap::SEC_HOST_DATA + 64};
    const SecurityEngine::Answer a = c_.sec_.hmac(c_.cur_->local_ps(), key, data, n, at);
    std::copy(a.digest.begin(), a.digest.end(), digest);
    c_.cur_->accelerator_wait(a.done_ps);
    return true;
  }
  void race_hint(RaceHint h) override {
    if (c_.race_) c_.cur_->race_hint(h);
  }

  uint64_t epoch_ms = 1767225600000ull;  // 2026-01-01 00:00:00 UTC: reproducible timestamps

 private:
  // The firmware called the HAL: its code does not run until the call returns (the race
  // checker's gate is closed meanwhile; the model's code and other threads run here).
  struct HalCall {
    HwThread* th;
    explicit HalCall(Card& c) : th(c.race_ && race::host_gate().tid >= 0 ? c.cur_ : nullptr) {
      if (th) th->race_close();
    }
    ~HalCall() {
      if (th) th->race_open();
    }
    HalCall(const HalCall&) = delete;
    HalCall& operator=(const HalCall&) = delete;
  };
  Card& c_;
};

// ---------------------------------------------------------------------------------------
Card::Card(sc_core::sc_module_name n, const CardProfile& prof, std::unique_ptr<ClassifierDevice> dev,
           FirmwareFactory make_fw, IngressSource& src, Sink on_copy, Sink on_control, uint64_t drain_ps,
           const IssImageSpec* image)
    : sc_module(n), prof_(prof), ic_("interconnect", prof_), mem_("memory", prof_),
      classifier_("classifier", std::move(dev), prof_), sems_("semaphores"), sec_("security", prof_),
      ingress_port_("ingress_port", prof_, src, stats_), ingress_dma_("ingress_dma", prof_, ingress_port_, stats_, std::max(1u, prof_.cores) * std::max(1u, prof_.threads_per_core), 0,
                   distribution()),
      egress_dma_("egress_dma"), egress_port_("egress_port", prof_), on_copy_(std::move(on_copy)),
      on_control_(std::move(on_control)), drain_ps_(drain_ps) {
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw std::logic_error("the card model needs the default SystemC time resolution (1 ps)");
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time::from_value(static_cast<sc_dt::uint64>(prof_.quantum_ns * 1000)));
  // The interconnect's targets, one socket per target of the address map (card_decode.hpp).
  ic_.to_target(decode::Target::Memory).bind(mem_.socket);
  ic_.to_target(decode::Target::Classifier).bind(classifier_.socket);
  ic_.to_target(decode::Target::Semaphores).bind(sems_.socket);
  ingress_dma_.socket.bind(ic_.target);
  ingress_dma_.mem_port.bind(mem_.dma_port);
  egress_dma_.socket.bind(ic_.target);
  sec_.socket.bind(ic_.target);  // the security engine reads and writes memory as a DMA engine
  classifier_.sync_all = prof_.schedule_seed != 0;
  build_cores();
  blocks_ = {&ingress_port_, &ingress_dma_};
  for (auto& c : cores_) blocks_.push_back(c.get());
  blocks_.insert(blocks_.end(), {&classifier_, &sec_, &ic_, &mem_, &sems_, &egress_dma_, &egress_port_});
  cur_ = threads_.front();
  hal_ = std::make_unique<CardHal>(*this);
  // Before the firmware is built: in host mode its allocations are then known to the checker.
  if (prof_.race_check) race_ = std::make_unique<race::Detector>(static_cast<unsigned>(threads_.size()));
  sampler_ = std::make_unique<UsageSampler>(
      "sampler",
      UsageSampler::Probes{[this](std::vector<Usage>& u) { for (const Block* b : blocks_) b->usage(u); },
                           [this] { return uint64_t{ingress_dma_.buffers_in_use()}; },
                           [this] { return threads_done_ + 1 >= threads_.size(); }},
      thread_done_ev_);
  if (image) {
    const fw::FirmwareOptions fwo = prof_.firmware_options();
    iss_ = std::make_unique<IssCard>(*this, *image, fwo, static_cast<unsigned>(threads_.size()));
    ingress_dma_.set_driver(fwo.driver);
    // A classifier context shared by several threads would make its caller wait() inside the
    // engine's device callback; the image gives each thread its own window, and the schedule
    // seed's extra synchronisation there is left out for the same reason (docs/iss.md).
    classifier_.sync_all = false;
    iss_->boot();
    if (race_) iss_->enable_race_check(*race_);  // after the boot: it is not checked (docs/iss.md)
    cur_ = threads_.front();
    return;
  }
  if (race_ && !race::host_instrumented())
    throw ProfileError("race_check=1: the host-compiled firmware is instrumented for the race checker only in the "
                       "dfcsim-race build (`dfcsim run --race-check` runs it); or check the image (--firmware)");
  // The firmware's blocks allocated while it is built are named in the race report (tid -2:
  // allocations recorded, no access checked).
  if (race_) race::host_gate().det = race_.get(), race::host_gate().tid = -2;
  fw_ = make_fw(*hal_);
  if (race_) race::host_gate().tid = -1;
  if (const fw::DriverOptions* d = fw_->driver_options()) {
    if (d->contexts != threads_.size())
      throw std::logic_error("the firmware's driver has " + std::to_string(d->contexts) + " contexts, the card " +
                             std::to_string(threads_.size()) + " hardware threads");
    ingress_dma_.set_driver(*d);
  }
}
Card::~Card() {
  close_wave();
  // The host gate outlives the card (a process may build several): it must not point at this
  // card's detector once it is gone.
  if (race_ && race::host_gate().det == race_.get()) race::host_gate() = race::HostGate{};
}

Distribution Card::distribution() const { return Distribution::of_profile(prof_); }

void Card::build_cores() {
  const unsigned cores = std::max(1u, prof_.cores), tpc = std::max(1u, prof_.threads_per_core);
  const auto& targets = ingress_dma_.distribution().targets();
  const bool data_on_control = targets.front() < tpc;
  for (unsigned i = 0; i < cores; ++i) {
    Core::Role role = Core::Role::User;
    if (i < prof_.control_cores) role = Core::Role::Control;
    else if (std::find(targets.begin(), targets.end(), i * tpc) != targets.end()) role = Core::Role::Data;
    cores_.push_back(std::make_unique<Core>(("core" + std::to_string(i)).c_str(), i, role, i * tpc,
                                            data_on_control && i == 0, prof_, *this));
    cores_.back()->socket.bind(ic_.target);
    for (auto& t : cores_.back()->threads()) threads_.push_back(t.get());
  }
}

void Card::open_wave(const std::string& path, WaveRecorder::Format f, uint64_t from_ps, uint64_t to_ps) {
  wave_ = std::make_unique<WaveRecorder>(path, f, from_ps, to_ps);
  WaveRecorder* w = wave_.get();
  for (Block* b : blocks_) b->set_wave(w);
  wave_events_.open(w, static_cast<unsigned>(threads_.size()), std::max(1u, prof_.threads_per_core));
  // No block reports a step older than SystemC's time (every core's local time is at or after
  // it, and the shared blocks book at request time), except the ingress, whose arrivals can lag
  // it; those come in arrival order, so none older than the last admitted one.
  w->set_floor([this] { return std::min(cores_time_floor_ps(), ingress_dma_.admitted_until_ps()); });
}

void Card::close_wave() {
  if (!wave_) return;
  wave_->close(stats_.end_ps ? stats_.end_ps : sc_core::sc_time_stamp().value());
}

void Card::set_realtime(bool on, uint64_t max_lag_ps) {
  realtime_ = on;
  pacer_.set_max_lag(max_lag_ps);
  if (on)
    ingress_dma_.pace = [this](uint64_t t) { pacer_.pace(t, stats_); };
  else
    ingress_dma_.pace = nullptr;
  ingress_dma_.set_lookahead(on ? 1 : 64);
}

bool Card::transmit(Packet&& p, uint64_t t_ps) {
  if (p.unit == Unit::Control) {
    ++stats_.control_sent;
    if (on_control_) on_control_(p, t_ps);
    return true;
  }
  // Unit 2: the egress DMA reads the copy the core built in a transmit buffer, then the
  // egress port serialises it behind a finite queue.
  // With the firmware's driver the copy names its transmit buffer, whose slot gives the
  // descriptor the egress DMA reads first and hands back when the copy has left.
  const bool driver = ingress_dma_.driver();
  uint64_t addr = 0, desc = 0;
  if (driver) {
    addr = p.buf_addr;
    const uint32_t n = ingress_dma_.driver_options().tx_ring_entries;
    const uint64_t i = (addr - cardmap::TX_BUF_BASE) / cardmap::TX_BUF_BYTES;
    desc = fw::ring::tx_desc(static_cast<unsigned>(i / n), static_cast<uint32_t>(i % n));
  } else {
    addr = cardmap::TX_BUF_BASE + (tx_slot_++ % std::max<size_t>(prof_.egress_queue_packets, 1)) * cardmap::TX_BUF_BYTES;
  }
  if (egress_port_.queued_at(t_ps) >= prof_.egress_queue_packets) {
    ++stats_.egress_dropped_queue;
    if (on_copy_drop_) on_copy_drop_(p, "egress_queue_full");
    return false;
  }
  if (driver) t_ps = egress_dma_.fetch(desc, static_cast<uint32_t>(cardmap::TX_DESC_BYTES), t_ps);
  const uint64_t ready = egress_dma_.fetch(addr, static_cast<uint32_t>(p.data.size()), t_ps);
  uint64_t depart = 0;
  if (!egress_port_.enqueue(p, t_ps, ready, depart)) {
    ++stats_.egress_dropped_queue;
    if (on_copy_drop_) on_copy_drop_(p, "egress_queue_full");
    return false;
  }
  if (driver) egress_dma_.complete(desc + 4, depart);
  ++stats_.egress_copies;
  stats_.egress_bytes += p.data.size();
  stats_.egress_last_depart_ps = std::max(stats_.egress_last_depart_ps, depart);
  if (on_copy_) on_copy_(p, depart);
  return true;
}

CardStats Card::stats() const {
  CardStats s = stats_;
  s.core_busy_ps.assign(cores_.size(), 0);
  for (const Block* b : blocks_) b->add_stats(s);
  return s;
}

std::vector<std::pair<Usage, double>> Card::usage() const {
  std::vector<Usage> all;
  for (const Block* b : blocks_) b->usage(all);
  std::stable_sort(all.begin(), all.end(), [](const Usage& a, const Usage& b) { return a.kind < b.kind; });
  // Busy fraction over the measurement window: from the first monitored arrival to the last
  // processing end or copy departure (the whole run without monitored traffic).
  uint64_t from = 0, to = stats_.end_ps;
  if (stats_.monitor_packets > 0) {
    from = stats_.monitor_first_arrival_ps;
    to = std::max(stats_.monitor_last_done_ps, stats_.egress_last_depart_ps);
  }
  const double span = to > from ? double(to - from) : 1.0;
  std::vector<std::pair<Usage, double>> u;
  for (Usage& r : all) {
    const double f = std::min(1.0, double(r.busy_ps) / span);
    u.emplace_back(std::move(r), f);
  }
  return u;
}

std::vector<std::pair<std::string, double>> Card::utilisation() const {
  std::vector<std::pair<std::string, double>> out;
  for (auto& [r, f] : usage()) out.emplace_back(std::move(r.name), f);
  return out;
}

std::vector<std::pair<std::string, double>> Card::bottleneck_scores() const {
  const CardStats st = stats();
  uint64_t from = 0, to = st.end_ps;
  if (st.monitor_packets > 0) from = st.monitor_first_arrival_ps, to = std::max(st.monitor_last_done_ps, st.egress_last_depart_ps);
  const double span = to > from ? double(to - from) : 1.0;
  // The data threads' waits and busy time, as fractions of the window (their waiting happens
  // while traffic flows; the drain after it is idle).
  double n = 0, mem = 0, cls = 0, issue = 0, busiest = 0, busy_sum = 0;
  std::vector<double> lock_wait(st.locks.size(), 0.0);
  const auto& targets = ingress_dma_.distribution().targets();
  auto takes_data = [&](const Core& c) {
    for (const auto& t : c.threads())
      if (std::find(targets.begin(), targets.end(), t->ctx()) != targets.end()) return true;
    return false;
  };
  double data_cores = 0;
  for (size_t c = 0; c < cores_.size(); ++c) {
    if (!takes_data(*cores_[c])) continue;
    data_cores += 1;
    issue += double(cores_[c]->issue_busy_ps()) / span;
    for (const StallTimes& t : st.stalls[c].threads) {
      n += 1;
      mem += double(t.memory_ps) / span, cls += double(t.classifier_ps) / span;
      const double busy = double(t.compute_ps + t.memory_ps + t.lock_ps + t.classifier_ps) / span;
      busiest = std::max(busiest, busy), busy_sum += busy;
    }
  }
  if (data_cores == 0) data_cores = 1;
  std::vector<std::pair<std::string, double>> out;
  out.emplace_back("core", std::min(1.0, issue / data_cores));
  double memory_util = 0;
  for (const auto& [r, f] : usage())
    if (r.name == "memory") memory_util = f;
  out.emplace_back("memory", std::min(1.0, std::max(memory_util, n ? mem / n : 0.0)));
  out.emplace_back("classifier", std::min(1.0, n ? cls / n : 0.0));
  // Lock waits are summed over all threads (the control thread's too), per data thread.
  for (const LockStats& l : st.locks) out.emplace_back("lock:" + l.name, std::min(1.0, n ? double(l.wait_ps) / span / n : 0.0));
  // One thread saturated while the average is low: the hash cannot spread the flows.
  const double mean = n ? busy_sum / n : 0.0;
  out.emplace_back("distribution", n > 1 && busiest > 0.9 && mean < 0.5 * busiest ? std::min(1.0, busiest) : 0.0);
  // A busy ingress limits only a card that keeps up: when the card dropped arrivals for want of
  // buffers or ring slots, what limited it is inside.
  const bool card_dropped = st.ingress_dropped_buffer + st.ingress_dropped_ring > 0;
  for (const auto& [r, f] : usage())
    if (r.name == "interconnect" || r.name == "egress" || (r.name == "ingress" && !card_dropped)) out.emplace_back(r.name, f);
  return out;
}

std::string Card::bottleneck() const {
  std::string best;
  double bv = -1;
  for (const auto& [name, f] : bottleneck_scores())
    if (f > bv) best = name, bv = f;
  return best;
}

uint64_t Card::cores_time_floor_ps() const { return sc_core::sc_time_stamp().value(); }

}  // namespace dfc::model
