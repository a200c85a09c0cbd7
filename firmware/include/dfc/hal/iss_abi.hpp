// The records the firmware image (big-endian MIPS32 on the instruction-set simulator,
// firmware/image, docs/iss.md) and its host share in memory. Every record is a plain struct
// of 32-bit words; in image memory each word is big-endian, so a little-endian host reads and
// writes them word by word with a byte swap (and byte arrays, such as addresses, are packed
// into words most significant byte first, so that in image memory they are in network
// order). Addresses inside records are image addresses (the 32-bit view of card_map.hpp:
// ISS_DRAM_WINDOW, ISS_PKT_WINDOW). The first part is plain preprocessor so that the boot
// stub (assembly) shares the layout constants.
#pragma once

// ---- The image's memory layout in the DRAM window (shared with firmware/image/crt0.S).
// Host area: the boot block, the configuration text and the restart reason, written by the
// host before the first instruction; the image never allocates there.
#define DFC_ISS_HOST_AREA 0x00001000
#define DFC_ISS_HOST_AREA_BYTES 0x000ff000
// The image is linked to load here (firmware/image/image.ld).
#define DFC_ISS_LOAD_ADDR 0x00100000
// Per-context stacks at the top of the DRAM window: context c's stack ends at
// DFC_ISS_STACK_TOP - c * DFC_ISS_STACK_BYTES; the heap ends where the lowest stack begins.
#define DFC_ISS_STACK_TOP 0x10000000
#define DFC_ISS_STACK_SHIFT 16
#define DFC_ISS_STACK_BYTES (1 << DFC_ISS_STACK_SHIFT)
#define DFC_ISS_MAX_CONTEXTS 32
// The platform registers (card_map.hpp PLATFORM_BASE, PLAT_CTX, PLAT_HALT): checked against the
// generated map below.
#define DFC_ISS_PLATFORM_BASE 0x60001000
#define DFC_ISS_PLAT_CTX 0x00
#define DFC_ISS_PLAT_HALT 0x28

#ifndef __ASSEMBLER__
#include <cstdint>

#include "dfc/hal/card_map.hpp"

