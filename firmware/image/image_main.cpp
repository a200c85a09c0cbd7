// The image's main program: context 0 reads the boot block, parses the configuration the host
// put there with the firmware's own parser, builds the firmware (which boots every context's
// rings) and publishes "ready"; every context then runs the packet loop the card model runs
// for the host firmware (model/card/hw_thread.cpp): take its events, poll its receive ring,
// the background work between packets, and PLAT_WAIT when there was nothing to do.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "dfc/hal/iss_abi.hpp"
#include "dfc/util/raise.hpp"
#include "mmio_hal.hpp"
#include "platform.hpp"

namespace dfc::image {
namespace {

constexpr uint32_t kReady = 0x52454459;  // "REDY"
// In .data (initialised, loaded from the ELF), not .bss: other contexts read it while context 0
// may still be clearing .bss.
volatile uint32_t g_ready = 1;

struct Running {
  std::unique_ptr<MmioHal> hal;
  std::unique_ptr<fw::Firmware> fw;
  std::string restart_reason;
  unsigned driver_contexts = 0;
  uint32_t stats_addr = 0, stats_bytes = 0;  // the boot block's room for the statistics record
};
Running* g_run = nullptr;

uint64_t join(uint32_t lo, uint32_t hi) { return uint64_t{hi} << 32 | lo; }

[[noreturn]] void bad_boot(const char* why) {
  console("dfc image: bad boot block: ");
  console(why);
  console("\n");
  for (;;) plat_write(cardmap::PLAT_HALT, iss::kHaltBadBoot);
}

// Text the host wrote in the DRAM window.
std::string_view host_text(uint32_t addr, uint32_t len, const char* what) {
  if (len == 0) return {};
  if (addr < iss::kHostArea || addr >= cardmap::ISS_WINDOW_BYTES || len > cardmap::ISS_WINDOW_BYTES - addr) bad_boot(what);
  return {reinterpret_cast<const char*>(static_cast<uintptr_t>(addr)), len};
}

const iss::BootBlock& boot_block() {
  const uint32_t at = plat_read(cardmap::PLAT_BOOT_BLOCK);
  if (at < iss::kHostArea || at > iss::kHostArea + iss::kHostAreaBytes - sizeof(iss::BootBlock) || at % 4 != 0)
    bad_boot("PLAT_BOOT_BLOCK is not a word address in the host area");
  const auto& b = *reinterpret_cast<const iss::BootBlock*>(static_cast<uintptr_t>(at));
  if (b.magic != iss::kBootMagic) bad_boot("wrong magic (expected \"DFCB\")");
  if (b.version != iss::kBootVersion) bad_boot("unsupported version");
  if (!b.driver_enabled) bad_boot("driver_enabled is 0: the image receives only through its rings");
  if (b.driver_contexts == 0 || b.driver_contexts > iss::kMaxContexts) bad_boot("driver_contexts outside 1..32");
  return b;
}

// The options a host sets (model/card/profile.hpp firmware_options()); zero keeps a default.
fw::FirmwareOptions options_from(const iss::BootBlock& b) {
  fw::FirmwareOptions o;
  if (b.pipeline_cores) o.pipeline.cores = b.pipeline_cores;
  if (b.flow_table_capacity) o.pipeline.flow_table_capacity = b.flow_table_capacity;
  if (const uint64_t v = join(b.flow_idle_ns_lo, b.flow_idle_ns_hi)) o.pipeline.flow_idle_ns = v;
  if (b.copy_source) o.pipeline.copy_source = b.copy_source;
  if (const uint64_t v = join(b.flow_aging_period_ns_lo, b.flow_aging_period_ns_hi)) o.flow_aging_period_ns = v;
  if (b.flow_aging_slices) o.flow_aging_slices = b.flow_aging_slices;
  o.control_tx_when_free = b.control_tx_when_free != 0;
  if (const uint64_t v = join(b.rated_input_pps_lo, b.rated_input_pps_hi)) o.overload.rated_input_pps = v;
  if (b.soft_low_pct) o.overload.soft_low_pct = b.soft_low_pct;
  if (b.hard_high_pct) o.overload.hard_high_pct = b.hard_high_pct;
  if (b.hard_low_pct) o.overload.hard_low_pct = b.hard_low_pct;
  o.driver.enabled = true;
  o.driver.contexts = b.driver_contexts;
  if (b.rx_ring_entries) o.driver.rx_ring_entries = b.rx_ring_entries;
  if (b.tx_ring_entries) o.driver.tx_ring_entries = b.tx_ring_entries;
  if (b.buffers_per_context) o.driver.buffers_per_context = b.buffers_per_context;
  return o;
}

void boot() {
  const iss::BootBlock& b = boot_block();
  const std::string_view text = host_text(b.config_addr, b.config_len, "configuration text outside the DRAM window");
  const std::string_view reason =
      host_text(b.restart_reason_addr, b.restart_reason_len, "restart reason outside the DRAM window");
  auto* r = new Running;
  r->restart_reason = reason.empty() ? std::string("card restarted") : std::string(reason);
  r->driver_contexts = b.driver_contexts;
  if (b.stats_addr && (b.stats_addr < iss::kHostArea || b.stats_addr % 4 != 0 || b.stats_bytes < sizeof(iss::StatsHeader) ||
                       b.stats_bytes > iss::kHostArea + iss::kHostAreaBytes - b.stats_addr))
    bad_boot("the statistics room (stats_addr, stats_bytes) is not word-aligned inside the host area");
  r->stats_addr = b.stats_addr;
  r->stats_bytes = b.stats_bytes;
  const unsigned contexts = std::max(b.driver_contexts, std::min(plat_read(cardmap::PLAT_CONTEXTS), iss::kMaxContexts));
  r->hal = std::make_unique<MmioHal>(contexts, b.features);
  const config::DfcConfig cfg = config::parse_config(text, "<boot block>");
  r->fw = std::make_unique<fw::Firmware>(cfg, *r->hal, options_from(b));
  g_run = r;
  console("dfc image: firmware up, ");
  console_u32(b.driver_contexts);
  console(" contexts\n");
}

// The statistics record (iss_abi.hpp, kEventStats): the firmware's own counters, read through
// the same functions a host of the host-compiled firmware reads them with.
class StatsWriter {
 public:
  StatsWriter(uint32_t addr, uint32_t bytes)
      : base_(reinterpret_cast<uint32_t*>(static_cast<uintptr_t>(addr))), words_(bytes / 4) {}
  void scalar(iss::StatsScalar k, uint64_t v) {
    base_[kHeaderWords + 2 * k] = static_cast<uint32_t>(v);
    base_[kHeaderWords + 2 * k + 1] = static_cast<uint32_t>(v >> 32);
  }
  void entry(iss::StatsMap m, std::string_view name, uint64_t v) {
    const size_t need = sizeof(iss::StatsEntry) / 4 + (name.size() + 3) / 4;
    if (truncated_ || at_ + need > words_) {
      truncated_ = true;
      return;
    }
    uint32_t* w = base_ + at_;
    w[0] = m;
    w[1] = static_cast<uint32_t>(name.size());
    w[2] = static_cast<uint32_t>(v);
    w[3] = static_cast<uint32_t>(v >> 32);
    if (name.size() % 4) w[4 + name.size() / 4] = 0;  // the padding of the last word
    std::memcpy(w + 4, name.data(), name.size());
    at_ += need;
    ++entries_;
  }
  // The header last: a record is whole once its magic is there.
  void finish() {
    auto& h = *reinterpret_cast<iss::StatsHeader*>(base_);
    h = iss::StatsHeader{};
    h.version = iss::kStatsVersion;
    h.scalars = iss::kStatsScalars;
    h.entries = entries_;
    h.bytes = static_cast<uint32_t>(at_ * 4);
    h.truncated = truncated_ ? 1 : 0;
    __sync_synchronize();
    h.magic = iss::kStatsMagic;
  }

