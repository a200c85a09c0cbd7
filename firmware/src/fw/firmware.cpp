#include "dfc/fw/firmware.hpp"

#include <algorithm>

#include "dfc/dtcp/server.hpp"
#include "dfc/hal/card_map.hpp"
#include "dfc/util/latest_time.hpp"
#include "dfc/util/text.hpp"

namespace dfc::fw {

// The HAL has one timer; the DTCP server (criterion timeouts, periodic notifications) and
// the flow-table aging both need one. The mux hands the server a HAL whose arm_timer only
// records the server's deadline; the firmware arms the real timer for the earliest.
// It is also the firmware's view of time and work for every part of it:
//  * now_ns() never goes backwards, even when handlers run on cores whose local times
//    differ (temporal decoupling): it returns the latest time any handler has seen, a
//    lock-free monotonic maximum shared by every hardware thread (util::LatestTime).
//  * work() forwards the declaration: the host prices it (docs/firmware-concurrency.md §1).
class Firmware::TimerMux : public Hal {
 public:
  TimerMux(Hal& hal, Firmware& fw) : hal_(hal), fw_(fw) {}
  void bus_write(uint32_t a, const uint32_t* w, size_t n) override { hal_.bus_write(a, w, n); }
  void bus_read(uint32_t a, uint32_t* w, size_t n) override { hal_.bus_read(a, w, n); }
  bool transmit(Packet&& p) override { return hal_.transmit(std::move(p)); }
  uint64_t now_ns() const override { return last_ns_.advance(hal_.now_ns()); }
  uint64_t epoch_ms_at_reset() const override { return hal_.epoch_ms_at_reset(); }
  void consume_cycles(uint64_t c) override { hal_.consume_cycles(c); }
  void work(Work kind, uint64_t n) override { hal_.work(kind, n); }
  void mem_read(uint64_t addr, uint32_t bytes) override { hal_.mem_read(addr, bytes); }
  void mem_write(uint64_t addr, uint32_t bytes) override { hal_.mem_write(addr, bytes); }
  unsigned core_id() const override { return hal_.core_id(); }
  void lock_acquire(unsigned lock) override { hal_.lock_acquire(lock); }
  void lock_release(unsigned lock) override { hal_.lock_release(lock); }
  void race_hint(RaceHint hint) override { hal_.race_hint(hint); }
  bool hmac_sha1(const uint8_t* key, const uint8_t* data, size_t n, uint8_t* digest) override {
    return hal_.hmac_sha1(key, data, n, digest);
  }
  uint32_t load32(uint64_t addr) override { return hal_.load32(addr); }
  void store32(uint64_t addr, uint32_t v) override { hal_.store32(addr, v); }
  Packet* rx_frame(uint64_t buf_addr) override { return hal_.rx_frame(buf_addr); }
  void copy_dropped(const Packet& copy, const char* reason) override { hal_.copy_dropped(copy, reason); }
  void arm_timer(uint64_t at_ns) override {
    server_deadline = at_ns;
    fw_.rearm();
  }
  uint64_t server_deadline = UINT64_MAX;

 private:
  Hal& hal_;
  Firmware& fw_;
  mutable util::LatestTime last_ns_;  // every hardware thread's now_ns() advances it
};

class Firmware::ControlPlaneAdapter : public ControlPlaneView {
 public:
  explicit ControlPlaneAdapter(dtcp::Server& s) : s_(s) {}
  const CriterionView* criterion_for_rule(RuleId id) const override { return s_.criterion_for_rule(id); }
  void account_hit(RuleId id, uint32_t bytes) override { s_.account_hit(id, bytes); }
  void account_copy(RuleId id, uint32_t bytes) override { s_.account_copy(id, bytes); }
  uint64_t criteria_version() const override { return s_.criteria_version(); }
  void duplicates_dropped(const CriterionView& c) override { s_.duplicates_dropped_for_criterion(c.criteria_id); }

