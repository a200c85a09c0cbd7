// Card profiles: the hardware parameters of the modelled PIC, loaded from JSON
// (model/profiles/<name>.json, built in; or any file) and overridable key by key
// (`--set KEY=VALUE`). SystemC-free so tools and the testbench can read them. Every key,
// its meaning, value and source is documented in docs/model.md §3.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dfc/fw/firmware.hpp"
#include "dfc/fw/pipeline.hpp"
#include "dfc/hal/hal.hpp"

namespace dfc::model {

// Bad profile name, file, key or value: the message says what, where and how to fix it
// (tools exit with code 2).
class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CardProfile {
  std::string name;
  // Cores and their hardware threads (docs/model.md §2): core 0 .. control_cores-1 are control
  // cores (core 0's first thread runs DTCP and the timers), the next data_cores (0: all the
  // rest) take packets on every thread, any others are idle user cores (Junos
  // `extension-provider control-cores / data-cores`). hash_key: how the distribution spreads
  // packets over the data threads, 3 = layer-3 (addresses), 4 = layer-4 (5-tuple).
  unsigned cores = 1;
  unsigned threads_per_core = 1;
  unsigned control_cores = 1;
  unsigned data_cores = 0;
  unsigned hash_key = 4;
  double core_hz = 1.0e9;
  double quantum_ns = 5000;  // tlm_global_quantum: how far a core may run ahead
  // Work prices, core cycles per operation (Hal::Work order). Firmware declares, model prices.
  double work_cycles[static_cast<size_t>(Hal::Work::kCount)] = {};
  // Per-core L1 data cache and shared L2 (in the memory subsystem); flow table and criteria
  // records (DRAM) are cached, packet memory (SRAM, written by DMA) is not.
  double l1_bytes = 32768, l1_line = 64, l1_ways = 4, l1_hit_cycles = 3;
  double l2_bytes = 1 << 20, l2_ways = 8, l2_hit_ns = 12;
  // Interconnect: shared by cores and DMA engines; arbitration + transfer per transaction.
  double ic_hz = 500e6, ic_bytes_per_cycle = 8, ic_cycles_per_access = 2;
  // Memories.
  double sram_latency_ns = 6, sram_gbps = 64;  // packet memory (bandwidth in Gbit/s)
  double dram_latency_ns = 70, dram_gbps = 85;
  // Classifier block: own clock, pipelined (a new lookup every issue_cycles), per-core
  // lookup contexts.
  double classifier_hz = 250.0e6;
  double classifier_issue_cycles = 1;
  double classifier_reg_cycles = 2;  // register access inside the block
  uint32_t classifier_depth = 4096;
  // Security engine (security_engine.hpp): 1 = the card has one (the firmware's HMAC-SHA1 goes
  // to it), 0 = none (the firmware computes the MAC itself). One SHA-1 core at security_hz,
  // security_cycles_per_block per 64-byte block.
  uint64_t security_engine = 0;
  double security_hz = 500e6;
  double security_cycles_per_block = 82;
  // Flow-table entries for the whole card (split over the cores' tables); at most 2M: one
  // core's table region is FLOW_TABLE_CORE_STRIDE = 256 MiB of 128-byte buckets.
  size_t flow_table_entries = 65536;
  // Descriptors and ports.
  double descriptor_bytes = 16;
  size_t rx_ring_entries = 1024, tx_ring_entries = 1024;  // per hardware thread
  double ingress_bps = 10.0e9, egress_bps = 10.0e9;
  size_t ingress_buffer_packets = 4096, egress_queue_packets = 4096;
  uint64_t rated_input_pps = 1'000'000;
  // Deterministic perturbation of quanta and sync points (0 = none); `--schedule-seed`.
  uint64_t schedule_seed = 0;
  // The race checker (docs/race-check.md): 1 = on (`--race-check`); 0 = off.
  uint64_t race_check = 0;

  double work(Hal::Work k) const { return work_cycles[static_cast<size_t>(k)]; }

  // What the firmware needs to know of this card: the one place hosts (run, serve) build
  // FirmwareOptions from a profile.
  fw::FirmwareOptions firmware_options() const {
    fw::FirmwareOptions o;
    // The card prices the firmware's declared work itself (Core::work), so no host shim;
    // one flow table per core.
    o.pipeline.cores = std::max(1u, cores) * std::max(1u, threads_per_core);  // one context per hardware thread
    o.pipeline.flow_table_capacity = flow_table_entries;
    o.control_tx_when_free = cores > 1;
    o.driver = driver_options();
    o.overload.rated_input_pps = rated_input_pps;
    return o;
  }

  // The firmware's driver (docs/firmware-driver.md): a context per hardware thread, the ring
  // sizes of the profile, and the card's receive buffers split evenly over the threads that
  // take packets (each context posts that many; the control thread's ring gets as many).
  fw::DriverOptions driver_options() const {
    fw::DriverOptions d;
    d.enabled = true;
    const unsigned c = std::max(1u, cores), tpc = std::max(1u, threads_per_core);
    d.contexts = c * tpc;
    d.rx_ring_entries = static_cast<uint32_t>(rx_ring_entries);
    d.tx_ring_entries = static_cast<uint32_t>(tx_ring_entries);
    const unsigned data = data_cores ? data_cores : (c > control_cores ? c - control_cores : 0);
    const size_t takers = size_t{tpc} * std::max(1u, data) + 1;
    d.buffers_per_context = static_cast<uint32_t>(std::max<size_t>(1, ingress_buffer_packets / takers));
    return d;
  }

  // `KEY=VALUE` (a key of keys()); throws ProfileError on an unknown key or bad value.
  void set(const std::string& assignment);
  void set(const std::string& key, double value);
  double get(const std::string& key) const;
  // Every settable key with its current value, in documentation order.
  std::vector<std::pair<std::string, double>> values() const;
  static std::vector<std::string> keys();
  // The profile key of a kind of declared work ("work.hash").
  static const char* work_key(Hal::Work k);
};

// A built-in profile ("ms3", "ms400") or a JSON profile file; throws ProfileError.
CardProfile load_profile(const std::string& name_or_file);
// Same, then applies each `KEY=VALUE` in order.
CardProfile load_profile(const std::string& name_or_file, const std::vector<std::string>& sets);
// Built-in profiles only (kept for callers that name one); throws std::invalid_argument.
CardProfile profile_by_name(const std::string& name);
// Parses a profile's JSON text (`{"name":..., "<key>": value, ...}`); `where` names it in errors.
CardProfile parse_profile(const std::string& json_text, const std::string& where);
std::vector<std::string> builtin_profiles();

}  // namespace dfc::model
