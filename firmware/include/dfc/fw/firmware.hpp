// The card firmware as one object: the DTCP control plane, the classifier driver and the
// packet match pipeline, wired to the HAL. This is what the SystemC card hosts (and what
// the firmware tests drive on the fake HAL).
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dfc/config/config.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/driver.hpp"
#include "dfc/fw/firmware_app.hpp"
#include "dfc/fw/overload.hpp"
#include "dfc/fw/pipeline.hpp"
#include "dfc/hal/hal.hpp"

namespace dfc::dtcp {
class Server;
}

namespace dfc::fw {

struct FirmwareOptions {
  PipelineConfig pipeline;
  uint64_t flow_aging_period_ns = 1'000'000'000ull;  // sweep the flow table once a second,
  unsigned flow_aging_slices = 64;  // in this many slices spread over the period (timers never wait long)
  // DTCP replies of a multi-core card leave from whichever core is free (after a monitored
  // packet, or idle), not from the control core right after the request: the control core
  // goes on to the next request while the signing of a long LIST answer is spread over the
  // others (docs/firmware-concurrency.md). Off: sent right after each request (one core,
  // unit tests).
  bool control_tx_when_free = false;
  // Input-rate / PIC-memory thresholds; the host sets overload.rated_input_pps from the
  // card profile (300 kpps MS-III, 1 Mpps MS-400).
  OverloadOptions overload;
  // The descriptor-ring driver (docs/firmware-driver.md). Off by default: hosts that call
  // on_packet themselves need no descriptor memory. On: the constructor boots every
  // context's rings and the host calls on_poll instead.
  DriverOptions driver;
};

// The name copies to this destination carry (Packet::cdest_id, pcap file, statistics): the
// id, or "<group>/<id>" when several capture groups define that id.
std::string copy_label(const config::DfcConfig& cfg, const config::CaptureGroup& g, const std::string& cdest_id);

class Firmware : public FirmwareApp {
 public:
  Firmware(const config::DfcConfig& cfg, Hal& hal, FirmwareOptions opt = {});
  ~Firmware() override;
  void on_packet(const Packet& p) override;
  void on_timer() override;
  bool on_idle() override;
  bool on_poll() override;
  // A LIST answer is packed this many entries per on_idle (firmware-concurrency.md §4 rule 11):
  // on the image ~5 k instructions an entry (`Flags: Stats`), so a request that arrives while a
  // long answer is being packed waits ~10 k instructions, under half an ADD's own cost.
  // Measured on churn.json --firmware (ambiguous packets): 4 entries 386, 2 264, 1 289.
  static constexpr size_t kListEntriesPerIdle = 2;
  // A host's hook on the control frames the driver receives: returns true when it consumed
  // the frame (the testbench's card-restart marker), false to let DTCP have it.
  void set_control_intercept(std::function<bool(const Packet&)> f) { intercept_ = std::move(f); }
  const DriverOptions* driver_options() const override { return opt_.driver.enabled ? &opt_.driver : nullptr; }
  // The card restarts (operator, SIGHUP of `serve`, a scenario's "restart" event): every
  // criterion is lost, every control source's notification targets get Restart (599), the
  // Seq windows persist (reference §1.7).
  void restart(std::string_view alert_info = "card restarted");

  const PipelineStats& pipeline_stats() const;
  // Optional per-packet observer of the pipeline's decisions (dfcsim run --why).
  void set_packet_trace(PacketTraceFn f);
  // Threshold events (JMIB trap names) in time order of evaluation, and counts by name.
  const std::vector<OverloadEvent>& overload_events() const;
  const OverloadMonitor& overload() const { return *ovl_; }
  dtcp::Server& server();
  ClassifierDriver& classifier();
  const config::DfcConfig& config() const { return cfg_; }
  // The descriptor-ring driver, null unless FirmwareOptions::driver.enabled.
  const Driver* driver() const { return drv_.get(); }

 private:
  class TimerMux;
  class ControlPlaneAdapter;
  void rearm();
  void eval_memory(uint64_t now_ns);
  void on_control(const Packet& p);
  void on_monitored(const Packet& p);
  // The driver's receive handler. Never inlined: it is where a debugger breaks on the packet
  // path of the image (`rbreak on_packet`), so it must exist as a function.
  [[gnu::noinline]] void on_packet(const Packet& p, bool control);

  config::DfcConfig cfg_;
  Hal& hal_;
  std::function<bool(const Packet&)> intercept_;
  FirmwareOptions opt_;
  std::unique_ptr<TimerMux> mux_;
  std::unique_ptr<ClassifierDriver> cls_;
  std::unique_ptr<dtcp::Server> server_;
  std::unique_ptr<ControlPlaneAdapter> cp_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<OverloadMonitor> ovl_;
  std::unique_ptr<Driver> drv_;
  Driver::Handler rx_handler_;  // made once: the per-poll path does not allocate
  uint64_t next_aging_ns_ = 0;
  uint64_t next_congestion_ns_ = 0;  // the once-a-second bandwidth-limit evaluation
  // Idle detection (aging timer). Every data thread counts its monitored packets into one
  // 32-bit atomic (a LL/SC add on the card: a 64-bit one would be a locked library call per
  // packet); the timer only compares two readings for equality, so wrapping is harmless.
  std::atomic<uint32_t> monitored_seen_{0};
  uint32_t monitored_at_tick_ = 0;  // the timer's own (one timer at a time: HAL contract)
  uint64_t idle_ticks_ = 0;
  uint64_t aging_step_ns() const { return opt_.flow_aging_period_ns / std::max(1u, opt_.flow_aging_slices); }
};

}  // namespace dfc::fw
