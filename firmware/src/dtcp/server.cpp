#include "dfc/dtcp/server.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"

namespace dfc::dtcp {

namespace {

constexpr uint64_t kNsPerSec = 1'000'000'000ull;
constexpr uint64_t kDaySec = 86400;
// CPU cost model (core cycles) declared through Hal::consume_cycles.
constexpr uint64_t kCyclesPerRequest = 4000;   // dispatch, lookups
constexpr uint64_t kCyclesPerByte = 12;        // parse + HMAC per byte
constexpr uint64_t kCyclesPerPacketOut = 2500; // build + sign a reply / notification packet
constexpr uint64_t kCyclesPerCriterionScan = 25;

using Params = std::vector<std::pair<std::string, std::string>>;

enum MethodBit : uint8_t { M_ADD = 1, M_DEL = 2, M_REF = 4, M_LIST = 8, M_NOOP = 16 };

struct ParamDef {
  const char* name;
  uint8_t methods;  // requests that may carry it; 0 = reply/notification only
};
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
  for (const auto& d : kParams)
    if (iequals(d.name, name)) return &d;
  return nullptr;
}

bool is_x_param(std::string_view n) { return n.size() > 2 && (n[0] == 'X' || n[0] == 'x') && n[1] == '-'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_list(std::string_view v) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t c = v.find(',', start);
    out.emplace_back(trim(v.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start)));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  return out;
}

bool has_ws(std::string_view s) {
  for (char c : s)
    if (c == ' ' || c == '\t') return true;
  return false;
}

// 10 one-second buckets: the 10-second average the drafts use for bandwidth.
struct RateWindow {
  std::array<uint64_t, 10> sec{};
  std::array<uint64_t, 10> bytes{};
  // Returns true when this add opened a new second.
  bool add(uint64_t now_s, uint64_t b) {
    size_t i = static_cast<size_t>(now_s % 10);
    bool fresh = sec[i] != now_s + 1;
    if (fresh) {
      sec[i] = now_s + 1;  // +1 so that the zero-initialised bucket never counts
      bytes[i] = 0;
    }
    bytes[i] += b;
    return fresh;
  }
  uint64_t sum(uint64_t now_s) const {
    uint64_t s = 0;
    for (size_t i = 0; i < 10; ++i)
      if (sec[i] != 0 && sec[i] - 1 + 10 > now_s && sec[i] - 1 <= now_s) s += bytes[i];
    return s;
  }
  uint64_t bps(uint64_t now_s) const { return sum(now_s) * 8 / 10; }
  uint64_t byte_rate(uint64_t now_s) const { return sum(now_s) / 10; }
};

// days since 1970-01-01 -> civil date (H. Hinnant's algorithm)
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

std::string two(unsigned v) { return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10); }

}  // namespace

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

// ---------------------------------------------------------------------------------------------
struct Server::Criterion {
  uint32_t id = 0;
  size_t cs = 0;  // index into cs_
  size_t cd = 0;  // index into cd_
  fw::RuleId rule = 0;
  size_t terms = 0;
  fw::CriterionView view;
  bool is_static = false, send_async = false;
  uint64_t t_idle = 0, t_total = 0, t_packets = 0, t_bytes = 0;  // as specified (0 = none)
  uint64_t added_ns = 0;
  uint64_t total_base_ns = 0;     // start of Timeout-Total (add or refresh)
  uint64_t idle_base_ns = 0;      // last hit or refresh of Timeout-Idle
  uint64_t pkts_base = 0, bytes_base = 0;
  uint64_t matching_packets = 0, matching_bytes = 0;
  uint32_t num_refresh = 0;
  uint64_t last_refresh_ns = 0;
  bool refreshed = false;
  std::string csource_address;
  Params filters;  // as originally specified, canonical names
  RateWindow rate;       // every matching packet (LIST Average-Bandwidth, aggregate bandwidth)
  RateWindow copy_rate;  // copies this criterion carried to its destination (congestion)
};

struct Server::CsState {
  const config::CaptureGroup* group = nullptr;
  uint32_t group_index = 0;
  const config::ControlSource* cfg = nullptr;
  SeqWindow seq;
  Version notif_version = kHighestVersion;  // the version the source last used
  ControlSourceCounters c;
  std::set<uint32_t> criteria;  // ids owned
  uint64_t add_rate_sec = ~0ull, add_rate_count = 0, add_rate_last = 0, add_rate_peak = 0;
  uint64_t dups_last_sent_ns = 0, dups_since_sent = 0;
  bool dups_ever_sent = false;
};

struct Server::CdState {
  const config::CaptureGroup* group = nullptr;
  const config::ContentDestination* cfg = nullptr;
  uint64_t criteria = 0;
  uint64_t matched_packets = 0, matched_bytes = 0, congestion_notifications = 0;
  RateWindow rate;
  bool soft_congested = false;
  uint64_t soft_episodes = 0, soft_cleared = 0;
};

struct Server::Reply {
  int status = code::OK;
  Params params;
};

Server::Server(const config::DfcConfig& cfg, Hal& hal, fw::ClassifierDriver& cls)
    : Server(cfg, hal, cls, Options{}) {}

Server::Server(const config::DfcConfig& cfg, Hal& hal, fw::ClassifierDriver& cls, Options opt)
    : cfg_(cfg), hal_(hal), cls_(cls), opt_(opt) {
  next_id_ = opt_.first_criteria_id ? opt_.first_criteria_id : 1;
  for (const auto& g : cfg_.capture_groups) {
    const auto gi = static_cast<uint32_t>(&g - cfg_.capture_groups.data());
    for (const auto& c : g.control_sources) {
      auto s = std::make_unique<CsState>();
      s->group = &g;
      s->group_index = gi;
      s->cfg = &c;
      cs_.push_back(std::move(s));
    }
    for (const auto& d : g.content_destinations) {
      auto s = std::make_unique<CdState>();
      s->group = &g;
      s->cfg = &d;
      cd_.push_back(std::move(s));
    }
  }
}

Server::~Server() = default;

std::string Server::timestamp(uint64_t ns) const {
  const uint64_t ms = hal_.epoch_ms_at_reset() + ns / 1'000'000ull;
  const uint64_t secs = ms / 1000;
  int64_t y;
  unsigned mo, d;
  civil_from_days(static_cast<int64_t>(secs / 86400), y, mo, d);
  const uint64_t sod = secs % 86400;
  const unsigned msr = static_cast<unsigned>(ms % 1000);
  std::string s = std::to_string(y) + "-" + two(mo) + "-" + two(d) + " " + two(static_cast<unsigned>(sod / 3600)) +
                  ":" + two(static_cast<unsigned>((sod / 60) % 60)) + ":" + two(static_cast<unsigned>(sod % 60)) + ".";
  s.push_back(static_cast<char>('0' + msr / 100));
  s.push_back(static_cast<char>('0' + (msr / 10) % 10));
  s.push_back(static_cast<char>('0' + msr % 10));
  return s;
}