 private:
  dtcp::Server& s_;
};

Firmware::Firmware(const config::DfcConfig& cfg, Hal& hal, FirmwareOptions opt)
    : cfg_(cfg), hal_(hal), opt_(opt) {
  mux_ = std::make_unique<TimerMux>(hal_, *this);
  cls_ = std::make_unique<ClassifierDriver>(hal_);
  server_ = std::make_unique<dtcp::Server>(cfg_, *mux_, *cls_);
  server_->set_deferred_transmit(true);  // sent after the criteria lock is released
  cp_ = std::make_unique<ControlPlaneAdapter>(*server_);
  // max-duplicates and content destinations are per capture group: ids are only unique
  // within a group, so a destination is (group, id). Copies of an id that several groups use
  // are labelled "<group>/<id>" (pcap file names, per-destination statistics).
  opt_.pipeline.group_max_duplicates.clear();
  for (const auto& g : cfg_.capture_groups) opt_.pipeline.group_max_duplicates.push_back(cfg_.max_duplicates(g));
  pipeline_ = std::make_unique<Pipeline>(*mux_, *cls_, *cp_, opt_.pipeline);
  std::map<DestKey, CopyDestination> dests;
  for (size_t gi = 0; gi < cfg_.capture_groups.size(); ++gi)
    for (const auto& cd : cfg_.capture_groups[gi].content_destinations) {
      // IPv4 only (the configuration refuses others): the outer header is IPv4 (unit 2 is
      // family inet). The text ends at a NUL, as a C string would.
      const auto a = util::parse_inet4(std::string_view(cd.address.c_str()));
      if (!a) continue;
      dests[DestKey{static_cast<uint32_t>(gi), cd.id}] =
          CopyDestination{*a, cd.ttl, copy_label(cfg_, cfg_.capture_groups[gi], cd.id)};
    }
  pipeline_->set_destinations(dests);
  ovl_ = std::make_unique<OverloadMonitor>(cfg_, opt_.overload);
  if (opt_.driver.enabled) {
    drv_ = std::make_unique<Driver>(*mux_, opt_.driver);
    drv_->boot_all();
    pipeline_->set_driver(drv_.get());  // copies leave through the transmit rings
    rx_handler_ = [this](const Packet& p, bool control) { on_packet(p, control); };
  }
  next_aging_ns_ = hal_.now_ns() + aging_step_ns();
  next_congestion_ns_ = hal_.now_ns() + opt_.flow_aging_period_ns;
  rearm();
}

Firmware::~Firmware() = default;

void Firmware::rearm() {
  const uint64_t server = mux_ ? mux_->server_deadline : UINT64_MAX;
  hal_.arm_timer(std::min(server, next_aging_ns_));
}

void Firmware::eval_memory(uint64_t now_ns) {
  ovl_->memory(now_ns, pipeline_->flow_entries(), opt_.pipeline.flow_table_capacity,
               cls_->entries_used(), cls_->depth());
}

// Concurrency (docs/firmware-concurrency.md, §5 lists every shared structure): on_packet and
// on_timer may run on any core, several at once. The DTCP server, the classifier driver's
// entry map, the overload monitor's evaluations and the timer's bookkeeping are shared: they
// run under HW_LOCK_CRITERIA. The per-packet counters and the clock are atomics. The pipeline
// takes the lock itself for the parts it shares.
void Firmware::on_packet(const Packet& p) {
  if (p.unit == Unit::Control)
    on_control(p);
  else
    on_monitored(p);
}

// A frame the driver took from a receive ring, routed by its descriptor's RX_DESC_CONTROL bit:
// the packet handler of the driver's path (the one a debugger breaks on in the image).
void Firmware::on_packet(const Packet& p, bool control) {
  if (!control)
    on_monitored(p);
  else if (!(intercept_ && intercept_(p)))
    on_control(p);
}

bool Firmware::on_poll() { return drv_ && drv_->poll(rx_handler_); }

void Firmware::on_control(const Packet& p) {
  // Parsing, the source's rules and the HMAC read only the configuration and the datagram:
  // outside the lock (firmware-concurrency.md §4 rule 11).
  const dtcp::Server::Admission a = server_->admit(p);
  dtcp::Server::Deferred later;
  {
    HwLock l(*mux_, cardmap::HW_LOCK_CRITERIA);
    server_->on_admitted(p, a, &later);
    eval_memory(mux_->now_ns());  // criteria may have been added or deleted
  }
  if (later.list) {
    // A LIST answer, packed from its snapshot without the lock. A multi-core card leaves it to
    // whichever thread next has time (on_idle, a few entries at a time): the control thread
    // goes on to the next request. Otherwise it is packed here and queued under the lock.
    if (!opt_.control_tx_when_free) server_->format_deferred(later);
    HwLock l(*mux_, cardmap::HW_LOCK_CRITERIA);
    if (opt_.control_tx_when_free)
      server_->defer_list(later);
    else
      server_->queue_deferred(later);
  }
  if (!opt_.control_tx_when_free) server_->flush_transmit();  // signed and sent outside the lock
}

void Firmware::on_monitored(const Packet& p) {
  const uint64_t now = mux_->now_ns();
  // The input-rate count is one atomic add (no lock); only the packet that finds its 1-s
  // window closed takes the lock, to close it (evaluate the rate) and count itself there.
  if (ovl_->count_packet(now)) {
    HwLock l(*mux_, cardmap::HW_LOCK_CRITERIA);
    ovl_->close_window(now);
    eval_memory(now);
  }
  monitored_seen_.fetch_add(1, std::memory_order_relaxed);  // read by the timer: idle detection
  pipeline_->process(p);
  // 390/598 notifications raised by this packet's accounting; a multi-core card's packet
  // loop sends them between packets instead (on_idle), after the packet is done.
  if (!opt_.control_tx_when_free) server_->flush_transmit();
}

// One message and one chunk of a LIST answer per call: the control core, between two
// requests, then goes on to the next one instead of signing or packing a whole long LIST
// answer first; the other cores and idle loops do the rest, a little each time round.
bool Firmware::on_idle() {
  const bool sent = server_->flush_transmit(1);
  return server_->pack_lists(kListEntriesPerIdle) || sent;
}

void Firmware::on_timer() {
  const uint64_t now = mux_->now_ns();
  bool age = false;
  {
    // The aging deadline is read by rearm(), which the control thread's requests reach
    // (through the server's arm_timer) under this lock: it is written under it too.
    HwLock l(*mux_, cardmap::HW_LOCK_CRITERIA);
    // The flow-table sweep runs after the due timeouts are served, outside the criteria lock:
    // a sweep of a large table takes a while, and neither the notifications due now nor the
    // other cores' criteria updates should wait for it.
    age = now >= next_aging_ns_;
    // No monitored packet for a whole aging period (as many ticks as slices): the timer falls
    // back to one tick per period (a slice is still aged, and the congestion and threshold
    // checks below still run once a second), so an idle card -- a capture replayed with its
    // original gaps of hours -- costs one timer event per simulated second, not one per slice.
    // Traffic restores the slice rate at the next tick.
    if (age) {
      const uint32_t seen = monitored_seen_.load(std::memory_order_relaxed);
      idle_ticks_ = seen == monitored_at_tick_ ? idle_ticks_ + 1 : 0;
      monitored_at_tick_ = seen;
      const bool idle = idle_ticks_ >= std::max(1u, opt_.flow_aging_slices);
      next_aging_ns_ = now + (idle ? opt_.flow_aging_period_ns : aging_step_ns());
    }
    if (now >= mux_->server_deadline) {
      mux_->server_deadline = UINT64_MAX;
      server_->on_timer();  // re-arms through the mux if it still has deadlines
    }
    // Bandwidth limits are evaluated once a second (also without traffic, so a soft
    // condition clears and a hard limit acts even when no new 1-s bucket of hits opens) --
    // not at every aging slice: the limits are defined over whole seconds.
    if (now >= next_congestion_ns_) {
      next_congestion_ns_ = now + opt_.flow_aging_period_ns;
      server_->check_congestion();
    }
    ovl_->tick(now);
    eval_memory(now);
    rearm();
  }
  server_->flush_transmit();
  if (age && pipeline_->flow_entries() > 0) pipeline_->age_flows(std::max(1u, opt_.flow_aging_slices));
}

// Runs on a hardware thread (the control thread's restart event, or a host's restart marker
// in the receive path) while the others keep accounting: the shared state is taken under the
// lock like any request.
void Firmware::restart(std::string_view alert_info) {
  {
    HwLock l(*mux_, cardmap::HW_LOCK_CRITERIA);
    server_->restart(alert_info);  // criteria (and their classifier rules) lost, 599 sent
    eval_memory(hal_.now_ns());
    rearm();
  }
  server_->flush_transmit();
}

std::string copy_label(const config::DfcConfig& cfg, const config::CaptureGroup& g, const std::string& cdest_id) {
  size_t users = 0;
  for (const auto& og : cfg.capture_groups) users += og.content_destination(cdest_id) ? 1 : 0;
  return users > 1 ? g.name + "/" + cdest_id : cdest_id;
}

const PipelineStats& Firmware::pipeline_stats() const { return pipeline_->stats(); }
void Firmware::set_packet_trace(PacketTraceFn f) { pipeline_->set_trace(std::move(f)); }
const std::vector<OverloadEvent>& Firmware::overload_events() const { return ovl_->events(); }
dtcp::Server& Firmware::server() { return *server_; }
ClassifierDriver& Firmware::classifier() { return *cls_; }

}  // namespace dfc::fw
