#include "server_internal.hpp"

#include <algorithm>

#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/hal/card_map.hpp"

// The server's core: construction, the security pipeline of every datagram, the method table
// that dispatches requests to their handlers (handlers.cpp), replies and notifications,
// criterion removal and timers, restart, and the reports. Congestion is in congestion.cpp, the
// parameter table and the timestamps in params.cpp, the deferred transmit and LIST packing in
// outbox.cpp.
namespace dfc::dtcp {
using namespace detail;

Server::Server(const config::DfcConfig& cfg, Hal& hal, fw::ClassifierDriver& cls)
    : Server(cfg, hal, cls, Options{}) {}

Server::Server(const config::DfcConfig& cfg, Hal& hal, fw::ClassifierDriver& cls, Options opt)
    : cfg_(cfg), hal_(hal), cls_(cls), opt_(opt) {
  next_id_ = opt_.first_criteria_id ? opt_.first_criteria_id : 1;
  // The packet path reads by_rule_ without the lock (a sequence-lock attempt): it must never
  // rehash under a reader, so its buckets are made once for as many rules as the classifier
  // can hold (every rule takes at least one entry).
  // (Made with that bucket count rather than reserve(), whose load-factor arithmetic needs
  // the floating-point library the image does not link.)
  by_rule_ = decltype(by_rule_)(cls_.depth());
  for (const auto& g : cfg_.capture_groups) {
    const auto gi = static_cast<uint32_t>(&g - cfg_.capture_groups.data());
    for (const auto& c : g.control_sources) {
      auto s = std::make_unique<CsState>();
      s->group = &g;
      s->group_index = gi;
      s->cfg = &c;
      s->key = HmacKey(c.shared_key);
      s->key.use_engine(&hal_);  // the card's security engine, when it has one
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

bool Server::authorized(const CsState& cs, const Packet& p) {
  if (p.dst_port != cs.cfg->service_port) return false;
  const auto& srcs = cs.cfg->source_addresses;
  if (srcs.empty()) return true;
  for (const auto& a : srcs)
    if (config::same_ip_address(a, p.src_ip)) return true;
  return false;
}

Server::CdState* Server::cdest(const CsState& cs, std::string_view id) const {
  // Unknown, or not in the source's allowed-destinations: both 430 (existence not revealed).
  const auto& allowed = cs.cfg->allowed_destinations;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), id) == allowed.end()) return nullptr;
  for (auto& d : cd_)
    if (d->group == cs.group && d->cfg->id == id) return d.get();
  return nullptr;
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
  append_timestamp(b.open_line("Timestamp"), hal_.now_ns());
  b.end_line();
  const std::string text = b.take();
  for (const auto& t : cs.cfg->notification_targets) {
    ++counters_.notifications_sent;
    transmit_to(t.address, t.port, cs.cfg->service_port, text, cs.key);
  }
}

// ---------------------------------------------------------------------------------------------
void Server::on_datagram(const Packet& p) { on_admitted(p, admit(p)); }

// Reads the configuration's sources and keys (made with the server, never written again) and
// the datagram; writes nothing shared (docs/firmware-concurrency.md §4 rule 11).
Server::Admission Server::admit(const Packet& p) const {
  hal_.work(Hal::Work::ControlOp);
  hal_.work(Hal::Work::ControlByte, p.length());
  Admission a;
  const std::string_view bytes(reinterpret_cast<const char*>(p.bytes()), p.length());
  a.m.emplace();
  if (!parse_message(bytes, *a.m)) a.m.reset();
  if (!a.m || a.m->is_status) return a;  // NotDtcp
  // 1. Known control source (by Csource-ID), and 2. the DFC PIC's address rules
  // (service-port, source-addresses compared as addresses, not as text). The same id may be
  // configured in several capture groups (distinguishable by port and address, validated):
  // the request belongs to the one whose rules it satisfies; if none does, it is counted as
  // unauthorized against the first of that name.
  const Param* csp = a.m->find("Csource-ID");
  std::optional<std::string> csid = csp ? unescape(csp->value) : std::nullopt;
  CsState* named = nullptr;
  if (csid)
    for (const auto& s : cs_) {
      if (s->cfg->id != *csid) continue;
      if (!named) named = s.get();
      if (!a.cs && authorized(*s, p)) a.cs = s.get();
    }
  if (!named) {
    a.outcome = Admission::Outcome::UnknownSource;
  } else if (!a.cs) {
    a.outcome = Admission::Outcome::Unauthorized;
    a.cs = named;
  } else {
    // 3. Authentication over the raw bytes before Authentication-Info.
    a.outcome = verify(*a.m, bytes, a.cs->key) ? Admission::Outcome::Admitted : Admission::Outcome::BadAuthentication;
    if (a.outcome == Admission::Outcome::Admitted) prepare(a);
  }
  return a;
}

Server::Admission::Admission() = default;
Server::Admission::~Admission() = default;
Server::Admission::Admission(Admission&&) noexcept = default;
Server::Admission& Server::Admission::operator=(Admission&&) noexcept = default;

// 5. The request's checks, and an ADD's parameters and match terms: they read the message and
// the configuration only, so they too run before the lock (rule 11). Wasted on a request the
// sequence window then drops, which is rare; nothing is counted here.
void Server::prepare(Admission& a) const {
  auto pr = std::make_unique<Admission::Prepared>();
  const Message& m = *a.m;
  pr->md = method_def(m.method);
  pr->check = check_request(m, pr->md, pr->v);
  if (pr->check.status == code::OK && pr->md->handler == &Server::do_add) {
    pr->add.emplace();
    pr->add_status = parse_add(m, pr->v, *a.cs, *pr->add, pr->add_err);
  }
  a.prep = std::move(pr);
}

void Server::on_admitted(const Packet& p, const Admission& a, Deferred* later) {
  ++counters_.control_packets;
  CsState* cs = a.cs;
  switch (a.outcome) {
    case Admission::Outcome::NotDtcp: ++counters_.not_dtcp; return;
    case Admission::Outcome::UnknownSource: ++counters_.unknown_control_source; return;
    case Admission::Outcome::Unauthorized:
      ++counters_.unauthorized_control_source;
      ++cs->c.unauthorized_source;
      return;
    case Admission::Outcome::BadAuthentication:
      ++counters_.bad_authentication;
      ++cs->c.response_invalid_authentication;
      return;
    case Admission::Outcome::Admitted: break;
  }
  const Message& m = *a.m;
  // 4. Sequence window.
  const Param* seqp = m.find("Seq");
  std::optional<uint64_t> seq = seqp ? parse_u64(seqp->value) : std::nullopt;
  SeqWindow::Result sr = seq ? cs->seq.check_and_record(*seq) : SeqWindow::Result::Stale;
  if (!SeqWindow::accepted(sr)) {
    ++counters_.bad_sequence;
    ++cs->c.response_invalid_sequence_number;
    return;
  }
  if (!p.dst_ip.empty()) control_addr_ = p.dst_ip;
  if (m.version && !(*m.version < kLowestVersion) && !(kHighestVersion < *m.version))
    cs->notif_version = *m.version;
  if (sr == SeqWindow::Result::AcceptedRollover) notify(*cs, code::Rollover, {});
  handle(*cs, p, m, *seq, later, *a.prep);
}

// The method table: per request method, the parameters it may carry, its counters, its handler
// and whether its handler signs its reply packets itself. nullptr: a method DTCP does not have.
const Server::MethodDef* Server::method_def(std::string_view method) {
  using C = ControlSourceCounters;
  static const MethodDef kMethods[] = {
      {"ADD", M_ADD, &C::add_requests, &C::criteria_addition_failed, nullptr, &Server::do_add, false},
      {"DELETE", M_DEL, &C::delete_requests, &C::criteria_deletion_failed, nullptr, &Server::do_delete, false},
      {"REFRESH", M_REF, &C::refresh_requests, &C::criteria_refresh_failed, nullptr, &Server::do_refresh, false},
      {"LIST", M_LIST, &C::list_requests, &C::list_failed, &C::list_success, &Server::do_list, true},
      {"NOOP", M_NOOP, &C::noop_requests, &C::noop_failed, &C::noop_success, &Server::do_noop, false},
  };
  for (const MethodDef& md : kMethods)  // methods are case-insensitive
    if (md.name.size() == method.size() && iequals(method, md.name)) return &md;
  return nullptr;
}

void Server::handle(CsState& cs, const Packet& p, const Message& m, uint64_t seq, Deferred* later,
                    Admission::Prepared& prep) {
  ++cs.c.requests;
  // The checks were made before the lock (prepare): their outcome is used here.
  const MethodDef* md = prep.md;
  ++(cs.c.*(md ? md->requests : &ControlSourceCounters::other_requests));
  Request rq{cs, p, m, prep.v, seq, {}, false, &prep};
  Reply r = std::move(prep.check);
  if (r.status == code::OK) r = (this->*md->handler)(rq);  // passed: md is a known method
  count_reply(cs, md, r.status);
  const bool ok = r.status == code::OK;
  ++counters_.replies_sent;
  if (ok && md->own_packets) {
    ListJob& job = *rq.list;
    job.to_ip = p.src_ip, job.to_port = p.src_port, job.from_port = p.dst_port;
    if (later) {
      later->list = std::move(rq.list);  // packed and queued by the caller, after the lock
    } else {
      format_list(job);
      queue_list(job);
    }
  } else {
    send_reply(cs, p, rq.v, r, seq);
  }
  if (ok && rq.send_async) notify(cs, code::NoOp, {});
  rearm();
}

// What every request passes before its handler runs, in the order failures are reported: the
// request line, the version (which also picks the reply's version, rq.v), malformed lines, the
// method, and every parameter known and allowed with it. A 200 Reply when all pass.
Server::Reply Server::check_request(const Message& m, const MethodDef* md, Version& v) const {
  if (!m.first_line_ok || !m.version) return Reply::error(code::BadRequest, {{"X-Request-Line", m.first_line}});
  if (*m.version < kLowestVersion || kHighestVersion < *m.version) {
    v = *m.version < kLowestVersion ? kLowestVersion : kHighestVersion;  // the nearest we speak
    return Reply::error(code::VersionNotSupported, {{"X-Request-Line", m.first_line}});
  }
  v = *m.version;
  if (!m.bad_lines.empty()) return Reply::error(code::BadRequest, {{"X-Request-Line", m.bad_lines.front()}});
  if (!md) return Reply::error(code::NotImplemented, {{"X-Not-Implemented", m.method}});
  for (const Param& prm : m.params) {
    if (is_x_param(prm.name)) continue;  // unrecognised X- parameters are silently discarded
    const ParamDef* d = param_def(prm.name);
    if (!d) return Reply::error(code::NotImplemented, {{prm.name, prm.value}});
    if ((d->methods & md->bit) == 0) return Reply::error(code::BadRequest, {{std::string(d->name), prm.value}});
  }
  return Reply{};
}

// The source's counters of one answered request: per method, then per status.
void Server::count_reply(CsState& cs, const MethodDef* md, int status) {
  const bool ok = status == code::OK;
  if (md && !ok) ++(cs.c.*md->failed);
  if (md && ok && md->succeeded) ++(cs.c.*md->succeeded);
  switch (status) {
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
}

void Server::send_reply(CsState& cs, const Packet& req, Version v, const Reply& r, uint64_t seq) {
  auto b = MessageBuilder::status(v, r.status, reason_phrase(r.status));
  for (const auto& [n, val] : r.params) b.add(n, val);
  append_timestamp(b.open_line("Timestamp"), hal_.now_ns());
  b.end_line();
  b.add("Seq", seq);
  ++counters_.reply_packets_sent;
  // Reply mirrors the request's 4-tuple.
  Packet out;
  const std::string text = b.take();
  const auto* d = reinterpret_cast<const uint8_t*>(text.data());
  out.unit = Unit::Control;
  out.data.reserve(text.size() + kSignatureBytes);  // signed in place when sent
  out.data.assign(d, d + text.size());
  out.src_ip = req.dst_ip;
  out.src_port = req.dst_port;
  out.dst_ip = req.src_ip;
  out.dst_port = req.src_port;
  send_out(std::move(out), cs.key);
}

// ---------------------------------------------------------------------------------------------

void Server::remove(uint32_t id, DeleteReason why, bool notify_timeout) {
  auto it = criteria_.find(id);
  if (it == criteria_.end()) return;
  std::unique_ptr<Criterion> c = std::move(it->second);
  {
    // The rule and its criterion disappear together for lock-free readers (rule 2 of
    // docs/firmware-concurrency.md). Freeing the record later is safe: readers hold a
    // CriterionView only between two HAL calls, and their counter check discards it.
    fw::ClassifierDriver::Update u(cls_);
    criteria_.erase(it);
    cls_.remove(c->rule);
    version_.fetch_add(1, std::memory_order_release);
    by_rule_.erase(c->rule);
  }
  CsState& cs = *cs_[c->cs];
  cs.criteria.erase(id);
  cs.entries -= c->entries;
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
    auto add = [&](const char* name, uint64_t value) { ps.emplace_back(name, std::to_string(value)); };
    c->timeouts(add);
    c->remaining(now, add);
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

void Server::push_deadline(const Criterion& c) {
  if (auto d = deadline(c)) deadlines_.emplace(*d, c.id);
}

void Server::rearm() {
  uint64_t next = ~0ull;
  size_t looked = 0;
  while (!deadlines_.empty()) {
    const auto [d, id] = deadlines_.top();
    ++looked;
    const auto it = criteria_.find(id);
    const std::optional<uint64_t> cur = it == criteria_.end() ? std::nullopt : deadline(*it->second);
    if (cur && *cur == d) {
      next = d;
      break;
    }
    deadlines_.pop();
    if (cur && *cur > d) deadlines_.emplace(*cur, id);  // idle pushed back by hits
  }
  hal_.work(Hal::Work::CriterionScan, looked);
  if (next != ~0ull && next != armed_at_) hal_.arm_timer(next);
  armed_at_ = next;
}

void Server::on_timer() {
  const uint64_t now = hal_.now_ns();
  // The criteria whose heap entry is due, in id order (as a scan of the table would find them).
  std::vector<uint32_t> due;
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    due.push_back(deadlines_.top().second);
    deadlines_.pop();
  }
  std::sort(due.begin(), due.end());
  due.erase(std::unique(due.begin(), due.end()), due.end());
  hal_.work(Hal::Work::CriterionScan, due.size());
  std::vector<std::pair<uint32_t, DeleteReason>> expired;
  for (const uint32_t id : due) {
    const auto it = criteria_.find(id);
    if (it == criteria_.end()) continue;
    const Criterion* c = it->second.get();
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
    } else {
      push_deadline(*c);  // pushed back by hits since it was queued
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

void Server::announce_restart(std::string_view alert_info) {
  for (auto& cs : cs_) notify(*cs, code::Restart, {{"Alert-Info", std::string(alert_info)}});
}

void Server::restart(std::string_view alert_info) {
  // Every criterion is lost (classifier rules too); nothing is told per criterion: the 599
  // says it all. The Seq windows are the persistent state of reference §1.7 and survive;
  // counters survive too (they are the simulator's report, not card state a client sees).
  {
    fw::ClassifierDriver::Update u(cls_);  // all rules and criteria go at once for readers
    for (auto& [id, c] : criteria_) cls_.remove(c->rule);
    criteria_.clear();
    by_rule_.clear();
  }
  deadlines_ = {};
  for (auto& cs : cs_) cs->criteria.clear(), cs->entries = 0;
  for (auto& cd : cd_) {
    cd->criteria = 0;
    cd->rate = RateWindow{};
    cd->soft_congested = false;
  }
  version_.fetch_add(1, std::memory_order_release);
  ++restarts_;
  announce_restart(alert_info);
  rearm();
}

void Server::reset_sequence(std::string_view csource_id) {
  for (auto& s : cs_)
    if (s->cfg->id == csource_id) s->seq.reset();
}

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