namespace dfc::iss {

static_assert(DFC_ISS_PLATFORM_BASE == cardmap::PLATFORM_BASE && DFC_ISS_PLAT_CTX == cardmap::PLAT_CTX &&
                  DFC_ISS_PLAT_HALT == cardmap::PLAT_HALT,
              "the boot stub's platform constants must match card_map.json");
static_assert(DFC_ISS_STACK_TOP == cardmap::ISS_DRAM_WINDOW + cardmap::ISS_WINDOW_BYTES,
              "the stacks sit at the top of the DRAM window");

constexpr uint32_t kHostArea = DFC_ISS_HOST_AREA;
constexpr uint32_t kHostAreaBytes = DFC_ISS_HOST_AREA_BYTES;
constexpr uint32_t kStackTop = DFC_ISS_STACK_TOP;
constexpr uint32_t kStackBytes = DFC_ISS_STACK_BYTES;
constexpr unsigned kMaxContexts = DFC_ISS_MAX_CONTEXTS;
constexpr uint32_t kStacksBase = kStackTop - kMaxContexts * kStackBytes;  // the heap ends here

// The hardware semaphore the image's allocator takes (card_map.hpp HW_LOCK_COUNT is 8; the
// firmware uses the low numbers).
constexpr unsigned kHeapLock = 7;
static_assert(kHeapLock < cardmap::HW_LOCK_COUNT, "the heap lock must be a card semaphore");
// The hardware semaphore of the image's 64-bit atomic operations (MIPS32 has 32-bit LL/SC
// only: GCC calls __atomic_*_8, which firmware/image/atomic64.cpp runs under this lock, as
// libatomic does on such targets). Never held while another lock is taken.
constexpr unsigned kAtomicLock = 6;
static_assert(kAtomicLock < cardmap::HW_LOCK_COUNT, "the atomic lock must be a card semaphore");
static_assert(kAtomicLock != kHeapLock && kAtomicLock != cardmap::HW_LOCK_CRITERIA &&
                  kAtomicLock != cardmap::HW_LOCK_CLASSIFIER,
              "the atomic lock is a semaphore of its own");

// PLAT_EVENTS bits.
constexpr uint32_t kEventTimer = 1u << 0;
constexpr uint32_t kEventRestart = 1u << 1;
// The host asks for the firmware's counters (the statistics record below): the image writes the
// record and, with no other event, waits again (PLAT_WAIT) without polling its rings.
constexpr uint32_t kEventStats = 1u << 2;

// PLAT_HALT codes (nonzero: the message is on the console first).
constexpr uint32_t kHaltDone = 0;
constexpr uint32_t kHaltFatal = 1;        // a fatal error: failed check, throw, out of memory
constexpr uint32_t kHaltBadBoot = 2;      // no or malformed boot block
constexpr uint32_t kHaltBadContext = 3;   // PLAT_CTX >= kMaxContexts (the boot stub's own check)

// An IP address as in a packet: family 4 (bytes in ip[0]) or 6 (ip[0..3]), 0 for none; the
// bytes in network order, most significant byte of each word first.
struct IpWords {
  uint32_t family;
  uint32_t ip[4];
};
static_assert(sizeof(IpWords) == 20, "IpWords is five words");

// ---- Boot block. Written by the host in the host area before the image starts; its address
// is PLAT_BOOT_BLOCK. The image only reads it (context 0, once, at boot). The fields are the
// FirmwareOptions a host sets (model/card/profile.hpp firmware_options()); 64-bit values are
// two words, low first.
constexpr uint32_t kBootMagic = 0x44464342;  // "DFCB"
constexpr uint32_t kBootVersion = 1;
// BootBlock::features. kFeatureSecurityEngine: the card has a security engine (card_map.hpp
// SEC_*), the firmware's HMAC-SHA1 goes to it (else the image computes the MAC itself).
// kFeatureSync: the host takes PLAT_SYNC, which the image writes before it loads the criteria
// sequence counter or version (MmioHal::mem_read), so the host can order those loads in simulated
// time as it does the host-compiled firmware's (docs/model.md §2).
constexpr uint32_t kFeatureSecurityEngine = 1u << 0;
constexpr uint32_t kFeatureSync = 1u << 1;
struct BootBlock {
  uint32_t magic;            // kBootMagic
  uint32_t version;          // kBootVersion
  uint32_t config_addr;      // image address of the configuration text (Junos syntax)
  uint32_t config_len;       // its length in bytes
  uint32_t restart_reason_addr;  // text Firmware::restart() sends on a restart event
  uint32_t restart_reason_len;   // (0: "card restarted")
  uint32_t pipeline_cores;   // PipelineConfig::cores (one flow table per context)
  uint32_t flow_table_capacity;  // PipelineConfig::flow_table_capacity (whole card)
  uint32_t flow_idle_ns_lo, flow_idle_ns_hi;  // PipelineConfig::flow_idle_ns (0: the default)
  uint32_t copy_source;      // PipelineConfig::copy_source, the outer IPv4 source (0: the default)
  uint32_t flow_aging_period_ns_lo, flow_aging_period_ns_hi;  // FirmwareOptions (0: the default)
  uint32_t flow_aging_slices;     // (0: the default)
  uint32_t control_tx_when_free;  // 0/1
  uint32_t rated_input_pps_lo, rated_input_pps_hi;  // OverloadOptions::rated_input_pps
  uint32_t soft_low_pct, hard_high_pct, hard_low_pct;  // OverloadOptions (0: the defaults)
  uint32_t driver_enabled;   // must be 1: the image receives only through its rings
  uint32_t driver_contexts;  // DriverOptions::contexts
  uint32_t rx_ring_entries, tx_ring_entries, buffers_per_context;  // DriverOptions
  uint32_t stats_addr;       // where the image writes its statistics record (kEventStats); 0: none
  uint32_t stats_bytes;      // the room there
  // What the host offers beyond the platform registers every host has (kFeature*); 0 (every
  // host that leaves the word zero): nothing more.
  uint32_t features;
  uint32_t reserved[4];      // zero
};
static_assert(sizeof(BootBlock) == 32 * 4, "BootBlock is 32 words");

// ---- Receive metadata. In ISS mode the ingress DMA writes this at the start of each receive
// buffer (the descriptor's buffer offset), and the frame's bytes at kRxFrameOffset after it;
// the image reads both (Hal::rx_frame), never writes them.
constexpr uint32_t kRxMagic = 0x44465258;  // "DFRX": the buffer holds a frame
constexpr uint32_t kRxFrameOffset = 128;
struct RxMeta {
  uint32_t magic;           // kRxMagic; anything else: no frame (Hal::rx_frame returns null)
  uint32_t frame_len;       // bytes at kRxFrameOffset (<= PKT_BUF_BYTES - kRxFrameOffset)
  uint32_t packet_id_lo, packet_id_hi;        // Packet::id
  uint32_t t_arrival_ps_lo, t_arrival_ps_hi;  // Packet::t_arrival_ps
  uint32_t unit;            // dfc::Unit
  uint32_t link;            // dfc::LinkType (DLT number)
  IpWords src, dst;         // unit Control: the UDP 4-tuple (the frame is the UDP payload)
  uint32_t src_port, dst_port;
  uint32_t reserved[4];
};
static_assert(sizeof(RxMeta) == 24 * 4, "RxMeta is 24 words");
static_assert(sizeof(RxMeta) <= kRxFrameOffset, "the frame follows the metadata");

// ---- Transmit record. The image writes it (in its own memory, one per context), then its
// address to PLAT_DOORBELL; the host reads the record and the bytes it points to during that
// write, and answers in PLAT_STATUS (1 accepted, 0 refused). After the write returns the image
// reuses the record and the bytes. With kTxDropped the copy was dropped before the doorbell
// (Hal::copy_dropped): nothing is sent, the host only reports the loss.
constexpr uint32_t kTxDropped = 1u << 0;
struct TxRecord {
  uint32_t flags;           // kTxDropped
  uint32_t buf_addr;        // image address of the transmit buffer (driver copies), 0 if none
  uint32_t data_addr;       // image address of the bytes to send (in buf_addr's buffer if any)
  uint32_t data_len;
  uint32_t unit, link;      // dfc::Unit, dfc::LinkType
  uint32_t packet_id_lo, packet_id_hi;        // the triggering packet's id (copies)
  uint32_t t_arrival_ps_lo, t_arrival_ps_hi;  // its arrival time
  uint32_t cdest_addr, cdest_len;  // Packet::cdest_id, the content-destination label (copies)
  IpWords src, dst;         // unit Control: the UDP 4-tuple of the reply or notification
  uint32_t src_port, dst_port;
  uint32_t reason_addr, reason_len;  // kTxDropped: why (e.g. "tx_ring_full")
  uint32_t reserved[6];
};
static_assert(sizeof(TxRecord) == 32 * 4, "TxRecord is 32 words");

// ---- Statistics record. On kEventStats the image writes its firmware's own counters at the
// boot block's stats_addr (at most stats_bytes): the header, kStatsScalars 64-bit scalars as
// word pairs (low first) in StatsScalar order, then `entries` named entries (StatsEntry, then
// name_len bytes of name padded to a word). The host decodes it into fw::PipelineStats
// (model/iss/abi_io.hpp read_stats) for the report code host mode uses.
constexpr uint32_t kStatsMagic = 0x44465354;  // "DFST"
constexpr uint32_t kStatsVersion = 1;
constexpr uint32_t kStatsBytes = 64 * 1024;  // the room the host gives, at the end of the host area
struct StatsHeader {
  uint32_t magic;       // kStatsMagic
  uint32_t version;     // kStatsVersion
  uint32_t scalars;     // kStatsScalars: the count the image wrote
  uint32_t entries;     // named entries after the scalars
  uint32_t bytes;       // the whole record's length
  uint32_t truncated;   // 1: the room ran out, entries are missing
  uint32_t reserved[2];
};
static_assert(sizeof(StatsHeader) == 8 * 4, "StatsHeader is 8 words");
enum StatsScalar : uint32_t {
  // fw::PipelineStats
  kStPacketsIn, kStBytesIn, kStPacketsMatched, kStPacketsUnmatched, kStCopiesChosen, kStCopiesSent,
  kStCopiesMaxDuplicates, kStCopiesUnknownDestination, kStCopiesTxQueue,
  kStFlowHits, kStFlowMisses, kStFlowStale, kStFlowEvictions, kStFlowEntries, kStFlowEntriesPeak,
  kStFlowRuleOverflows, kStCriteriaReadRetries, kStCriteriaReadFallbacks, kStCriteriaReadWaits,
  // the driver (kStDriver 0: the firmware has none), the classifier, the control plane
  kStDriver, kStTxRingFull, kStClassifierEntries, kStClassifierRules, kStDtcpRestarts, kStCriteriaActive,
  // the overload monitor: its events so far, the last and the peak window's packet rate
  kStOverloadEvents, kStOverloadLastPps, kStOverloadPeakPps,
  kStatsScalars
};
// What a named entry counts.
enum StatsMap : uint32_t {
  kMapNotIntercepted = 1,    // PipelineStats::not_intercepted, by ParseOutcome name
  kMapCopiesPerDest = 2,     // PipelineStats::copies_per_destination, by copy label
  kMapBytesPerDest = 3,      // PipelineStats::bytes_per_destination
  kMapDtcpServer = 4,        // dtcp::Server::counters(), by counter name
  kMapOverloadCounts = 5,    // OverloadMonitor::counts(), by trap name
  // OverloadMonitor::thresholds(): high, low watermark and exceeded (0/1) of each, by its name
  // and, for a soft threshold, a tab and its capture group ("soft_pps\tthr")
  kMapThresholdHigh = 6,
  kMapThresholdLow = 7,
  kMapThresholdExceeded = 8,
  // dtcp::Server::control_source_stats(): by the source's id, a tab and the field (the counters'
  // names, dynamic_criteria_active, static_criteria_active, sequence_number when it has one)
  kMapControlSource = 9,
  kMapControlSourceGroup = 10,  // by the source's id, a tab and its capture group (value 0)
  // dtcp::Server::content_destination_stats(): by group, a tab, id, a tab and the field
  // (criteria, matched_packets, matched_bytes, congestion_notifications, soft_congested,
  // soft_episodes, soft_cleared)
  kMapContentDestination = 11,
};
struct StatsEntry {
  uint32_t map;       // StatsMap
  uint32_t name_len;  // bytes of name after the entry
  uint32_t value_lo, value_hi;
};
static_assert(sizeof(StatsEntry) == 4 * 4, "StatsEntry is 4 words");

// Image address of a card address in one of the two windows (0 when outside both).
constexpr uint32_t image_address(uint64_t card_addr) {
  if (card_addr >= cardmap::PKT_MEM_BASE && card_addr - cardmap::PKT_MEM_BASE < cardmap::ISS_WINDOW_BYTES)
    return cardmap::ISS_PKT_WINDOW + static_cast<uint32_t>(card_addr - cardmap::PKT_MEM_BASE);
  if (card_addr >= cardmap::DRAM_BASE && card_addr - cardmap::DRAM_BASE < cardmap::ISS_WINDOW_BYTES)
    return cardmap::ISS_DRAM_WINDOW + static_cast<uint32_t>(card_addr - cardmap::DRAM_BASE);
  return 0;
}

}  // namespace dfc::iss
#endif