bool Server::authorized(const CsState& cs, const Packet& p) {
  if (p.dst_port != cs.cfg->service_port) return false;
  const auto& srcs = cs.cfg->source_addresses;
  if (srcs.empty()) return true;
  for (const auto& a : srcs)
    if (config::same_ip_address(a, p.src_ip)) return true;
  return false;
}

Server::CdState* Server::cdest(const CsState& cs, std::string_view id) {
  // Unknown, or not in the source's allowed-destinations: both 430 (existence not revealed).
  const auto& allowed = cs.cfg->allowed_destinations;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), id) == allowed.end()) return nullptr;
  for (auto& d : cd_)
    if (d->group == cs.group && d->cfg->id == id) return d.get();
  return nullptr;
}

void Server::transmit_to(const std::string& ip, uint16_t port, uint16_t src_port, std::string data) {
  Packet p;
  p.unit = Unit::Control;
  p.link = LinkType::RawIp;
  p.data.assign(data.begin(), data.end());
  p.src_ip = control_addr_;
  p.src_port = src_port;
  p.dst_ip = ip;
  p.dst_port = port;
  hal_.consume_cycles(kCyclesPerPacketOut + kCyclesPerByte * data.size());
  if (!hal_.transmit(std::move(p))) ++counters_.tx_dropped;
}

void Server::notify(CsState& cs, int status, const Params& params) {
  ++cs.c.notifications;
  switch (status) {
    case code::Restart: ++cs.c.notification_restart; break;
    case code::Rollover: ++cs.c.notification_rollover; break;
    case code::NoOp: ++cs.c.notification_noop; break;
    case code::TimeoutDelete: ++cs.c.notification_timeout; break;
    case code::Congestion: ++cs.c.notification_congestion; break;
    case code::CongestionDelete: ++cs.c.notification_congestion_delete; break;
    case code::DuplicatesDropped: ++cs.c.notification_duplicates_dropped; break;
    default: break;
  }
  auto b = MessageBuilder::status(cs.notif_version, status, reason_phrase(status));
  for (const auto& [n, v] : params) b.add(n, v);
  b.add("Timestamp", timestamp(hal_.now_ns()));
  const std::string text = b.signed_text(cs.cfg->shared_key);
  for (const auto& t : cs.cfg->notification_targets) {
    ++counters_.notifications_sent;
    transmit_to(t.address, t.port, cs.cfg->service_port, text);
  }
}

// ---------------------------------------------------------------------------------------------
void Server::on_datagram(const Packet& p) {
  ++counters_.control_packets;
  hal_.consume_cycles(kCyclesPerRequest + kCyclesPerByte * p.data.size());
  const std::string_view bytes(reinterpret_cast<const char*>(p.data.data()), p.data.size());
  auto m = parse_message(bytes);
  if (!m || m->is_status) {
    ++counters_.not_dtcp;
    return;
  }
  // 1. Known control source (by Csource-ID), and 2. the DFC PIC's address rules
  // (service-port, source-addresses compared as addresses, not as text). The same id may be
  // configured in several capture groups (distinguishable by port and address, validated):
  // the request belongs to the one whose rules it satisfies; if none does, it is counted as
  // unauthorized against the first of that name.
  const Param* csp = m->find("Csource-ID");
  std::optional<std::string> csid = csp ? unescape(csp->value) : std::nullopt;
  CsState* cs = nullptr;
  CsState* named = nullptr;
  if (csid)
    for (auto& s : cs_) {
      if (s->cfg->id != *csid) continue;
      if (!named) named = s.get();
      if (!cs && authorized(*s, p)) cs = s.get();
    }
  if (!named) {
    ++counters_.unknown_control_source;
    return;
  }
  if (!cs) {
    ++counters_.unauthorized_control_source;
    ++named->c.unauthorized_source;
    return;
  }
  // 3. Authentication over the raw bytes before Authentication-Info.
  if (!verify(*m, bytes, cs->cfg->shared_key)) {
    ++counters_.bad_authentication;
    ++cs->c.response_invalid_authentication;
    return;
  }
  // 4. Sequence window.
  const Param* seqp = m->find("Seq");
  std::optional<uint64_t> seq = seqp ? parse_u64(seqp->value) : std::nullopt;
  SeqWindow::Result sr = seq ? cs->seq.check_and_record(*seq) : SeqWindow::Result::Stale;
  if (!SeqWindow::accepted(sr)) {
    ++counters_.bad_sequence;
    ++cs->c.response_invalid_sequence_number;
    return;
  }
  if (!p.dst_ip.empty()) control_addr_ = p.dst_ip;
  if (m->version && !(*m->version < kLowestVersion) && !(kHighestVersion < *m->version))
    cs->notif_version = *m->version;
  if (sr == SeqWindow::Result::AcceptedRollover) notify(*cs, code::Rollover, {});
  handle(*cs, p, *m, *seq);
}

