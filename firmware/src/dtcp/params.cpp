// The DTCP parameter table (which request may carry which parameter), reason phrases, the
// parsing of Flags and Timeout-* values shared by the request handlers, and the timestamps
// every reply and notification carries.
#include "server_internal.hpp"

#include <array>

#include "dfc/dtcp/criteria.hpp"

namespace dfc::dtcp {
using namespace detail;

namespace detail {

constexpr std::array<ParamDef, 37> kParams{{
    {"Csource-ID", 31},        {"Seq", 31},
    {"Cdest-ID", M_ADD | M_DEL | M_REF | M_LIST},
    {"Source-Address", M_ADD}, {"Dest-Address", M_ADD},
    {"Protocol", M_ADD},       {"Source-Port", M_ADD},
    {"Dest-Port", M_ADD},      {"ICMP-Type", M_ADD},
    {"ICMP-Code", M_ADD},      {"Timeout-Idle", M_ADD | M_REF},
    {"Timeout-Total", M_ADD | M_REF}, {"Timeout-Packets", M_ADD | M_REF},
    {"Timeout-Bytes", M_ADD | M_REF}, {"Priority", M_ADD},
    {"Action", M_ADD},         {"Flags", M_ADD | M_DEL | M_LIST | M_NOOP},
    {"Criteria-ID", M_DEL | M_REF | M_LIST},
    {"Criteria-Count", 0},     {"Criteria-Num", 0},
    {"Num-Criteria", 0},       {"Csource-Address", 0},
    {"Timestamp", 0},          {"Remaining-Idle", 0},
    {"Remaining-Total", 0},    {"Remaining-Packets", 0},
    {"Remaining-Bytes", 0},    {"Average-Bandwidth", 0},
    {"Matching-Packets", 0},   {"Matching-Bytes", 0},
    {"Num-Refresh", 0},        {"Last-Refresh", 0},
    {"Alert-Info", 0},         {"Alert-Bandwidth", 0},
    {"Max-Bandwidth", 0},      {"Error-Parameters", 0},
    {"Authentication-Info", 0},
}};

const ParamDef* param_def(std::string_view name) {
  // Lengths first: every request's every parameter is looked up here, and most rows differ
  // from it in length (no call to compare them).
  for (const auto& d : kParams)
    if (d.name.size() == name.size() && iequals(d.name, name)) return &d;
  return nullptr;
}

bool is_x_param(std::string_view n) { return n.size() > 2 && (n[0] == 'X' || n[0] == 'x') && n[1] == '-'; }

// Flag values are matched case-insensitively (open question 2).
std::optional<unsigned> parse_flags(std::string_view v, unsigned allowed) {
  unsigned out = 0;
  for (std::string_view f : util::split(v)) {
    unsigned b = iequals(f, "Static") ? F_STATIC : iequals(f, "SendAsync") ? F_SENDASYNC
               : iequals(f, "Stats") ? F_STATS : iequals(f, "Criteria") ? F_CRITERIA
               : iequals(f, "Both") ? F_BOTH : 0u;
    if (b == 0 || (b & allowed) == 0) return std::nullopt;
    out |= b;
  }
  return out;
}


// Parses the Timeout-* parameters present. On error fills err with the offending parameter.
bool parse_timeouts(const Message& m, Timeouts& t, Params& err) {
  struct Spec {
    std::string_view name;  // a view: no strlen per lookup
    std::optional<uint64_t> Timeouts::*field;
    uint64_t max;
    size_t digits;
  };
  const Spec specs[] = {{"Timeout-Idle", &Timeouts::idle, kDaySec, 5},
                        {"Timeout-Total", &Timeouts::total, kDaySec, 5},
                        {"Timeout-Packets", &Timeouts::packets, ~0ull, 20},
                        {"Timeout-Bytes", &Timeouts::bytes, ~0ull, 20}};
  for (const auto& s : specs) {
    const Param* p = m.find(s.name);
    if (!p) continue;
    auto v = parse_u64(p->value);
    if (!v || p->value.size() > s.digits || *v > s.max) {
      err = {{std::string(s.name), p->value}};
      return false;
    }
    t.*(s.field) = *v;
  }
  return true;
}

Params timeout_echo(const Message& m) {
  Params e;
  for (const char* n : {"Timeout-Idle", "Timeout-Total", "Timeout-Packets", "Timeout-Bytes"})
    if (const Param* p = m.find(n)) e.emplace_back(n, p->value);
  if (e.empty()) e.emplace_back("X-Missing-Parameter", "Timeout-Idle, Timeout-Total, Timeout-Packets, Timeout-Bytes or Flags: Static");
  return e;
}

}  // namespace detail

const char* reason_phrase(int s) {
  switch (s) {
    case code::Rollover: return "Sequence Number Rollover";
    case code::NoOp: return "NoOp";
    case code::OK: return "OK";
    case code::TimeoutDelete: return "Criterion Timeout Delete";
    case code::BadRequest: return "Bad Request";
    case code::UnknownCdest: return "Unknown Content Destination";
    case code::UnknownCriteriaId: return "Unknown Criteria ID";
    case code::ImproperFilter: return "Improper Filter Specification";
    case code::ImproperTimeout: return "Improper Timeout Specification";
    case code::InvalidAuthentication: return "Invalid Authentication";
    case code::InvalidSeq: return "Invalid Sequence Number";
    case code::UnknownCsource: return "Unknown Control Source Identifier";
    case code::InternalError: return "Server Internal Error";
    case code::NotImplemented: return "Not Implemented";
    case code::VersionNotSupported: return "DTCP Version Not Supported";
    case code::MaxCriteria: return "Max Criteria Limit Exceeded";
    case code::MaxCdest: return "Max Content Destination Exceeded";
    case code::Congestion: return "Congestion";
    case code::DuplicatesDropped: return "Duplicate Packets Dropped";
    case code::Restart: return "Server Restart";
    case code::CongestionDelete: return "Criterion Congestion Delete";
    case code::JTapFailure: return "JTap-Failure";
    default: return "Unknown";
  }
}

namespace {

// days since 1970-01-01 -> civil date (H. Hinnant's algorithm)
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  int64_t era;
  unsigned doe;
  if (z >= 0 && z <= 0x7fffffff) {  // every date of this card's life: 32-bit arithmetic
    const auto z32 = static_cast<uint32_t>(z);
    const uint32_t era32 = z32 / 146097;
    era = era32;
    doe = z32 - era32 * 146097;
  } else {
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = static_cast<unsigned>(z - era * 146097);
  }
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

}  // namespace

void Server::append_timestamp(std::string& s, uint64_t ns) const {
  char buf[kTimestampMax];
  s.append(buf, format_timestamp(buf, ns));
}

// Written into the caller's buffer field by field: every reply and notification carries one or
// more (a LIST entry two), and temporaries per field cost the image hundreds of instructions
// each. Days and the milliseconds into the day come from one 64-bit division; the rest fits
// 32 bits (a 64-bit division is a library call on the 32-bit card).
size_t Server::format_timestamp(char* out, uint64_t ns) const {
  constexpr uint64_t kMsPerDay = 86'400'000;
  // The first 4.29 s of a run fit 32 bits: a hardware division instead of a library call.
  const uint64_t since = ns <= 0xffffffffull ? static_cast<uint32_t>(ns) / 1'000'000u : ns / 1'000'000ull;
  const uint64_t ms = hal_.epoch_ms_at_reset() + since;
  const uint64_t days = ms / kMsPerDay;
  const auto msd = static_cast<uint32_t>(ms - days * kMsPerDay);
  int64_t y;
  unsigned mo, d;
  civil_from_days(static_cast<int64_t>(days), y, mo, d);
  const uint32_t sod = msd / 1000;
  const uint32_t msr = msd % 1000;
  char* p = out;
  if (y < 0) *p++ = '-';
  p += format_decimal(p, y < 0 ? 0 - static_cast<uint64_t>(y) : static_cast<uint64_t>(y));
  const auto put2 = [&p](char sep, unsigned v) {
    p[0] = sep;
    p[1] = static_cast<char>('0' + v / 10);
    p[2] = static_cast<char>('0' + v % 10);
    p += 3;
  };
  put2('-', mo);
  put2('-', d);
  put2(' ', sod / 3600);
  put2(':', (sod / 60) % 60);
  put2(':', sod % 60);
  p[0] = '.';
  p[1] = static_cast<char>('0' + msr / 100);
  p[2] = static_cast<char>('0' + (msr / 10) % 10);
  p[3] = static_cast<char>('0' + msr % 10);
  return static_cast<size_t>(p + 4 - out);
}

// ---------------------------------------------------------------------------------------------

}  // namespace dfc::dtcp
