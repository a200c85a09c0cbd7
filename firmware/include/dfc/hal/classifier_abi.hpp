// The hardware/firmware contract of the classifier block: key layout, entry format,
// range-check units and the lookup result. Written once here and shared by the firmware
// (which encodes criteria into entries), the RTL (rtl/classifier.sv implements exactly this
// layout) and the C++ reference model, the way a generated register header is shared by
// RTL and software in OpenTitan. Plain C++ only: no SystemC, no Verilator.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace dfc::abi {

// ---- Lookup key (what the packet pipeline presents) -------------------------------------
// KEY_IN_WORDS 32-bit words, word 0 least significant.
//   words 0-3  source address as a 128-bit integer (IPv4: the 32-bit address in word 0,
//              words 1-3 zero). Word 0 holds the least significant 32 bits.
//   words 4-7  destination address, same layout.
//   word 8     [7:0] IP protocol (IPv6: the upper-layer protocol after extension headers)
//              [15:8] ICMP/ICMPv6 type, [23:16] ICMP code (0 when not ICMP)
//              [24] IPv6, [25] L4 ports present, [26] ICMP type/code present,
//              [27] non-first fragment, [31:28] zero
//   word 9     [15:0] source port, [31:16] destination port (0 when not present)
// The classifier appends RANGE_UNITS result bits computed by its range-check units, so a
// stored entry is ENTRY_WORDS wide: words 10-11 are range-unit hit bits (unit u = bit u).
constexpr unsigned KEY_IN_WORDS = 10;
constexpr unsigned RANGE_UNITS = 64;
constexpr unsigned ENTRY_WORDS = KEY_IN_WORDS + RANGE_UNITS / 32;  // 12
constexpr unsigned KEY_IN_BITS = KEY_IN_WORDS * 32;               // 320
constexpr unsigned ENTRY_BITS = ENTRY_WORDS * 32;                 // 384

constexpr unsigned W_SRC = 0, W_DST = 4, W_META = 8, W_PORTS = 9, W_RANGE = 10;
constexpr uint32_t META_PROTO_SHIFT = 0, META_ICMP_TYPE_SHIFT = 8, META_ICMP_CODE_SHIFT = 16;
constexpr uint32_t META_IPV6 = 1u << 24, META_HAS_PORTS = 1u << 25, META_HAS_ICMP = 1u << 26,
                   META_FRAG_NONFIRST = 1u << 27;

using KeyWords = std::array<uint32_t, KEY_IN_WORDS>;
using EntryWords = std::array<uint32_t, ENTRY_WORDS>;

// ---- Range-check units -------------------------------------------------------------------
// Unit u compares one 16-bit port field of the key against [lo, hi] (inclusive) on every
// lookup; its result is bit u of words 10-11. A disabled unit yields 0.
enum class RangeField : uint8_t { Disabled = 0, SrcPort = 1, DstPort = 2 };
struct RangeUnit {
  RangeField field = RangeField::Disabled;
  uint16_t lo = 0, hi = 0;
};

// ---- Entries -----------------------------------------------------------------------------
// Ternary: a key bit b matches when (key[b] & mask[b]) == value[b]; mask 1 = care.
// The value is stored pre-masked. An entry takes part in lookups only when it is valid AND
// its group is enabled: firmware writes all entries of a criterion with the group disabled,
// then enables the group with one register write, so a multi-entry criterion appears (and
// disappears) atomically.
constexpr unsigned GROUPS = 4096;
struct Entry {
  EntryWords value{};
  EntryWords mask{};
  uint16_t group = 0;
  bool valid = false;
};

// ---- Lookup result -----------------------------------------------------------------------
// All matching entry indices, ascending (lower index = higher priority).
struct LookupResult {
  std::vector<uint32_t> matches;
  uint32_t cycles = 0;  // classifier clock cycles the lookup occupied (timing model input)
};

}  // namespace dfc::abi

// ---- Register map on the card's register/table bus ----------------------------------------
// The firmware reaches the classifier only through these addresses (via Hal::bus_write /
// Hal::bus_read); the card model's bus decodes them onto a ClassifierDevice.
namespace dfc::abi {
constexpr uint32_t CLS_BASE = 0x10000000u;
// Entry i: ENTRY_WORDS value words, then ENTRY_WORDS mask words, then one control word
// (bit 31 valid, bits 15:0 group). Writing the control word commits the staged entry.
// The entry windows start at CLS_BASE + 16 MiB so the table can be up to CLS_MAX_DEPTH
// (131072) entries deep; the whole block decodes CLS_SPAN bytes from CLS_BASE.
constexpr uint32_t CLS_ENTRY = CLS_BASE + 0x01000000u;
constexpr uint32_t CLS_ENTRY_STRIDE = 0x80u;  // bytes per entry window
constexpr uint32_t CLS_SPAN = 0x02000000u;
constexpr uint32_t CLS_MAX_DEPTH = 0x01000000u / CLS_ENTRY_STRIDE;
constexpr uint32_t CLS_ENTRY_CTRL_OFF = 2 * ENTRY_WORDS * 4;
static_assert(CLS_ENTRY_CTRL_OFF + 4 <= CLS_ENTRY_STRIDE, "entry window too small");
static_assert(RANGE_UNITS % 32 == 0, "range-unit bits fill whole key words");
constexpr uint32_t CLS_ENTRY_VALID = 1u << 31;
// Range unit u: word 0 field (RangeField), word 1 lo, word 2 hi; writing word 2 commits.
constexpr uint32_t CLS_RANGE = CLS_BASE + 0x00200000u;
constexpr uint32_t CLS_RANGE_STRIDE = 0x10u;
// Group enable: one word per group, 1 = enabled.
constexpr uint32_t CLS_GROUP_EN = CLS_BASE + 0x00300000u;
// Lookup: write KEY_IN_WORDS words at CLS_KEY (the last word starts the lookup), then read
// the result at CLS_RESULT: word 0 = number of matches n (saturating at CLS_MAX_RESULTS,
// bit 31 set when more matched than fit), words 1..n the matching entry indices in
// ascending order, word CLS_MAX_RESULTS+1 = cycles the lookup took.
constexpr uint32_t CLS_KEY = CLS_BASE + 0x00400000u;
constexpr uint32_t CLS_RESULT = CLS_BASE + 0x00400100u;
constexpr uint32_t CLS_MAX_RESULTS = 62;
constexpr uint32_t CLS_RESULT_OVERFLOW = 1u << 31;
// Lookup timing (docs/classifier.md): a lookup occupies CLS_LOOKUP_LATENCY cycles plus one
// cycle per reported match (at most CLS_MAX_RESULTS); first-match results are pipelined at
// one lookup per clock.
constexpr uint32_t CLS_LOOKUP_LATENCY = 2;
// Read-only: depth of the table (entries).
constexpr uint32_t CLS_DEPTH = CLS_BASE + 0x00000000u;
}  // namespace dfc::abi
