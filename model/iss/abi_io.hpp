// The host side of the records the image shares (dfc/hal/iss_abi.hpp), over IssMemory: the boot
// block a host writes before the first instruction, the receive metadata and frame the ingress
// DMA writes into a receive buffer, and the transmit record a doorbell hands over. One home for
// both hosts of the image: the untimed IssBoard and the timed card model (model/card/iss_card).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dfc/dtcp/server.hpp"
#include "dfc/fw/firmware.hpp"
#include "dfc/hal/iss_abi.hpp"
#include "dfc/hal/packet.hpp"
#include "iss_memory.hpp"

namespace dfc::iss {

// Writes the boot block at kHostArea and the texts 4 KiB after it, every field from `f` (a
// host's CardProfile::firmware_options()); returns the block's address (PLAT_BOOT_BLOCK).
// Throws std::invalid_argument when the texts do not fit the host area.
uint32_t write_boot_block(IssMemory& m, const fw::FirmwareOptions& f, const std::string& config_text,
                          const std::string& restart_reason);

// The firmware's counters a report reads (testbench/host/host_report.cpp): from the
// host-compiled firmware's objects, or decoded from the image's statistics record.
struct FirmwareCounters {
  fw::PipelineStats pipeline;
  bool driver = false;         // the firmware has a driver (tx_ring_full is its count)
  uint64_t tx_ring_full = 0;   // fw::DriverStats::tx_ring_full
  uint64_t classifier_entries = 0, classifier_rules = 0;  // ClassifierDriver::entries_used(), rules()
  uint64_t dtcp_restarts = 0, criteria_active = 0;        // dtcp::Server::restarts(), active_criteria()
  std::map<std::string, uint64_t> dtcp_server;            // dtcp::Server::counters()
  // The overload monitor: events().size(), the window rates, counts() and thresholds().
  uint64_t overload_events = 0, last_window_pps = 0, peak_window_pps = 0;
  std::map<std::string, uint64_t> overload_counts;
  std::vector<fw::OverloadMonitor::Threshold> thresholds;
  // Per control source (by id): its counters, dynamic_criteria_active, static_criteria_active
  // and sequence_number (when it has one), as report.json control_sources has them; its group.
  std::map<std::string, std::map<std::string, uint64_t>> control_sources;
  std::map<std::string, std::string> control_source_group;
  // dtcp::Server::content_destination_stats() (byte_rate not carried: 0).
  std::vector<dtcp::ContentDestinationStats> content_destinations;
};
// The image's statistics record (iss_abi.hpp) at image address `at`, `room` bytes. Throws
// std::runtime_error when there is none or it is malformed or truncated (what was wrong).
FirmwareCounters read_stats(const IssMemory& m, uint32_t at, uint32_t room);
// Where write_boot_block gives the image room for its statistics record (kStatsBytes there).
constexpr uint32_t kStatsAddr = kHostArea + kHostAreaBytes - kStatsBytes;

// The receive metadata and the frame into the receive buffer at image address `buf`.
void write_rx_frame(IssMemory& m, uint32_t buf, const Packet& p);
// The transmit record at image address `at`, and the packet it describes (data, unit, link, id,
// arrival, cdest_id, the control 4-tuple as canonical text, buf_addr as a card address).
TxRecord read_tx_record(const IssMemory& m, uint32_t at);
Packet tx_packet(const IssMemory& m, const TxRecord& r);
// A kTxDropped record's reason text.
std::string tx_reason(const IssMemory& m, const TxRecord& r);

// 64-bit values as the records' two words (low first), and an address as the messages print it.
inline uint32_t lo(uint64_t v) { return static_cast<uint32_t>(v); }
inline uint32_t hi(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
inline uint64_t join(uint32_t l, uint32_t h) { return uint64_t{h} << 32 | l; }
std::string hex(uint32_t v);  // "0x0000abcd"

// The image's address conversions (firmware/image/mmio_hal.cpp), host side.
IpWords ip_words(const std::string& text);
std::string ip_text(const IpWords& w);

}  // namespace dfc::iss
