#include "card.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "classifier/classifier_bus.hpp"

namespace dfc::model {

using sc_core::sc_time;
using sc_core::SC_PS;

namespace {
uint64_t to_ps(double seconds) { return static_cast<uint64_t>(std::llround(seconds * 1e12)); }
// Wire time of a packet on an Ethernet link: the frame (padded to 64 bytes, FCS included;
// raw-IP packets get a 14-byte Ethernet header) plus preamble+SFD (8) and the minimum IFG (12).
uint64_t wire_ps(const Packet& p, double bps) {
  size_t frame = p.data.size() + 4 + (p.link == LinkType::Ethernet ? 0 : 14);
  if (frame < 64) frame = 64;
  return to_ps(double(frame + 20) * 8.0 / bps);
}
}  // namespace

// ---------------------------------------------------------------------------------------
struct RegBus::Decoder {
  explicit Decoder(ClassifierDevice& d) : bus(d) {}
  ClassifierBus bus;
};

RegBus::RegBus(sc_core::sc_module_name n, std::unique_ptr<ClassifierDevice> dev,
               const CardProfile& prof)
    : sc_module(n), socket("socket"), dev_(std::move(dev)),
      dec_(std::make_unique<Decoder>(*dev_)),
      bus_cycle_(1.0 / prof.bus_hz, sc_core::SC_SEC),
      cls_cycle_(1.0 / prof.classifier_hz, sc_core::SC_SEC),
      per_access_(prof.bus_cycles_per_access), per_word_(prof.bus_cycles_per_word) {
  socket.register_b_transport(this, &RegBus::b_transport);
}
RegBus::~RegBus() = default;

void RegBus::b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  const uint32_t addr = static_cast<uint32_t>(gp.get_address());
  const size_t len = gp.get_data_length();
  if (!ClassifierBus::claims(addr)) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (len % 4 != 0 || gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  auto* words = reinterpret_cast<uint32_t*>(gp.get_data_ptr());
  const size_t n = len / 4;
  uint64_t cls_cycles = 0;
  try {
    if (gp.is_write()) {
      const uint64_t before = dec_->bus.lookups();
      dec_->bus.write(addr, words, n);
      // A lookup started by this write holds the bus for the classifier's cycles.
      if (dec_->bus.lookups() != before) cls_cycles = dec_->bus.last_result().cycles;
    } else {
      dec_->bus.read(addr, words, n);
    }
  } catch (const std::out_of_range&) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  delay += bus_cycle_ * double(per_access_ + per_word_ * n) + cls_cycle_ * double(cls_cycles);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

// ---------------------------------------------------------------------------------------
// The HAL as the firmware sees it on the card: every call happens "on" the core that runs
// the current handler, at that core's local time cur_ps.
class Card::CardHal : public Hal {
 public:
  explicit CardHal(Card& c) : c_(c), cycle_ps_(1e12 / c.prof_.core_hz) {}

  void bus_write(uint32_t addr, const uint32_t* words, size_t n) override {
    transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<uint32_t*>(words), n);
  }
  void bus_read(uint32_t addr, uint32_t* words, size_t n) override {
    transport(tlm::TLM_READ_COMMAND, addr, words, n);
  }
  bool transmit(Packet&& p) override { return c_.transmit(std::move(p), cur_ps); }
  uint64_t now_ns() const override { return cur_ps / 1000; }
  uint64_t epoch_ms_at_reset() const override { return epoch_ms; }
  void arm_timer(uint64_t at_ns) override {
    c_.timer_at_ps_ = at_ns >= UINT64_MAX / 1000 ? UINT64_MAX : at_ns * 1000;
  }
  void consume_cycles(uint64_t cycles) override {
    frac_ps += double(cycles) * cycle_ps_;
    const auto whole = static_cast<uint64_t>(frac_ps);
    cur_ps += whole;
    frac_ps -= double(whole);
  }

  uint64_t cur_ps = 0;
  double frac_ps = 0;
  uint64_t epoch_ms = 1767225600000ull;  // 2026-01-01 00:00:00 UTC: reproducible timestamps

 private:
  void transport(tlm::tlm_command cmd, uint32_t addr, uint32_t* words, size_t n) {
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(reinterpret_cast<unsigned char*>(words));
    gp.set_data_length(static_cast<unsigned>(n * 4));
    gp.set_streaming_width(static_cast<unsigned>(n * 4));
    gp.set_byte_enable_ptr(nullptr);
    gp.set_dmi_allowed(false);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = sc_core::SC_ZERO_TIME;
    c_.bus->b_transport(gp, delay);
    ++c_.stats_.bus_transactions;
    if (gp.is_response_error())
      throw std::runtime_error("card bus: " + gp.get_response_string() + " at address 0x" +
                               [&] { char b[16]; std::snprintf(b, sizeof b, "%08x", addr); return std::string(b); }());
    cur_ps += static_cast<uint64_t>(delay.to_seconds() * 1e12 + 0.5);
  }
  Card& c_;
  double cycle_ps_;
};

// ---------------------------------------------------------------------------------------
Card::Card(sc_core::sc_module_name n, const CardProfile& prof, std::unique_ptr<ClassifierDevice> dev,
           FirmwareFactory make_fw, IngressSource& src, Sink on_copy, Sink on_control,
           uint64_t drain_ps)
    : sc_module(n), bus("bus"), prof_(prof), regbus_("regbus", std::move(dev), prof_),
      hal_(std::make_unique<CardHal>(*this)), src_(src), on_copy_(std::move(on_copy)),
      on_control_(std::move(on_control)), drain_ps_(drain_ps) {
  bus.bind(regbus_.socket);
  core_free_ps_.assign(std::max(1u, prof_.cores), 0);
  stats_.core_busy_ps.assign(core_free_ps_.size(), 0);
  fw_ = make_fw(*hal_);
  SC_HAS_PROCESS(Card);
  SC_THREAD(run);
}
Card::~Card() = default;

bool Card::transmit(Packet&& p, uint64_t t_ps) {
  if (p.unit == Unit::Control) {
    ++stats_.control_sent;
    if (on_control_) on_control_(p, t_ps);
    return true;
  }
  // Egress link of unit 2: FIFO with a finite queue, serialised at the line rate.
  while (!egress_departs_.empty() && egress_departs_.front() <= t_ps) egress_departs_.pop_front();
  if (egress_departs_.size() >= prof_.egress_queue_packets) {
    ++stats_.egress_dropped_queue;
    if (on_copy_drop_) on_copy_drop_(p, "egress_queue_full");
    return false;
  }
  const uint64_t start = std::max(t_ps, egress_free_ps_);
  egress_free_ps_ = start + wire_ps(p, prof_.egress_bps);
  egress_departs_.push_back(start);
  ++stats_.egress_copies;
  stats_.egress_bytes += p.data.size();
  if (on_copy_) on_copy_(p, egress_free_ps_);
  return true;
}

void Card::pace(uint64_t t_ps) {
  using namespace std::chrono;
  if (!wall_started_) {
    wall_started_ = true;
    wall0_ = steady_clock::now() - nanoseconds(t_ps / 1000);
  }
  const auto target = wall0_ + nanoseconds(t_ps / 1000);
  const auto now = steady_clock::now();
  if (now < target) {
    std::this_thread::sleep_until(target);
  } else {
    const auto lag_ps = static_cast<uint64_t>(duration_cast<nanoseconds>(now - target).count()) * 1000;
    stats_.realtime_max_lag_ps = std::max(stats_.realtime_max_lag_ps, lag_ps);
    if (lag_ps > max_lag_ps_) ++stats_.realtime_late_events;
  }
}

void Card::sync(uint64_t t_ps) {
  if (realtime_) pace(t_ps);
  const uint64_t now = sc_core::sc_time_stamp().value();  // default resolution is 1 ps
  if (t_ps > now + quantum_ps_) wait(sc_time(double(t_ps - now), SC_PS));
}

void Card::fire_timers_until(uint64_t t_ps) {
  // Timers run on core 0 (the control core) at their deadline or when it becomes free.
  while (timer_at_ps_ != UINT64_MAX && timer_at_ps_ <= t_ps) {
    const uint64_t at = std::max(timer_at_ps_, core_free_ps_[0]);
    timer_at_ps_ = UINT64_MAX;
    sync(at);
    hal_->cur_ps = at;
    ++stats_.timer_events;
    fw_->on_timer();
    stats_.core_busy_ps[0] += hal_->cur_ps - at;
    core_free_ps_[0] = hal_->cur_ps;
  }
}

void Card::run() {
  Packet p;
  uint64_t mac_free_ps = 0;
  bool first = true;
  for (;;) {
    uint64_t idle_until = 0;
    const IngressSource::Next got = src_.next(p, timer_at_ps_, idle_until);
    if (got == IngressSource::Next::End) break;
    if (got == IngressSource::Next::Idle) {
      fire_timers_until(idle_until);
      now_ps_ = std::max(now_ps_, idle_until);
      sync(idle_until);
      continue;
    }
    // The ingress MAC cannot deliver faster than its line rate (monitored unit only; DTCP
    // arrives on the control unit's own interface).
    uint64_t arrive = p.t_arrival_ps;
    if (p.unit == Unit::Monitor) {
      arrive = std::max(arrive, mac_free_ps + wire_ps(p, prof_.ingress_bps));
      mac_free_ps = arrive;
      if (stats_.monitor_offered++ == 0) stats_.monitor_first_arrival_ps = arrive;
      stats_.monitor_last_arrival_ps = arrive;
    }
    p.t_arrival_ps = arrive;
    if (first) stats_.first_arrival_ps = arrive, first = false;
    stats_.last_arrival_ps = arrive;
    ++stats_.ingress_packets;
    stats_.ingress_bytes += p.data.size();

    fire_timers_until(arrive);

    // Ingress buffer: packets that arrived but have not started service yet.
    while (!waiting_starts_.empty() && waiting_starts_.front() <= arrive) waiting_starts_.pop_front();
    if (waiting_starts_.size() >= prof_.ingress_buffer_packets) {
      ++stats_.ingress_dropped_buffer;
      if (on_drop_) on_drop_(p, "ingress_buffer_full");
      continue;
    }
    auto core = std::min_element(core_free_ps_.begin(), core_free_ps_.end());
    const uint64_t start = std::max(arrive, *core);
    if (start > arrive) waiting_starts_.push_back(start);
    stats_.ingress_buffer_peak = std::max(stats_.ingress_buffer_peak, waiting_starts_.size());

    sync(start);
    now_ps_ = std::max(now_ps_, start);
    hal_->cur_ps = start;
    hal_->frac_ps = 0;
    if (p.unit == Unit::Control)
      ++stats_.control_packets;
    else
      ++stats_.monitor_packets;
    fw_->on_packet(p);
    const size_t ci = static_cast<size_t>(core - core_free_ps_.begin());
    stats_.core_busy_ps[ci] += hal_->cur_ps - start;
    *core = hal_->cur_ps;
    if (p.unit == Unit::Monitor) stats_.monitor_last_done_ps = std::max(stats_.monitor_last_done_ps, hal_->cur_ps);
    if (on_done_) on_done_(p, start, hal_->cur_ps);
  }
  const uint64_t busy_until = *std::max_element(core_free_ps_.begin(), core_free_ps_.end());
  const uint64_t end = std::max({stats_.last_arrival_ps + drain_ps_, busy_until, egress_free_ps_});
  fire_timers_until(end);
  stats_.end_ps = std::max({end, core_free_ps_[0], egress_free_ps_});
  sync(stats_.end_ps);
  const uint64_t now = sc_core::sc_time_stamp().value();
  if (stats_.end_ps > now) wait(sc_time(double(stats_.end_ps - now), SC_PS));
}

}  // namespace dfc::model
