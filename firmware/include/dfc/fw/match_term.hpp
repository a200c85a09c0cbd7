// A MatchTerm is one conjunctive header predicate: every field is a closed interval (a
// wildcard is the full interval). A firmware rule (one DTCP criterion, one ClassBench rule)
// is the OR of its positive terms minus the OR of its exclusion terms. The classifier
// driver turns terms into TCAM entries and range-check units; the DTCP layer turns a
// criterion's comma lists and negations into terms.
#pragma once
#include <array>
#include <cstdint>

namespace dfc::fw {

// 128-bit unsigned address as two 64-bit halves; IPv4 addresses use lo only (hi = 0).
struct Addr128 {
  uint64_t hi = 0, lo = 0;
  friend bool operator==(const Addr128& a, const Addr128& b) { return a.hi == b.hi && a.lo == b.lo; }
  friend bool operator<(const Addr128& a, const Addr128& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
  }
  friend bool operator<=(const Addr128& a, const Addr128& b) { return !(b < a); }
};

struct AddrInterval {
  Addr128 lo{}, hi{};  // inclusive; the family's full space = wildcard
};

struct MatchTerm {
  enum class Family : uint8_t { Any = 0, V4 = 4, V6 = 6 };
  Family family = Family::Any;    // addresses are only constrained when family != Any
  AddrInterval src, dst;          // interpreted within the family's address space
  uint8_t proto_lo = 0, proto_hi = 255;
  uint16_t sport_lo = 0, sport_hi = 65535;
  uint16_t dport_lo = 0, dport_hi = 65535;
  uint8_t icmp_type_lo = 0, icmp_type_hi = 255;
  uint8_t icmp_code_lo = 0, icmp_code_hi = 255;
  // When set, the packet must carry L4 ports (TCP/UDP/SCTP, first fragment) for the port
  // intervals to be meaningful; likewise for ICMP type/code. The DTCP layer sets these when
  // a criterion constrains ports or ICMP fields (see docs/dtcp-conformance.md).
  bool need_ports = false;
  bool need_icmp = false;
  bool exclude = false;  // an exclusion term: a packet it matches is not matched by the rule

  static MatchTerm any() { return MatchTerm{}; }
};

}  // namespace dfc::fw
