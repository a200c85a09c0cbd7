// The image's main program: context 0 reads the boot block, parses the configuration the host
// put there with the firmware's own parser, builds the firmware (which boots every context's
// rings) and publishes "ready"; every context then runs the packet loop the card model runs
// for the host firmware (model/card/hw_thread.cpp): take its events, poll its receive ring,
// the background work between packets, and PLAT_WAIT when there was nothing to do.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dfc/config/config.hpp"
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
  const unsigned contexts = std::max(b.driver_contexts, std::min(plat_read(cardmap::PLAT_CONTEXTS), iss::kMaxContexts));
  r->hal = std::make_unique<MmioHal>(contexts);
  const config::DfcConfig cfg = config::parse_config(text, "<boot block>");
  r->fw = std::make_unique<fw::Firmware>(cfg, *r->hal, options_from(b));
  g_run = r;
  console("dfc image: firmware up, ");
  console_u32(b.driver_contexts);
  console(" contexts\n");
}

[[noreturn]] void run(unsigned ctx) {
  Running& r = *g_run;
  // A context the driver has no rings for has nothing to do.
  if (ctx >= r.driver_contexts)
    for (;;) plat_write(cardmap::PLAT_WAIT, 1);
  fw::Firmware& fw = *r.fw;
  for (;;) {
    // The host raises timer events on the context that runs timers (the control thread).
    const uint32_t ev = plat_read(cardmap::PLAT_EVENTS);
    if (ev & iss::kEventRestart) fw.restart(r.restart_reason);
    if (ev & iss::kEventTimer) fw.on_timer();
    if (fw.on_poll()) {
      fw.on_idle();  // the loop's housekeeping between packets
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
