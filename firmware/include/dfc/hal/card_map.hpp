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

// Hardware semaphores.
constexpr unsigned HW_LOCK_CRITERIA = 0;    // criteria table / control-plane state
constexpr unsigned HW_LOCK_CLASSIFIER = 1;  // a shared classifier lookup context (race demo)
constexpr unsigned HW_LOCK_COUNT = 8;

}  // namespace dfc::cardmap