void Server::handle(CsState& cs, const Packet& p, const Message& m, uint64_t seq) {
  ++cs.c.requests;
  Reply r;
  Version v = kHighestVersion;
  auto fail = [&](int status, Params params) {
    r.status = status;
    r.params = std::move(params);
  };
  std::string method = m.method;
  for (char& ch : method)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  uint8_t mbit = method == "ADD" ? M_ADD : method == "DELETE" ? M_DEL : method == "REFRESH" ? M_REF
               : method == "LIST" ? M_LIST : method == "NOOP" ? M_NOOP : 0;
  switch (mbit) {
    case M_ADD: ++cs.c.add_requests; break;
    case M_DEL: ++cs.c.delete_requests; break;
    case M_REF: ++cs.c.refresh_requests; break;
    case M_LIST: ++cs.c.list_requests; break;
    case M_NOOP: ++cs.c.noop_requests; break;
    default: ++cs.c.other_requests; break;
  }

  std::vector<std::string> list_packets;
  bool send_async = false;
  bool done = false;
  if (!m.first_line_ok || !m.version) {
    fail(code::BadRequest, {{"X-Request-Line", m.first_line}});
    done = true;
  } else if (*m.version < kLowestVersion) {
    v = kLowestVersion;
    fail(code::VersionNotSupported, {{"X-Request-Line", m.first_line}});
    done = true;
  } else if (kHighestVersion < *m.version) {
    v = kHighestVersion;
    fail(code::VersionNotSupported, {{"X-Request-Line", m.first_line}});
    done = true;
  } else {
    v = *m.version;
  }
  if (!done && !m.bad_lines.empty()) {
    fail(code::BadRequest, {{"X-Request-Line", m.bad_lines.front()}});
    done = true;
  }
  if (!done && mbit == 0) {
    fail(code::NotImplemented, {{"X-Not-Implemented", m.method}});
    done = true;
  }
  if (!done) {
    for (const Param& prm : m.params) {
      if (is_x_param(prm.name)) continue;  // unrecognised X- parameters are silently discarded
      const ParamDef* d = param_def(prm.name);
      if (!d) {
        fail(code::NotImplemented, {{prm.name, prm.value}});
        done = true;
        break;
      }
      if ((d->methods & mbit) == 0) {
        fail(code::BadRequest, {{d->name, prm.value}});
        done = true;
        break;
      }
    }
  }
  if (!done) {
    switch (mbit) {
      case M_ADD: r = do_add(cs, p, m, v); break;
      case M_DEL: r = do_delete(cs, m, v); break;
      case M_REF: r = do_refresh(cs, m, v); break;
      case M_LIST: r = do_list(cs, m, v, seq, list_packets); break;
      default: r = do_noop(cs, m, v, send_async); break;
    }
  }
  // per-method success/failure
  const bool ok = r.status == code::OK;
  switch (mbit) {
    case M_ADD: if (!ok) ++cs.c.criteria_addition_failed; break;
    case M_DEL: if (!ok) ++cs.c.criteria_deletion_failed; break;
    case M_REF: if (!ok) ++cs.c.criteria_refresh_failed; break;
    case M_LIST: ++(ok ? cs.c.list_success : cs.c.list_failed); break;
    case M_NOOP: ++(ok ? cs.c.noop_success : cs.c.noop_failed); break;
    default: break;
  }
  switch (r.status) {
    case code::OK: ++cs.c.response_successful; break;
    case code::BadRequest: ++cs.c.bad_request; ++counters_.bad_request; break;
    case code::UnknownCdest: ++cs.c.response_unknown_content_dest; break;
    case code::UnknownCriteriaId: ++cs.c.response_unknown_criteria_id; break;
    case code::ImproperFilter: ++cs.c.response_improper_criteria; break;
    case code::ImproperTimeout: ++cs.c.response_improper_timeout; break;
    case code::InternalError: ++cs.c.response_internal_error; break;
    case code::NotImplemented: ++cs.c.response_not_implemented; break;
    case code::VersionNotSupported: ++cs.c.response_version_not_supported; ++counters_.bad_command_line; break;
    case code::MaxCriteria: ++cs.c.response_max_criteria; break;
    default: break;
  }
  ++counters_.replies_sent;
  if (ok && mbit == M_LIST) {
    for (auto& pk : list_packets) {
      ++counters_.reply_packets_sent;
      transmit_to(p.src_ip, p.src_port, p.dst_port, std::move(pk));
    }
  } else {
    send_reply(cs, p, v, r, seq);
  }
  if (ok && send_async) notify(cs, code::NoOp, {});
  rearm();
}

void Server::send_reply(CsState& cs, const Packet& req, Version v, const Reply& r, uint64_t seq) {
  auto b = MessageBuilder::status(v, r.status, reason_phrase(r.status));
  for (const auto& [n, val] : r.params) b.add(n, val);
  b.add("Timestamp", timestamp(hal_.now_ns()));
  b.add("Seq", seq);
  ++counters_.reply_packets_sent;
  // Reply mirrors the request's 4-tuple.
  Packet out;
  const std::string text = b.signed_text(cs.cfg->shared_key);
  out.unit = Unit::Control;
  out.data.assign(text.begin(), text.end());
  out.src_ip = req.dst_ip;
  out.src_port = req.dst_port;
  out.dst_ip = req.src_ip;
  out.dst_port = req.src_port;
  hal_.consume_cycles(kCyclesPerPacketOut + kCyclesPerByte * text.size());
  if (!hal_.transmit(std::move(out))) ++counters_.tx_dropped;
}

