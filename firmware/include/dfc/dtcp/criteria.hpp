// DTCP filter values (reference §1.5, C02+ grammar) and their translation into classifier
// MatchTerms. Each filter field is a comma list of entries: single value, prefix (addresses),
// inclusive range lo-hi, open ranges lo-* and *-hi, or *, each optionally negated with '!'.
//
// Semantics (open question 3, decided; docs/dtcp-conformance.md §Criteria):
//  * a field matches iff (it has no positive entry, or some positive entry matches) and no
//    negated entry matches; a criterion matches iff every field matches;
//  * so the rule is: OR of the cross product of positive entries (a missing field or a `*`
//    entry is a wildcard), minus one exclusion term per negated entry (that field alone
//    constrained). `!*` can never match anything: 432.
//  * Source-Port/Dest-Port constrained (by any entry) => need_ports: only packets that carry
//    L4 ports (TCP/UDP/SCTP, first fragment) match, whatever Protocol says; with an explicit
//    Protocol list, entries that cannot carry ports (not 6/17/132) are pruned, and a list with
//    none of them is 432. ICMP-Type/ICMP-Code likewise => need_icmp with protocols 1/58.
//    Ports and ICMP fields together: 432 (no packet has both).
//  * IPv4 and IPv6 entries may be mixed in one list; a term whose source and destination
//    families disagree is dropped; if no term is left: 432.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dfc/fw/match_term.hpp"
#include "dfc/util/text.hpp"

namespace dfc::dtcp {

struct AddrEntry {
  fw::MatchTerm::Family family = fw::MatchTerm::Family::Any;  // Any: the `*` entry
  fw::Addr128 lo{}, hi{};
  bool neg = false;
};

struct IntEntry {
  uint64_t lo = 0, hi = 0;
  bool wildcard = false;
  bool neg = false;
  bool range = false;  // written lo-hi (even `2-2`): selects what exists, never unknown
};

// nullopt + *err on a malformed list. allow_v6=false rejects IPv6 entries (DTCP/0.6).
std::optional<std::vector<AddrEntry>> parse_ip_filter(std::string_view v, bool allow_v6, std::string* err);
// Entries bounded by max (e.g. 255 for Protocol, 65535 for ports, 2^64-1 for Criteria-ID).
std::optional<std::vector<IntEntry>> parse_int_filter(std::string_view v, uint64_t max, std::string* err);

// Shared with the configuration parser (dfc/util/text.hpp).
using util::parse_ipv4;
using util::parse_ipv6;
using util::parse_u64;  // 1..20 digits, no sign, no overflow

struct CriteriaSpec {
  std::vector<AddrEntry> src, dst;  // empty = wildcard
  std::vector<IntEntry> proto, sport, dport, icmp_type, icmp_code;
};

struct TermsResult {
  std::vector<fw::MatchTerm> terms;  // positive terms first, then exclusion terms
  std::string error;                 // non-empty: 432 with this explanation
  std::string error_field;           // the parameter the error is about (for Error-Parameters)
  bool too_many = false;             // more than max_terms terms (treated as 550)
};

TermsResult build_terms(const CriteriaSpec& spec, size_t max_terms = 1024);

// Reference evaluation of a term list (positive OR minus exclusions) on header fields, used by
// the tests and handy for debugging; the hardware path is the classifier.
struct HeaderFields {
  bool v6 = false;
  fw::Addr128 src{}, dst{};
  uint8_t proto = 0;
  bool has_ports = false;
  uint16_t sport = 0, dport = 0;
  bool has_icmp = false;
  uint8_t icmp_type = 0, icmp_code = 0;
};
bool terms_match(const std::vector<fw::MatchTerm>& terms, const HeaderFields& h);

}  // namespace dfc::dtcp