 private:
  static constexpr size_t kHeaderWords = sizeof(iss::StatsHeader) / 4;
  uint32_t* base_;
  size_t words_;
  size_t at_ = kHeaderWords + 2 * iss::kStatsScalars;
  uint32_t entries_ = 0;
  bool truncated_ = false;
};

// The control plane's part of the record: the DTCP server's counters and tables, the overload
// monitor.
void write_control_plane(StatsWriter& w, const dtcp::Server& srv, const fw::OverloadMonitor& ov) {
  srv.counters().visit([&w](const char* k, uint64_t v) { w.entry(iss::kMapDtcpServer, k, v); });
  for (const dtcp::ControlSourceStats& c : srv.control_source_stats()) {
    const std::string id = c.id + "\t";
    c.counters.visit([&](const char* k, uint64_t v) { w.entry(iss::kMapControlSource, id + k, v); });
    w.entry(iss::kMapControlSource, id + "dynamic_criteria_active", c.dynamic_criteria_active);
    w.entry(iss::kMapControlSource, id + "static_criteria_active", c.static_criteria_active);
    if (c.has_sequence_number) w.entry(iss::kMapControlSource, id + "sequence_number", c.sequence_number);
    w.entry(iss::kMapControlSourceGroup, id + c.group, 0);
  }
  for (const dtcp::ContentDestinationStats& cd : srv.content_destination_stats()) {
    const std::string key = cd.group + "\t" + cd.id + "\t";
    w.entry(iss::kMapContentDestination, key + "criteria", cd.criteria);
    w.entry(iss::kMapContentDestination, key + "matched_packets", cd.matched_packets);
    w.entry(iss::kMapContentDestination, key + "matched_bytes", cd.matched_bytes);
    w.entry(iss::kMapContentDestination, key + "congestion_notifications", cd.congestion_notifications);
    w.entry(iss::kMapContentDestination, key + "soft_congested", cd.soft_congested ? 1 : 0);
    w.entry(iss::kMapContentDestination, key + "soft_episodes", cd.soft_episodes);
    w.entry(iss::kMapContentDestination, key + "soft_cleared", cd.soft_cleared);
  }
  w.scalar(iss::kStOverloadEvents, ov.events().size());
  w.scalar(iss::kStOverloadLastPps, ov.last_window_pps());
  w.scalar(iss::kStOverloadPeakPps, ov.peak_window_pps());
  for (const auto& [k, v] : ov.counts()) w.entry(iss::kMapOverloadCounts, k, v);
  for (const fw::OverloadMonitor::Threshold& t : ov.thresholds()) {
    const std::string key = t.group.empty() ? t.name : t.name + "\t" + t.group;
    w.entry(iss::kMapThresholdHigh, key, t.high);
    w.entry(iss::kMapThresholdLow, key, t.low);
    w.entry(iss::kMapThresholdExceeded, key, t.exceeded ? 1 : 0);
  }
}

void write_stats(const Running& r) {
  constexpr size_t kFixedBytes = sizeof(iss::StatsHeader) + 8 * iss::kStatsScalars;
  if (!r.stats_addr || r.stats_bytes < kFixedBytes) return;  // the host gave no room
  fw::Firmware& fw = *r.fw;
  const fw::PipelineStats& ps = fw.pipeline_stats();
  StatsWriter w(r.stats_addr, r.stats_bytes);
  w.scalar(iss::kStPacketsIn, ps.packets_in);
  w.scalar(iss::kStBytesIn, ps.bytes_in);
  w.scalar(iss::kStPacketsMatched, ps.packets_matched);
  w.scalar(iss::kStPacketsUnmatched, ps.packets_unmatched);
  w.scalar(iss::kStCopiesChosen, ps.copies_chosen);
  w.scalar(iss::kStCopiesSent, ps.copies_sent);
  w.scalar(iss::kStCopiesMaxDuplicates, ps.copies_dropped_max_duplicates);
  w.scalar(iss::kStCopiesUnknownDestination, ps.copies_dropped_unknown_destination);
  w.scalar(iss::kStCopiesTxQueue, ps.copies_dropped_tx_queue);
  w.scalar(iss::kStFlowHits, ps.flow_hits);
  w.scalar(iss::kStFlowMisses, ps.flow_misses);
  w.scalar(iss::kStFlowStale, ps.flow_stale);
  w.scalar(iss::kStFlowEvictions, ps.flow_evictions);
  w.scalar(iss::kStFlowEntries, ps.flow_entries);
  w.scalar(iss::kStFlowEntriesPeak, ps.flow_entries_peak);
  w.scalar(iss::kStFlowRuleOverflows, ps.flow_rule_overflows);
  w.scalar(iss::kStCriteriaReadRetries, ps.criteria_read_retries);
  w.scalar(iss::kStCriteriaReadFallbacks, ps.criteria_read_fallbacks);
  w.scalar(iss::kStCriteriaReadWaits, ps.criteria_read_waits);
  const fw::Driver* d = fw.driver();
  w.scalar(iss::kStDriver, d ? 1 : 0);
  w.scalar(iss::kStTxRingFull, d ? d->stats().tx_ring_full : 0);
  w.scalar(iss::kStClassifierEntries, fw.classifier().entries_used());
  w.scalar(iss::kStClassifierRules, fw.classifier().rules());
  w.scalar(iss::kStDtcpRestarts, fw.server().restarts());
  w.scalar(iss::kStCriteriaActive, fw.server().active_criteria());
  for (const auto& [k, v] : ps.not_intercepted) w.entry(iss::kMapNotIntercepted, k, v);
  for (const auto& [k, v] : ps.copies_per_destination) w.entry(iss::kMapCopiesPerDest, k, v);
  for (const auto& [k, v] : ps.bytes_per_destination) w.entry(iss::kMapBytesPerDest, k, v);
  write_control_plane(w, fw.server(), fw.overload());
  w.finish();
}

[[noreturn]] void run(unsigned ctx) {
  Running& r = *g_run;
  // A context the driver has no rings for has nothing to do.
  if (ctx >= r.driver_contexts)
    for (;;) plat_write(cardmap::PLAT_WAIT, 1);
  fw::Firmware& fw = *r.fw;
  bool took = false;  // the last pass took a frame: its housekeeping is due
  for (;;) {
    // The host raises timer events on the context that runs timers (the control thread). The
    // read also ends the pass before: a frame's pass is the frame's work only.
    const uint32_t ev = plat_read(cardmap::PLAT_EVENTS);
    if (ev & iss::kEventStats) {
      write_stats(r);
      // Asked alone (the host's untimed read after the run): back to waiting, the rings untouched.
      if (ev == iss::kEventStats) {
        plat_write(cardmap::PLAT_WAIT, 1);
        continue;
      }
    }
    if (ev & iss::kEventRestart) fw.restart(r.restart_reason);
    if (ev & iss::kEventTimer) fw.on_timer();
    if (took) {
      // The loop's housekeeping between packets (a queued message sent, a piece of a LIST
      // answer packed) in a pass of its own: a packet's pass is not charged with the control
      // plane's messages (report.json iss.per_path, dfcsim calibrate).
      took = false;
      fw.on_idle();
      continue;
    }
    if (fw.on_poll()) {
      took = true;
      continue;
    }
    if (fw.on_idle()) continue;  // deferred transmits done: look for packets again
    if (ev == 0) plat_write(cardmap::PLAT_WAIT, 1);
  }
}

}  // namespace
}  // namespace dfc::image

extern "C" void image_boot_and_run(unsigned ctx) {
  using namespace dfc::image;
  if (ctx == 0) {
    boot();
    __sync_synchronize();  // the firmware's state before the flag
    g_ready = kReady;
  } else {
    while (g_ready != kReady) __sync_synchronize();
  }
  run(ctx);
}