// ---------------------------------------------------------------------------------------------
namespace {

constexpr unsigned F_STATIC = 1, F_SENDASYNC = 2, F_STATS = 4, F_CRITERIA = 8, F_BOTH = 16;

// Flag values are matched case-insensitively (open question 2).
std::optional<unsigned> parse_flags(std::string_view v, unsigned allowed) {
  unsigned out = 0;
  for (const std::string& f : split_list(v)) {
    unsigned b = iequals(f, "Static") ? F_STATIC : iequals(f, "SendAsync") ? F_SENDASYNC
               : iequals(f, "Stats") ? F_STATS : iequals(f, "Criteria") ? F_CRITERIA
               : iequals(f, "Both") ? F_BOTH : 0u;
    if (b == 0 || (b & allowed) == 0) return std::nullopt;
    out |= b;
  }
  return out;
}

struct Timeouts {
  std::optional<uint64_t> idle, total, packets, bytes;
  bool any() const { return idle || total || packets || bytes; }
};

// Parses the Timeout-* parameters present. On error fills err with the offending parameter.
bool parse_timeouts(const Message& m, Timeouts& t, Params& err) {
  struct Spec {
    const char* name;
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
      err = {{s.name, p->value}};
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

}  // namespace

Server::Reply Server::do_add(CsState& cs, const Packet& p, const Message& m, Version v) {
  Reply r;
  auto fail = [&](int s, Params e) {
    r.status = s;
    r.params = std::move(e);
    return r;
  };
  // Required parameters.
  const Param* cdp = m.find("Cdest-ID");
  if (!cdp) return fail(code::BadRequest, {{"X-Missing-Parameter", "Cdest-ID"}});
  // Flags / Priority / Action syntax.
  unsigned flags = 0;
  if (const Param* f = m.find("Flags")) {
    auto fl = parse_flags(f->value, F_STATIC | F_SENDASYNC);
    if (!fl) return fail(code::BadRequest, {{"Flags", f->value}});
    flags = *fl;
  }
  uint64_t priority = 1;  // default and minimum 1 (reference §1.8)
  if (const Param* pr = m.find("Priority")) {
    auto pv = parse_u64(pr->value);
    if (!pv || pr->value.size() > 3 || *pv < 1 || *pv > 255) return fail(code::BadRequest, {{"Priority", pr->value}});
    priority = *pv;
  }
  if (const Param* a = m.find("Action")) {
    if (!iequals(a->value, "Copy")) return fail(code::NotImplemented, {{"Action", a->value}});
  }
  // Content destination (a single one: lists are 501 in 0.7, 400 in 0.6).
  auto cdl = split_list(cdp->value);
  if (cdl.size() != 1) return fail(v < kHighestVersion ? code::BadRequest : code::NotImplemented, {{"Cdest-ID", cdp->value}});
  auto cdid = unescape(cdl[0]);
  if (!cdid || cdid->empty() || has_ws(cdl[0])) return fail(code::BadRequest, {{"Cdest-ID", cdp->value}});
  CdState* cd = cdest(cs, *cdid);
  if (!cd) return fail(code::UnknownCdest, {{"Cdest-ID", cdp->value}});
  // Filters.
  CriteriaSpec spec;
  Params filters;
  const bool v6 = !(v < kHighestVersion);
  struct AddrField {
    const char* name;
    std::vector<AddrEntry> CriteriaSpec::*f;
  };
  for (const AddrField& af : {AddrField{"Source-Address", &CriteriaSpec::src}, AddrField{"Dest-Address", &CriteriaSpec::dst}}) {
    const Param* fp = m.find(af.name);
    if (!fp) continue;
    std::string err;
    auto e = parse_ip_filter(fp->value, v6, &err);
    if (!e) return fail(code::ImproperFilter, {{af.name, fp->value}, {"X-Error-Info", err}});
    spec.*(af.f) = std::move(*e);
    filters.emplace_back(af.name, fp->value);
  }
  struct IntField {
    const char* name;
    std::vector<IntEntry> CriteriaSpec::*f;
    uint64_t max;
  };
  for (const IntField& fld : {IntField{"Protocol", &CriteriaSpec::proto, 255}, IntField{"Source-Port", &CriteriaSpec::sport, 65535},
                              IntField{"Dest-Port", &CriteriaSpec::dport, 65535}, IntField{"ICMP-Type", &CriteriaSpec::icmp_type, 255},
                              IntField{"ICMP-Code", &CriteriaSpec::icmp_code, 255}}) {
    const Param* fp = m.find(fld.name);
    if (!fp) continue;
    std::string err;
    auto e = parse_int_filter(fp->value, fld.max, &err);
    if (!e) return fail(code::ImproperFilter, {{fld.name, fp->value}, {"X-Error-Info", err}});
    spec.*(fld.f) = std::move(*e);
    filters.emplace_back(fld.name, fp->value);
  }
  TermsResult tr = build_terms(spec, opt_.max_terms_per_criterion);
  if (!tr.error.empty() && !tr.too_many) {
    Params e;
    if (const Param* fp = m.find(tr.error_field)) e.emplace_back(tr.error_field, fp->value);
    e.emplace_back("X-Error-Info", tr.error);
    return fail(code::ImproperFilter, e);
  }
  // Timeouts.
  Timeouts t;
  Params terr;
  if (!parse_timeouts(m, t, terr)) return fail(code::ImproperTimeout, terr);
  const bool is_static = flags & F_STATIC;
  const bool any_timeout = t.idle.value_or(0) || t.total.value_or(0) || t.packets.value_or(0) || t.bytes.value_or(0);
  if (!is_static && !any_timeout) return fail(code::ImproperTimeout, timeout_echo(m));
  // Capacity.
  const int full_code = v < kHighestVersion ? code::InternalError : code::MaxCriteria;  // 550 is C02+
  if (tr.too_many) return fail(full_code, {{"X-Error-Info", tr.error}});
  if (opt_.max_criteria && criteria_.size() >= opt_.max_criteria)
    return fail(full_code, {{"X-Error-Info", "criteria limit reached"}});
  const uint32_t total_prio = static_cast<uint32_t>(priority) + cs.cfg->minimum_priority;
  hal_.consume_cycles(kCyclesPerCriterionScan * tr.terms.size());
  if (!within_share(cs, 1, 0)) return fail(full_code, {{"X-Error-Info", "this control source's share of the criteria table is used up"}});
  std::optional<fw::RuleId> rule = cls_.install(tr.terms, total_prio);
  if (!rule) return fail(full_code, {{"X-Error-Info", "classifier table full"}});
  if (!within_share(cs, 1, cls_.entries_used(*rule))) {
    cls_.remove(*rule);
    return fail(full_code, {{"X-Error-Info", "this control source's share of the criteria table is used up"}});
  }
  ++version_;

  auto c = std::make_unique<Criterion>();
  const uint64_t now = hal_.now_ns();
  c->id = allocate_id();
  c->cs = static_cast<size_t>(std::find_if(cs_.begin(), cs_.end(), [&](const auto& x) { return x.get() == &cs; }) - cs_.begin());
  c->cd = static_cast<size_t>(std::find_if(cd_.begin(), cd_.end(), [&](const auto& x) { return x.get() == cd; }) - cd_.begin());
  c->rule = *rule;
  c->terms = tr.terms.size();
  c->view = fw::CriterionView{c->id, cs.cfg->id, cd->cfg->id, total_prio, next_added_seq_++, cs.group_index};
  c->is_static = is_static;
  c->send_async = flags & F_SENDASYNC;
  c->t_idle = t.idle.value_or(0);
  c->t_total = t.total.value_or(0);
  c->t_packets = t.packets.value_or(0);
  c->t_bytes = t.bytes.value_or(0);
  c->added_ns = c->total_base_ns = c->idle_base_ns = now;
  c->csource_address = p.src_ip;
  c->filters = std::move(filters);
  const uint32_t id = c->id;
  by_rule_[*rule] = c.get();
  criteria_[id] = std::move(c);
  cs.criteria.insert(id);
  ++cd->criteria;
  ++cs.c.criteria_added;
  // ADD rate (per whole second).
  const uint64_t sec = now / kNsPerSec;
  if (cs.add_rate_sec != sec) {
    if (cs.add_rate_sec + 1 == sec) cs.add_rate_last = cs.add_rate_count;
    else cs.add_rate_last = 0;
    cs.add_rate_sec = sec;
    cs.add_rate_count = 0;
  }
  ++cs.add_rate_count;
  cs.add_rate_peak = std::max(cs.add_rate_peak, cs.add_rate_count);
  r.params = {{"Criteria-ID", std::to_string(id)}};
  return r;
}

namespace {
// Parses a Criteria-ID selector. Singles must exist (owned); ranges select what exists.
// Returns 0 on success, else the status code with err filled.
int select_ids(const Message& m, const std::set<uint32_t>& owned, std::vector<uint32_t>& out, Params& err) {
  const Param* p = m.find("Criteria-ID");
  std::string e;
  auto entries = parse_int_filter(p->value, ~0ull, &e);
  if (!entries) {
    err = {{"Criteria-ID", p->value}, {"X-Error-Info", e}};
    return code::BadRequest;
  }
  std::set<uint32_t> sel;
  for (const IntEntry& ie : *entries) {
    if (ie.neg) {
      err = {{"Criteria-ID", p->value}, {"X-Error-Info", "negated Criteria-ID entries are not supported"}};
      return code::NotImplemented;
    }
    if (!ie.wildcard && ie.lo == ie.hi) {
      if (ie.lo > 0xffffffffull || !owned.count(static_cast<uint32_t>(ie.lo))) {
        err = {{"Criteria-ID", std::to_string(ie.lo)}};
        return code::UnknownCriteriaId;
      }
      sel.insert(static_cast<uint32_t>(ie.lo));
      continue;
    }
    for (auto it = owned.lower_bound(static_cast<uint32_t>(std::min<uint64_t>(ie.lo, 0xffffffffull)));
         it != owned.end() && *it <= ie.hi; ++it)
      sel.insert(*it);
  }
  out.assign(sel.begin(), sel.end());
  return 0;
}
}  // namespace

// The one target selection of DELETE, REFRESH and LIST: this source's criteria, narrowed by
// Cdest-ID (a list from DTCP/0.7 on; 0.6 has a single DSTRING, a list is 400 as in ADD) and
// by Criteria-ID (singles must exist, ranges select what exists). 0 or the status + err.
int Server::select_targets(const CsState& cs, const Message& m, Version v, std::vector<uint32_t>& ids,
                           std::vector<std::pair<std::string, std::string>>& err) {
  ids.assign(cs.criteria.begin(), cs.criteria.end());
  if (const Param* cdp = m.find("Cdest-ID")) {
    const auto list = split_list(cdp->value);
    if (list.size() != 1 && v < kHighestVersion) {
      err = {{"Cdest-ID", cdp->value}, {"X-Error-Info", "DTCP/0.6 takes a single Cdest-ID"}};
      return code::BadRequest;
    }
    std::vector<size_t> cds;
    for (const std::string& raw : list) {
      auto id = unescape(raw);
      CdState* cd = id ? cdest(cs, *id) : nullptr;
      if (!cd) {
        err = {{"Cdest-ID", raw}};
        return code::UnknownCdest;
      }
      cds.push_back(static_cast<size_t>(std::find_if(cd_.begin(), cd_.end(), [&](const auto& x) { return x.get() == cd; }) - cd_.begin()));
    }
    std::vector<uint32_t> keep;
    for (uint32_t id : ids)
      if (std::find(cds.begin(), cds.end(), criteria_.at(id)->cd) != cds.end()) keep.push_back(id);
    ids.swap(keep);
  }
  if (m.find("Criteria-ID")) {
    std::vector<uint32_t> sel;
    if (int s = select_ids(m, cs.criteria, sel, err)) return s;
    std::vector<uint32_t> keep;
    std::set_intersection(ids.begin(), ids.end(), sel.begin(), sel.end(), std::back_inserter(keep));
    ids.swap(keep);
  }
  return 0;
}

Server::Reply Server::do_delete(CsState& cs, const Message& m, Version v) {
  Reply r;
  auto fail = [&](int s, Params e) {
    r.status = s;
    r.params = std::move(e);
    return r;
  };
  unsigned flags = 0;
  if (const Param* f = m.find("Flags")) {
    auto fl = parse_flags(f->value, F_STATIC);
    if (!fl) return fail(code::BadRequest, {{"Flags", f->value}});
    flags = *fl;
  }
  const Param* idp = m.find("Criteria-ID");
  const Param* cdp = m.find("Cdest-ID");
  if (idp && cdp) return fail(code::BadRequest, {{"Cdest-ID", cdp->value}, {"X-Error-Info", "exactly one of Criteria-ID and Cdest-ID"}});
  if (!idp && !cdp) return fail(code::BadRequest, {{"X-Missing-Parameter", "Criteria-ID or Cdest-ID"}});
  std::vector<uint32_t> ids;
  Params err;
  if (int s = select_targets(cs, m, v, ids, err)) return fail(s, err);
  uint64_t n = 0;
  for (uint32_t id : ids) {
    if (criteria_.at(id)->is_static && !(flags & F_STATIC)) continue;  // not an error
    remove(id, DeleteReason::Explicit, false);
    ++n;
  }
  r.params = {{"Criteria-Count", std::to_string(n)}};
  return r;
}

Server::Reply Server::do_refresh(CsState& cs, const Message& m, Version v) {
  Reply r;
  auto fail = [&](int s, Params e) {
    r.status = s;
    r.params = std::move(e);
    return r;
  };
  const Param* idp = m.find("Criteria-ID");
  const Param* cdp = m.find("Cdest-ID");
  if (idp && cdp) return fail(code::BadRequest, {{"Cdest-ID", cdp->value}, {"X-Error-Info", "exactly one of Criteria-ID and Cdest-ID"}});
  if (!idp && !cdp) return fail(code::BadRequest, {{"X-Missing-Parameter", "Criteria-ID or Cdest-ID"}});
  Timeouts t;
  Params terr;
  if (!parse_timeouts(m, t, terr)) return fail(code::ImproperTimeout, terr);
  if (!t.any()) return fail(code::ImproperTimeout, timeout_echo(m));
  std::vector<uint32_t> ids;
  Params err;
  if (int s = select_targets(cs, m, v, ids, err)) return fail(s, err);
  // All-or-nothing: a refresh that would leave a dynamic criterion without any timeout fails.
  for (uint32_t id : ids) {
    const Criterion& c = *criteria_.at(id);
    const uint64_t i = t.idle ? *t.idle : c.t_idle, to = t.total ? *t.total : c.t_total,
                   pk = t.packets ? *t.packets : c.t_packets, by = t.bytes ? *t.bytes : c.t_bytes;
    if (!c.is_static && !i && !to && !pk && !by) {
      Params e = timeout_echo(m);
      e.emplace_back("Criteria-ID", std::to_string(id));
      return fail(code::ImproperTimeout, e);
    }
  }
  const uint64_t now = hal_.now_ns();
  for (uint32_t id : ids) {
    Criterion& c = *criteria_.at(id);
    // The new value replaces the remaining one (counts again from now).
    if (t.idle) c.t_idle = *t.idle, c.idle_base_ns = now;
    if (t.total) c.t_total = *t.total, c.total_base_ns = now;
    if (t.packets) c.t_packets = *t.packets, c.pkts_base = c.matching_packets;
    if (t.bytes) c.t_bytes = *t.bytes, c.bytes_base = c.matching_bytes;
    ++c.num_refresh;
    c.refreshed = true;
    c.last_refresh_ns = now;
    ++cs.c.criteria_refreshed;
  }
  r.params = {{"Criteria-Count", std::to_string(ids.size())}};
  return r;
}

Server::Reply Server::do_list(CsState& cs, const Message& m, Version v, uint64_t seq, std::vector<std::string>& packets) {
  Reply r;
  auto fail = [&](int s, Params e) {
    r.status = s;
    r.params = std::move(e);
    return r;
  };
  unsigned flags = F_CRITERIA;  // default when Flags is absent
  if (const Param* f = m.find("Flags")) {
    auto fl = parse_flags(f->value, F_STATS | F_CRITERIA | F_BOTH);
    if (!fl) return fail(code::BadRequest, {{"Flags", f->value}});
    flags = *fl;
  }
  const bool want_crit = flags & (F_CRITERIA | F_BOTH);
  const bool want_stats = flags & (F_STATS | F_BOTH);
  std::vector<uint32_t> ids;
  Params err;
  if (int s = select_targets(cs, m, v, ids, err)) return fail(s, err);
  // Atomic snapshot: every packet is built before any is sent.
  const uint64_t now = hal_.now_ns();
  const uint64_t now_s = now / kNsPerSec;
  hal_.consume_cycles(kCyclesPerCriterionScan * cs.criteria.size());
  std::vector<std::string> entries;
  const size_t total = ids.size();
  size_t num = 0;
  for (uint32_t id : ids) {
    const Criterion& c = *criteria_.at(id);
    std::string s;
    auto add = [&](std::string_view n, std::string_view val) {
      s += n;
      s += ": ";
      s += val;
      s += "\r\n";
    };
    add("Criteria-Count", std::to_string(total));
    add("Criteria-Num", std::to_string(++num));
    add("Csource-ID", escape(cs.cfg->id));
    add("Csource-Address", c.csource_address.empty() ? "0.0.0.0" : c.csource_address);
    add("Cdest-ID", escape(cd_[c.cd]->cfg->id));
    add("Criteria-ID", std::to_string(c.id));
    add("Timestamp", timestamp(c.added_ns));
    if (want_crit) {
      for (const auto& [n, val] : c.filters) add(n, val);
      if (c.t_idle) add("Timeout-Idle", std::to_string(c.t_idle));
      if (c.t_total) add("Timeout-Total", std::to_string(c.t_total));
      if (c.t_packets) add("Timeout-Packets", std::to_string(c.t_packets));
      if (c.t_bytes) add("Timeout-Bytes", std::to_string(c.t_bytes));
      std::string fl;
      if (c.is_static) fl = "Static";
      if (c.send_async) fl += fl.empty() ? "SendAsync" : ",SendAsync";
      if (!fl.empty()) add("Flags", fl);
    }
    if (want_stats) {
      if (c.t_idle) {
        uint64_t dl = c.idle_base_ns + c.t_idle * kNsPerSec;
        add("Remaining-Idle", std::to_string(dl > now ? (dl - now + kNsPerSec - 1) / kNsPerSec : 0));
      }
      if (c.t_total) {
        uint64_t dl = c.total_base_ns + c.t_total * kNsPerSec;
        add("Remaining-Total", std::to_string(dl > now ? (dl - now + kNsPerSec - 1) / kNsPerSec : 0));
      }
      if (c.t_packets) {
        uint64_t used = c.matching_packets - c.pkts_base;
        add("Remaining-Packets", std::to_string(used >= c.t_packets ? 0 : c.t_packets - used));
      }
      if (c.t_bytes) {
        uint64_t used = c.matching_bytes - c.bytes_base;
        add("Remaining-Bytes", std::to_string(used >= c.t_bytes ? 0 : c.t_bytes - used));
      }
      add("Average-Bandwidth", std::to_string(c.rate.bps(now_s)));
      add("Matching-Packets", std::to_string(c.matching_packets));
      add("Matching-Bytes", std::to_string(c.matching_bytes));
      add("Num-Refresh", std::to_string(c.num_refresh));
      add("Last-Refresh", timestamp(c.refreshed ? c.last_refresh_ns : c.added_ns));
    }
    entries.push_back(std::move(s));
  }
  // Pack entries into replies of at most max_reply_payload bytes; an entry is never split
  // (an entry larger than the limit on its own goes alone).
  const std::string head = v.str() + " 200 " + reason_phrase(code::OK) + "\r\n";
  const std::string ts = timestamp(now);
  const std::string tail = "Timestamp: " + ts + "\r\nSeq: " + std::to_string(seq) + "\r\n";
  const size_t overhead = head.size() + tail.size() + std::string("Authentication-Info: \r\n\r\n").size() + 40;
  std::string body;
  auto flush = [&]() {
    packets.push_back(sign(head + body + tail, cs.cfg->shared_key));
    body.clear();
  };
  for (auto& e : entries) {
    if (!body.empty() && overhead + body.size() + e.size() > opt_.max_reply_payload) flush();
    body += e;
  }
  flush();  // also the single empty reply when nothing matched
  return r;
}

Server::Reply Server::do_noop(CsState& cs, const Message& m, Version v, bool& send_async) {
  (void)cs;
  (void)v;
  Reply r;
  if (const Param* f = m.find("Flags")) {
    auto fl = parse_flags(f->value, F_SENDASYNC);
    if (!fl) {
      r.status = code::BadRequest;
      r.params = {{"Flags", f->value}};
      return r;
    }
    send_async = *fl & F_SENDASYNC;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
void Server::remove(uint32_t id, DeleteReason why, bool notify_timeout) {
  auto it = criteria_.find(id);
  if (it == criteria_.end()) return;
  std::unique_ptr<Criterion> c = std::move(it->second);
  criteria_.erase(it);
  cls_.remove(c->rule);
  ++version_;
  by_rule_.erase(c->rule);
  CsState& cs = *cs_[c->cs];
  cs.criteria.erase(id);
  --cd_[c->cd]->criteria;
  switch (why) {
    case DeleteReason::Explicit: ++cs.c.criteria_deleted; break;
    case DeleteReason::TimeoutIdle: ++cs.c.criteria_deleted_timeout_idle; break;
    case DeleteReason::TimeoutTotal: ++cs.c.criteria_deleted_timeout_total; break;
    case DeleteReason::TimeoutPackets: ++cs.c.criteria_deleted_packets; break;
    case DeleteReason::TimeoutBytes: ++cs.c.criteria_deleted_bytes; break;
    case DeleteReason::Congestion: ++cs.c.criteria_deleted_congestion; break;
  }
  if (notify_timeout && c->send_async) {
    const uint64_t now = hal_.now_ns();
    Params ps{{"Criteria-ID", std::to_string(c->id)}, {"Cdest-ID", escape(cd_[c->cd]->cfg->id)}};
    if (c->t_idle) ps.emplace_back("Timeout-Idle", std::to_string(c->t_idle));
    if (c->t_total) ps.emplace_back("Timeout-Total", std::to_string(c->t_total));
    if (c->t_packets) ps.emplace_back("Timeout-Packets", std::to_string(c->t_packets));
    if (c->t_bytes) ps.emplace_back("Timeout-Bytes", std::to_string(c->t_bytes));
    auto rem = [&](uint64_t base, uint64_t t) {
      uint64_t dl = base + t * kNsPerSec;
      return std::to_string(dl > now ? (dl - now + kNsPerSec - 1) / kNsPerSec : 0);
    };
    if (c->t_idle) ps.emplace_back("Remaining-Idle", rem(c->idle_base_ns, c->t_idle));
    if (c->t_total) ps.emplace_back("Remaining-Total", rem(c->total_base_ns, c->t_total));
    if (c->t_packets) {
      uint64_t u = c->matching_packets - c->pkts_base;
      ps.emplace_back("Remaining-Packets", std::to_string(u >= c->t_packets ? 0 : c->t_packets - u));
    }
    if (c->t_bytes) {
      uint64_t u = c->matching_bytes - c->bytes_base;
      ps.emplace_back("Remaining-Bytes", std::to_string(u >= c->t_bytes ? 0 : c->t_bytes - u));
    }
    notify(cs, code::TimeoutDelete, ps);
  }
}

bool Server::delete_criterion(uint32_t criteria_id, DeleteReason why) {
  if (!criteria_.count(criteria_id)) return false;
  remove(criteria_id, why, why != DeleteReason::Explicit && why != DeleteReason::Congestion);
  rearm();
  return true;
}

std::optional<uint64_t> Server::deadline(const Criterion& c) const {
  if (c.is_static) return std::nullopt;
  std::optional<uint64_t> d;
  if (c.t_idle) d = c.idle_base_ns + c.t_idle * kNsPerSec;
  if (c.t_total) {
    uint64_t t = c.total_base_ns + c.t_total * kNsPerSec;
    d = d ? std::min(*d, t) : t;
  }
  return d;
}

void Server::rearm() {
  uint64_t next = ~0ull;
  for (const auto& [id, c] : criteria_)
    if (auto d = deadline(*c)) next = std::min(next, *d);
  hal_.consume_cycles(kCyclesPerCriterionScan * criteria_.size() / 8);
  if (next != ~0ull && next != armed_at_) hal_.arm_timer(next);
  armed_at_ = next;
}

void Server::on_timer() {
  const uint64_t now = hal_.now_ns();
  hal_.consume_cycles(kCyclesPerCriterionScan * criteria_.size());
  std::vector<std::pair<uint32_t, DeleteReason>> expired;
  for (const auto& [id, c] : criteria_) {
    if (c->is_static) continue;
    const bool idle = c->t_idle && c->idle_base_ns + c->t_idle * kNsPerSec <= now;
    const bool total = c->t_total && c->total_base_ns + c->t_total * kNsPerSec <= now;
    if (idle || total) {
      DeleteReason why = DeleteReason::TimeoutTotal;
      if (idle && total) {
        why = c->idle_base_ns + c->t_idle * kNsPerSec <= c->total_base_ns + c->t_total * kNsPerSec
                  ? DeleteReason::TimeoutIdle : DeleteReason::TimeoutTotal;
      } else if (idle) {
        why = DeleteReason::TimeoutIdle;
      }
      expired.emplace_back(id, why);
    }
  }
  for (const auto& [id, why] : expired) remove(id, why, true);
  armed_at_ = ~0ull;  // the fired deadline is consumed
  check_congestion();
  rearm();
}

// ---------------------------------------------------------------------------------------------
const Server::MatchedCriterion* Server::criterion_for_rule(fw::RuleId id) const {
  auto it = by_rule_.find(id);
  return it == by_rule_.end() ? nullptr : &it->second->view;
}

void Server::account_hit(fw::RuleId id, uint32_t bytes) {
  auto it = by_rule_.find(id);
  if (it == by_rule_.end()) return;
  Criterion& c = *it->second;
  const uint64_t now = hal_.now_ns();
  const uint64_t now_s = now / kNsPerSec;
  ++c.matching_packets;
  c.matching_bytes += bytes;
  c.idle_base_ns = std::max(c.idle_base_ns, now);  // idle counts from the last hit
  c.rate.add(now_s, bytes);
  if (!c.is_static) {
    if (c.t_packets && c.matching_packets - c.pkts_base >= c.t_packets) {
      remove(c.id, DeleteReason::TimeoutPackets, true);
      rearm();
    } else if (c.t_bytes && c.matching_bytes - c.bytes_base >= c.t_bytes) {
      remove(c.id, DeleteReason::TimeoutBytes, true);
      rearm();
    }
  }
}

void Server::account_copy(fw::RuleId id, uint32_t bytes) {
  auto it = by_rule_.find(id);
  if (it == by_rule_.end()) return;
  Criterion& c = *it->second;
  const uint64_t now_s = hal_.now_ns() / kNsPerSec;
  c.copy_rate.add(now_s, bytes);
  CdState& cd = *cd_[c.cd];
  ++cd.matched_packets;
  cd.matched_bytes += bytes;
  const bool new_second = cd.rate.add(now_s, bytes);
  if (new_second && (cd.cfg->soft_limit || cd.cfg->hard_limit)) check_congestion();
}

void Server::duplicates_dropped(const std::string& csource_id) {
  for (auto& s : cs_)
    if (s->cfg->id == csource_id) return duplicates_dropped(*s);
}

void Server::duplicates_dropped_for_criterion(uint32_t criteria_id) {
  auto it = criteria_.find(criteria_id);
  if (it != criteria_.end()) duplicates_dropped(*cs_[it->second->cs]);
}

void Server::duplicates_dropped(CsState& cs_ref) {
  CsState* cs = &cs_ref;
  ++cs->c.duplicates_dropped;
  ++cs->dups_since_sent;
  const uint64_t now = hal_.now_ns();
  const uint64_t period = uint64_t{cfg_.duplicates_dropped_periodicity(*cs->group)} * kNsPerSec;
  if (!cs->dups_ever_sent || now - cs->dups_last_sent_ns >= period) {
    notify(*cs, code::DuplicatesDropped, {{"X-Duplicates-Dropped", std::to_string(cs->dups_since_sent)}});
    cs->dups_ever_sent = true;
    cs->dups_last_sent_ns = now;
    cs->dups_since_sent = 0;
  }
}

void Server::announce_restart(std::string_view alert_info) {
  for (auto& cs : cs_) notify(*cs, code::Restart, {{"Alert-Info", std::string(alert_info)}});
}

void Server::restart(std::string_view alert_info) {
  // Every criterion is lost (classifier rules too); nothing is told per criterion: the 599
  // says it all. The Seq windows are the persistent state of reference §1.7 and survive;
  // counters survive too (they are the simulator's report, not card state a client sees).
  for (auto& [id, c] : criteria_) cls_.remove(c->rule);
  criteria_.clear();
  by_rule_.clear();
  for (auto& cs : cs_) cs->criteria.clear();
  for (auto& cd : cd_) {
    cd->criteria = 0;
    cd->rate = RateWindow{};
    cd->soft_congested = false;
  }
  ++version_;
  ++restarts_;
  announce_restart(alert_info);
  rearm();
}

uint32_t Server::allocate_id() {
  // Card-wide 32-bit ids, increasing; after 2^32-1 they wrap to 1, skipping ids still in use
  // (never 0, never a live criterion's).
  for (;;) {
    const uint32_t id = next_id_++;
    if (next_id_ == 0) next_id_ = 1;
    if (id != 0 && !criteria_.count(id)) return id;
  }
}

bool Server::within_share(const CsState& cs, size_t more_criteria, size_t more_entries) const {
  // One control source may not take more than its share of the table when other sources
  // exist (docs/dtcp-conformance.md, "Criteria limit per control source").
  if (opt_.max_source_share_percent == 0 || cs_.size() < 2) return true;
  const uint64_t pct = opt_.max_source_share_percent;
  if (opt_.max_criteria && (cs.criteria.size() + more_criteria) * 100 > opt_.max_criteria * pct) return false;
  if (more_entries == 0) return true;
  size_t used = more_entries;
  for (uint32_t id : cs.criteria) used += cls_.entries_used(criteria_.at(id)->rule);
  return used * 100 <= cls_.depth() * pct;
}

void Server::reset_sequence(std::string_view csource_id) {
  for (auto& s : cs_)
    if (s->cfg->id == csource_id) s->seq.reset();
}

void Server::check_congestion() {
  const uint64_t now_s = hal_.now_ns() / kNsPerSec;
  for (size_t di = 0; di < cd_.size(); ++di) {
    CdState& cd = *cd_[di];
    const auto& dc = *cd.cfg;
    if (!dc.soft_limit && !dc.hard_limit) continue;
    // Reference §2.7: the 10-s average "over all active criteria to it". Each copy is counted
    // once, on the criterion that represented the destination for that packet (overlapping
    // criteria do not multiply it), and a deleted criterion's past copies no longer count
    // (else one hard-limit episode would keep deleting every evaluation until the window
    // drained).
    uint64_t bps = 0;
    for (const auto& [id, c] : criteria_)
      if (c->cd == di) bps += c->copy_rate.bps(now_s);
    // Sources with criteria to this destination.
    auto owners = [&]() {
      std::set<size_t> o;
      for (const auto& [id, c] : criteria_)
        if (c->cd == di) o.insert(c->cs);
      return o;
    };
    if (dc.soft_limit && *dc.soft_limit > 0) {
      const uint64_t clear = dc.soft_limit_clear.value_or(*dc.soft_limit);
      if (!cd.soft_congested && bps > *dc.soft_limit) {
        cd.soft_congested = true;
        ++cd.soft_episodes;
        for (size_t ci : owners()) {
          Params ps{{"Cdest-ID", escape(dc.id)}, {"Average-Bandwidth", std::to_string(bps)},
                    {"Alert-Bandwidth", std::to_string(*dc.soft_limit)}};
          if (dc.hard_limit) ps.emplace_back("Max-Bandwidth", std::to_string(*dc.hard_limit));
          notify(*cs_[ci], code::Congestion, ps);
          ++cd.congestion_notifications;
        }
      } else if (cd.soft_congested && bps < clear) {
        cd.soft_congested = false;
        ++cd.soft_cleared;
      }
    }
    if (dc.hard_limit && *dc.hard_limit > 0 && bps > *dc.hard_limit) {
      const uint64_t target = dc.hard_limit_target.value_or(*dc.hard_limit);
      // Victims: criteria that carry copies to this destination, lowest priority (highest
      // number) first, newest first among equals. A criterion with no traffic there is never
      // deleted: it does not contribute to the congestion.
      std::vector<Criterion*> v;
      for (const auto& [id, c] : criteria_)
        if (c->cd == di && c->copy_rate.bps(now_s) > 0) v.push_back(c.get());
      std::sort(v.begin(), v.end(), [](const Criterion* a, const Criterion* b) {
        if (a->view.priority != b->view.priority) return a->view.priority > b->view.priority;
        return a->view.added_seq > b->view.added_seq;
      });
      std::map<size_t, std::vector<uint32_t>> per_cs;
      uint64_t est = bps;
      for (Criterion* c : v) {
        if (est < target) break;
        const uint64_t own = c->copy_rate.bps(now_s);
        est = own >= est ? 0 : est - own;
        per_cs[c->cs].push_back(c->id);
      }
      for (auto& [ci, ids] : per_cs) {
        std::string list;
        for (uint32_t id : ids) {
          if (!list.empty()) list += ",";
          list += std::to_string(id);
          remove(id, DeleteReason::Congestion, false);
        }
        Params ps{{"Cdest-ID", escape(dc.id)}, {"Criteria-ID", list}, {"Average-Bandwidth", std::to_string(bps)},
                  {"Max-Bandwidth", std::to_string(*dc.hard_limit)}};
        notify(*cs_[ci], code::CongestionDelete, ps);
        ++cd.congestion_notifications;
      }
      if (!per_cs.empty()) rearm();
    }
  }
}

// ---------------------------------------------------------------------------------------------
std::vector<ControlSourceStats> Server::control_source_stats() const {
  std::vector<ControlSourceStats> out;
  const uint64_t now = hal_.now_ns();
  const uint64_t now_s = now / kNsPerSec;
  for (const auto& cs : cs_) {
    ControlSourceStats s;
    s.group = cs->group->name;
    s.id = cs->cfg->id;
    s.counters = cs->c;
    for (uint32_t id : cs->criteria) {
      const Criterion& c = *criteria_.at(id);
      ++(c.is_static ? s.static_criteria_active : s.dynamic_criteria_active);
      s.aggr_criteria_bandwidth += c.rate.bps(now_s);
    }
    s.add_request_rate = cs->add_rate_sec == now_s ? cs->add_rate_last
                       : cs->add_rate_sec + 1 == now_s ? cs->add_rate_count : 0;
    s.add_request_peak_rate = cs->add_rate_peak;
    s.has_sequence_number = cs->seq.has_value();
    s.sequence_number = cs->seq.highest();
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<ContentDestinationStats> Server::content_destination_stats() const {
  std::vector<ContentDestinationStats> out;
  const uint64_t now_s = hal_.now_ns() / kNsPerSec;
  for (const auto& cd : cd_) {
    ContentDestinationStats s;
    s.group = cd->group->name;
    s.id = cd->cfg->id;
    s.criteria = cd->criteria;
    s.byte_rate = cd->rate.byte_rate(now_s);
    s.matched_packets = cd->matched_packets;
    s.matched_bytes = cd->matched_bytes;
    s.congestion_notifications = cd->congestion_notifications;
    s.soft_congested = cd->soft_congested;
    s.soft_episodes = cd->soft_episodes;
    s.soft_cleared = cd->soft_cleared;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<CriterionInfo> Server::criteria() const {
  std::vector<CriterionInfo> out;
  for (const auto& [id, c] : criteria_) {
    CriterionInfo i;
    i.criteria_id = id;
    i.csource_id = cs_[c->cs]->cfg->id;
    i.cdest_id = cd_[c->cd]->cfg->id;
    i.csource_address = c->csource_address;
    i.priority = c->view.priority;
    i.is_static = c->is_static;
    i.send_async = c->send_async;
    i.timeout_idle = c->t_idle;
    i.timeout_total = c->t_total;
    i.timeout_packets = c->t_packets;
    i.timeout_bytes = c->t_bytes;
    i.matching_packets = c->matching_packets;
    i.matching_bytes = c->matching_bytes;
    i.num_refresh = c->num_refresh;
    i.rule = c->rule;
    i.terms = c->terms;
    out.push_back(std::move(i));
  }
  return out;
}

size_t Server::active_criteria() const { return criteria_.size(); }

}  // namespace dfc::dtcp
