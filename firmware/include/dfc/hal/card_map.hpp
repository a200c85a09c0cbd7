// The card's address map as the firmware sees it, beyond the classifier block
// (classifier_abi.hpp): where the modelled memories live, the per-core classifier lookup
// contexts and the hardware semaphores. Addresses here are what Hal::mem_read/mem_write
// are given; the card model decodes the same map (model/card). No SystemC here.
#pragma once
#include <cstdint>

namespace dfc::cardmap {

// Packet memory (on-chip SRAM next to the ingress DMA): one buffer slot per descriptor.
constexpr uint64_t PKT_MEM_BASE = 0x2'0000'0000ull;
constexpr uint64_t PKT_BUF_BYTES = 2048;
// DRAM: flow table, criteria records, counters.
constexpr uint64_t DRAM_BASE = 0x4'0000'0000ull;
constexpr uint64_t FLOW_TABLE_BASE = DRAM_BASE;                   // buckets, per core region
constexpr uint64_t FLOW_TABLE_CORE_STRIDE = 0x1000'0000ull;       // 256 MiB per core
constexpr uint64_t CRITERIA_BASE = DRAM_BASE + 0x8000'0000ull;    // criterion records
constexpr uint64_t CRITERION_RECORD_BYTES = 128;
constexpr uint64_t COUNTERS_BASE = DRAM_BASE + 0xC000'0000ull;    // per-criterion counters
constexpr uint64_t COUNTER_RECORD_BYTES = 64;

// Packet memory layout (model/card, docs/model.md): receive buffers from PKT_MEM_BASE (one
// PKT_BUF_BYTES slot per receive-ring entry), the receive descriptor ring, and the transmit
// buffers where the firmware builds copies (one TX_BUF_BYTES slot per egress-queue entry).
constexpr uint64_t RX_RING_BASE = PKT_MEM_BASE + 0x1000'0000ull;
constexpr uint64_t TX_BUF_BASE = PKT_MEM_BASE + 0x2000'0000ull;
constexpr uint64_t TX_BUF_BYTES = 2048;

// Classifier lookup contexts: the block's whole register window (classifier_abi.hpp,
// CLS_BASE .. CLS_BASE+CLS_SPAN) is replicated CLS_CONTEXTS times, CLS_CTX_STRIDE apart.
// Each context has its own key, result and staging registers over the one shared table, so
// core c uses CLS_* + c * CLS_CTX_STRIDE and never races another core's lookup. Entry,
// range-unit and group writes reach the same table through any context.
constexpr uint32_t CLS_CTX_STRIDE = 0x0200'0000u;
constexpr unsigned CLS_CONTEXTS = 8;

// Hardware semaphores: one register per lock at HW_SEM_BASE + 4 * lock (the model prices the
// access on the interconnect; Hal::lock_acquire/lock_release are the firmware's interface).
constexpr uint32_t HW_SEM_BASE = 0x3000'0000u;

// Hardware semaphores.
constexpr unsigned HW_LOCK_CRITERIA = 0;    // criteria table / control-plane state
constexpr unsigned HW_LOCK_CLASSIFIER = 1;  // a shared classifier lookup context (race demo)
constexpr unsigned HW_LOCK_COUNT = 8;

}  // namespace dfc::cardmap
