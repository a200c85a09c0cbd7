// The request handlers: ADD, DELETE, REFRESH, LIST and NOOP, with the one target selection
// DELETE, REFRESH and LIST share, Criteria-ID allocation and the per-source share of the table.
#include "server_internal.hpp"

#include <algorithm>
#include <iterator>

#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"

namespace dfc::dtcp {
using namespace detail;

namespace {

// ADD's Flags, Priority and Action. 0, or the status with err filled.
int parse_add_options(const Message& m, unsigned& flags, uint64_t& priority, Params& err) {
  if (const Param* f = m.find("Flags")) {
    auto fl = parse_flags(f->value, F_STATIC | F_SENDASYNC);
    if (!fl) return fail_with(err, code::BadRequest, {{"Flags", f->value}});
    flags = *fl;
  }
  if (const Param* pr = m.find("Priority")) {
    auto pv = parse_u64(pr->value);
    if (!pv || pr->value.size() > 3 || *pv < 1 || *pv > 255) return fail_with(err, code::BadRequest, {{"Priority", pr->value}});
    priority = *pv;
  }
  if (const Param* a = m.find("Action")) {
    if (!iequals(a->value, "Copy")) return fail_with(err, code::NotImplemented, {{"Action", a->value}});
  }
  return 0;
}

// ADD's Cdest-ID: a single one (lists are 501 in 0.7, 400 in 0.6), unescaped into id.
int parse_add_cdest(const Param& cdp, Version v, std::string& id, Params& err) {
  auto cdl = util::split(cdp.value);
  if (cdl.size() != 1) {
    err = {{"Cdest-ID", cdp.value}};
    return v < kHighestVersion ? code::BadRequest : code::NotImplemented;
  }
  auto cdid = unescape(cdl[0]);
  if (!cdid || cdid->empty() || has_ws(cdl[0])) {
    err = {{"Cdest-ID", cdp.value}};
    return code::BadRequest;
  }
  id = std::move(*cdid);
  return 0;
}

// ADD's filter parameters into spec; filters keeps them as given. 0, or the status with err.
int parse_add_filters(const Message& m, Version v, CriteriaSpec& spec, Params& filters, Params& err) {
  const bool v6 = !(v < kHighestVersion);
  // Names as views: each is looked up, echoed or kept, and a char pointer would be measured
  // (strlen) every time.
  struct AddrField {
    std::string_view name;
    std::vector<AddrEntry> CriteriaSpec::*f;
  };
  for (const AddrField& af : {AddrField{"Source-Address", &CriteriaSpec::src}, AddrField{"Dest-Address", &CriteriaSpec::dst}}) {
    const Param* fp = m.find(af.name);
    if (!fp) continue;
    std::string e;
    auto entries = parse_ip_filter(fp->value, v6, &e);
    if (!entries) {
      err = {{std::string(af.name), fp->value}, {"X-Error-Info", e}};
      return code::ImproperFilter;
    }
    spec.*(af.f) = std::move(*entries);
    filters.emplace_back(af.name, fp->value);
  }
  struct IntField {
    std::string_view name;
    std::vector<IntEntry> CriteriaSpec::*f;
    uint64_t max;
  };
  for (const IntField& fld : {IntField{"Protocol", &CriteriaSpec::proto, 255}, IntField{"Source-Port", &CriteriaSpec::sport, 65535},
                              IntField{"Dest-Port", &CriteriaSpec::dport, 65535}, IntField{"ICMP-Type", &CriteriaSpec::icmp_type, 255},
                              IntField{"ICMP-Code", &CriteriaSpec::icmp_code, 255}}) {
    const Param* fp = m.find(fld.name);
    if (!fp) continue;
    std::string e;
    auto entries = parse_int_filter(fp->value, fld.max, &e);
    if (!entries) {
      err = {{std::string(fld.name), fp->value}, {"X-Error-Info", e}};
      return code::ImproperFilter;
    }
    spec.*(fld.f) = std::move(*entries);
    filters.emplace_back(fld.name, fp->value);
  }
  return 0;
}

// ADD's Timeout-* parameters: a dynamic (not Static) criterion needs at least one.
int parse_add_timeouts(const Message& m, bool is_static, Timeouts& t, Params& err) {
  if (!parse_timeouts(m, t, err)) return code::ImproperTimeout;
  const bool any_timeout = t.idle.value_or(0) || t.total.value_or(0) || t.packets.value_or(0) || t.bytes.value_or(0);
  if (!is_static && !any_timeout) {
    err = timeout_echo(m);
    return code::ImproperTimeout;
  }
  return 0;
}

}  // namespace

// The checks in the order their failures are reported: Cdest-ID present, Flags, Priority,
// Action, the destination, the filters and the terms they make, the timeouts.
int Server::parse_add(const Message& m, Version v, const CsState& cs, AddRequest& a, Params& err) const {
  const Param* cdp = m.find("Cdest-ID");
  if (!cdp) {
    err = {{"X-Missing-Parameter", "Cdest-ID"}};
    return code::BadRequest;
  }
  if (int s = parse_add_options(m, a.flags, a.priority, err)) return s;
  std::string cdid;
  if (int s = parse_add_cdest(*cdp, v, cdid, err)) return s;
  a.cd = cdest(cs, cdid);
  if (!a.cd) {
    err = {{"Cdest-ID", cdp->value}};
    return code::UnknownCdest;
  }
  CriteriaSpec spec;
  if (int s = parse_add_filters(m, v, spec, a.filters, err)) return s;
  a.terms = build_terms(spec, opt_.max_terms_per_criterion);
  if (!a.terms.error.empty() && !a.terms.too_many) {  // too many terms: a capacity failure, later
    err.clear();
    if (const Param* fp = m.find(a.terms.error_field)) err.emplace_back(a.terms.error_field, fp->value);
    err.emplace_back("X-Error-Info", a.terms.error);
    return code::ImproperFilter;
  }
  return parse_add_timeouts(m, a.flags & F_STATIC, a.timeouts, err);
}

// Capacity (the terms, the criteria limit, this source's share of the table) and the install
// into the classifier: a.rule, or the status with err filled and nothing installed.
int Server::install_rule(CsState& cs, Version v, AddRequest& a, Params& err) {
  const int full_code = v < kHighestVersion ? code::InternalError : code::MaxCriteria;  // 550 is C02+
  if (a.terms.too_many) return fail_with(err, full_code, {{"X-Error-Info", a.terms.error}});
  if (opt_.max_criteria && criteria_.size() >= opt_.max_criteria)
    return fail_with(err, full_code, {{"X-Error-Info", "criteria limit reached"}});
  a.total_prio = static_cast<uint32_t>(a.priority) + cs.cfg->minimum_priority;
  hal_.work(Hal::Work::CriterionScan, a.terms.terms.size());
  if (!within_share(cs, 1, 0)) return fail_with(err, full_code, {{"X-Error-Info", "this control source's share of the criteria table is used up"}});
  std::optional<fw::RuleId> rule = cls_.install(a.terms.terms, a.total_prio);
  if (!rule) return fail_with(err, full_code, {{"X-Error-Info", "classifier table full"}});
  if (!within_share(cs, 1, cls_.entries_used(*rule))) {
    cls_.remove(*rule);
    return fail_with(err, full_code, {{"X-Error-Info", "this control source's share of the criteria table is used up"}});
  }
  version_.fetch_add(1, std::memory_order_release);
  a.rule = *rule;
  return 0;
}

// The criterion of an installed rule: into the store, its owner's and its destination's
// counts, the deadline heap. Returns its Criteria-ID.
uint32_t Server::keep_criterion(Request& rq, AddRequest& a) {
  CsState& cs = rq.cs;
  auto c = std::make_unique<Criterion>();
  const uint64_t now = hal_.now_ns();
  c->id = allocate_id();
  c->cs = static_cast<size_t>(std::find_if(cs_.begin(), cs_.end(), [&](const auto& x) { return x.get() == &cs; }) - cs_.begin());
  c->cd = static_cast<size_t>(std::find_if(cd_.begin(), cd_.end(), [&](const auto& x) { return x.get() == a.cd; }) - cd_.begin());
  c->rule = a.rule;
  c->terms = a.terms.terms.size();
  c->entries = cls_.entries_used(a.rule);
  cs.entries += c->entries;
  c->view = fw::CriterionView{c->id, cs.cfg->id, a.cd->cfg->id, a.total_prio, next_added_seq_++, cs.group_index};
  c->is_static = a.flags & F_STATIC;
  c->send_async = a.flags & F_SENDASYNC;
  c->t_idle = a.timeouts.idle.value_or(0);
  c->t_total = a.timeouts.total.value_or(0);
  c->t_packets = a.timeouts.packets.value_or(0);
  c->t_bytes = a.timeouts.bytes.value_or(0);
  c->added_ns = c->total_base_ns = c->idle_base_ns = now;
  c->csource_address = rq.packet.src_ip;
  c->filters = std::move(a.filters);
  const uint32_t id = c->id;
  by_rule_[a.rule] = c.get();
  push_deadline(*c);
  criteria_[id] = std::move(c);
  cs.criteria.insert(id);
  ++a.cd->criteria;
  ++cs.c.criteria_added;
  cs.count_add(now);
  return id;
}

Server::Reply Server::do_add(Request& rq) {
  Reply r;
  // Parsed before the lock, with the checks (Server::prepare).
  Admission::Prepared& pr = *rq.prep;
  AddRequest& a = *pr.add;
  if (pr.add_status) {
    r.params = std::move(pr.add_err);
    r.status = pr.add_status;
    return r;
  }
  // The rule and its criterion appear together for the packet path's lock-free readers
  // (docs/firmware-concurrency.md, rule 2): one bracket over both.
  fw::ClassifierDriver::Update u(cls_);
  if (int s = install_rule(rq.cs, rq.v, a, r.params)) {
    r.status = s;
    return r;
  }
  r.params = {{"Criteria-ID", std::to_string(keep_criterion(rq, a))}};
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
    // A single id must exist; a range, even of one id (`2-2`), selects what exists in it
    // (dtcp.md: "for ranges, whatever exists in the inclusive range"; docs/dtcp-conformance.md).
    if (!ie.wildcard && !ie.range) {
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
int Server::select_targets(const CsState& cs, const Message& m, Version v, std::vector<uint32_t>& ids, Params& err) {
  ids.assign(cs.criteria.begin(), cs.criteria.end());
  if (const Param* cdp = m.find("Cdest-ID")) {
    const auto list = util::split(cdp->value);
    if (list.size() != 1 && v < kHighestVersion) {
      err = {{"Cdest-ID", cdp->value}, {"X-Error-Info", "DTCP/0.6 takes a single Cdest-ID"}};
      return code::BadRequest;
    }
    std::vector<size_t> cds;
    for (std::string_view raw : list) {
      auto id = unescape(raw);
      CdState* cd = id ? cdest(cs, *id) : nullptr;
      if (!cd) {
        err = {{"Cdest-ID", std::string(raw)}};
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

Server::Reply Server::do_delete(Request& rq) {
  const Message& m = rq.m;
  Reply r;
  unsigned flags = 0;
  if (const Param* f = m.find("Flags")) {
    auto fl = parse_flags(f->value, F_STATIC);
    if (!fl) return Reply::error(code::BadRequest, {{"Flags", f->value}});
    flags = *fl;
  }
  const Param* idp = m.find("Criteria-ID");
  const Param* cdp = m.find("Cdest-ID");
  if (idp && cdp) return Reply::error(code::BadRequest, {{"Cdest-ID", cdp->value}, {"X-Error-Info", "exactly one of Criteria-ID and Cdest-ID"}});
  if (!idp && !cdp) return Reply::error(code::BadRequest, {{"X-Missing-Parameter", "Criteria-ID or Cdest-ID"}});
  std::vector<uint32_t> ids;
  Params err;
  if (int s = select_targets(rq.cs, m, rq.v, ids, err)) return Reply::error(s, err);
  uint64_t n = 0;
  for (uint32_t id : ids) {
    if (criteria_.at(id)->is_static && !(flags & F_STATIC)) continue;  // not an error
    remove(id, DeleteReason::Explicit, false);
    ++n;
  }
  r.params = {{"Criteria-Count", std::to_string(n)}};
  return r;
}

Server::Reply Server::do_refresh(Request& rq) {
  CsState& cs = rq.cs;
  const Message& m = rq.m;
  Reply r;
  const Param* idp = m.find("Criteria-ID");
  const Param* cdp = m.find("Cdest-ID");
  if (idp && cdp) return Reply::error(code::BadRequest, {{"Cdest-ID", cdp->value}, {"X-Error-Info", "exactly one of Criteria-ID and Cdest-ID"}});
  if (!idp && !cdp) return Reply::error(code::BadRequest, {{"X-Missing-Parameter", "Criteria-ID or Cdest-ID"}});
  Timeouts t;
  Params terr;
  if (!parse_timeouts(m, t, terr)) return Reply::error(code::ImproperTimeout, terr);
  if (!t.any()) return Reply::error(code::ImproperTimeout, timeout_echo(m));
  std::vector<uint32_t> ids;
  Params err;
  if (int s = select_targets(cs, m, rq.v, ids, err)) return Reply::error(s, err);
  // All-or-nothing: a refresh that would leave a dynamic criterion without any timeout fails.
  for (uint32_t id : ids) {
    const Criterion& c = *criteria_.at(id);
    const uint64_t i = t.idle ? *t.idle : c.t_idle, to = t.total ? *t.total : c.t_total,
                   pk = t.packets ? *t.packets : c.t_packets, by = t.bytes ? *t.bytes : c.t_bytes;
    if (!c.is_static && !i && !to && !pk && !by) {
      Params e = timeout_echo(m);
      e.emplace_back("Criteria-ID", std::to_string(id));
      return Reply::error(code::ImproperTimeout, e);
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
    push_deadline(c);
  }
  r.params = {{"Criteria-Count", std::to_string(ids.size())}};
  return r;
}

Server::Reply Server::do_list(Request& rq) {
  const CsState& cs = rq.cs;
  const Message& m = rq.m;
  const Version v = rq.v;
  Reply r;
  unsigned flags = F_CRITERIA;  // default when Flags is absent
  if (const Param* f = m.find("Flags")) {
    auto fl = parse_flags(f->value, F_STATS | F_CRITERIA | F_BOTH);
    if (!fl) return Reply::error(code::BadRequest, {{"Flags", f->value}});
    flags = *fl;
  }
  const bool want_crit = flags & (F_CRITERIA | F_BOTH);
  const bool want_stats = flags & (F_STATS | F_BOTH);
  std::vector<uint32_t> ids;
  Params err;
  if (int s = select_targets(cs, m, v, ids, err)) return Reply::error(s, err);
  // Atomic snapshot: the entries are copied here, under the criteria lock, and packed from the
  // copy after it (format_list).
  hal_.work(Hal::Work::CriterionScan, cs.criteria.size());
  rq.list = std::make_unique<ListJob>();
  ListJob& job = *rq.list;
  job.cs = &cs;
  job.v = v;
  job.seq = rq.seq;
  job.now = hal_.now_ns();
  job.want_crit = want_crit;
  job.want_stats = want_stats;
  const uint64_t now_s = job.now / kNsPerSec;
  job.rows.resize(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const Criterion& c = *criteria_.at(ids[i]);
    ListJob::Row& row = job.rows[i];
    row.id = c.id;
    row.cd = c.cd;
    row.added_ns = c.added_ns;
    row.last_refresh_ns = c.refreshed ? c.last_refresh_ns : c.added_ns;
    row.is_static = c.is_static;
    row.send_async = c.send_async;
    row.csource_address = c.csource_address;
    if (want_crit) {
      row.filters = c.filters;
      c.timeouts([&row](const char* n, uint64_t val) { row.timeouts[row.n_timeouts++] = {n, val}; });
    }
    if (want_stats) {
      c.remaining(job.now, [&row](const char* n, uint64_t val) { row.remaining[row.n_remaining++] = {n, val}; });
      row.bps = c.rate.bps(now_s);
      row.matching_packets = c.matching_packets;
      row.matching_bytes = c.matching_bytes;
      row.num_refresh = c.num_refresh;
    }
  }
  return r;
}

// Reads the job and the configuration (ids of the source and the destinations) only: runs
// without the criteria lock. Packs rows[next, next + max_entries); true when the answer is
// whole (job.packets).
bool Server::pack_list(ListJob& job, size_t max_entries) const {
  if (!job.packer) {
    std::string head;
    job.v.append_to(head);
    head += " 200 ";
    head += reason_phrase(code::OK);
    head += "\r\n";
    std::string tail = "Timestamp: ";
    append_timestamp(tail, job.now);
    tail += "\r\nSeq: ";
    append_decimal(tail, job.seq);
    tail += "\r\n";
    job.packer.emplace(std::move(head), std::move(tail), opt_.max_reply_payload);
    // What every entry repeats, formatted once.
    job.csource_id = escape(job.cs->cfg->id);
    if (!job.rows.empty())
      for (const auto& cd : cd_) job.cdest_ids.push_back(escape(cd->cfg->id));
  }
  detail::ReplyPacker& out = *job.packer;
  const uint64_t total = job.rows.size();
  char ts[kTimestampMax];
  const size_t end = job.next + std::min<size_t>(max_entries, job.rows.size() - job.next);
  for (; job.next < end; ++job.next) {
    const ListJob::Row& c = job.rows[job.next];
    out.begin_entry();
    out.put_line("Criteria-Count", total);
    out.put_line("Criteria-Num", job.next + 1);
    out.put_line("Csource-ID", job.csource_id);
    out.put_line("Csource-Address", c.csource_address.empty() ? std::string_view("0.0.0.0") : std::string_view(c.csource_address));
    out.put_line("Cdest-ID", job.cdest_ids[c.cd]);
    out.put_line("Criteria-ID", c.id);
    out.put_line("Timestamp", std::string_view(ts, format_timestamp(ts, c.added_ns)));
    if (job.want_crit) {
      for (const auto& [n, val] : c.filters) out.put_line(n, val);
      for (uint8_t i = 0; i < c.n_timeouts; ++i) out.put_line(c.timeouts[i].first, c.timeouts[i].second);
      if (c.is_static || c.send_async)
        out.put_line("Flags", c.is_static && c.send_async ? "Static,SendAsync" : c.is_static ? "Static" : "SendAsync");
    }
    if (job.want_stats) {
      for (uint8_t i = 0; i < c.n_remaining; ++i) out.put_line(c.remaining[i].first, c.remaining[i].second);
      out.put_line("Average-Bandwidth", c.bps);
      out.put_line("Matching-Packets", c.matching_packets);
      out.put_line("Matching-Bytes", c.matching_bytes);
      out.put_line("Num-Refresh", c.num_refresh);
      out.put_line("Last-Refresh", std::string_view(ts, format_timestamp(ts, c.last_refresh_ns)));
    }
    out.end_entry();
  }
  if (job.next < job.rows.size()) return false;
  job.packets = out.finish();
  job.packer.reset();
  return true;
}

Server::Reply Server::do_noop(Request& rq) {
  Reply r;
  if (const Param* f = rq.m.find("Flags")) {
    auto fl = parse_flags(f->value, F_SENDASYNC);
    if (!fl) {
      r.status = code::BadRequest;
      r.params = {{"Flags", f->value}};
      return r;
    }
    rq.send_async = *fl & F_SENDASYNC;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------

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
  // A running sum: summing the source's rules here cost ~70 k instructions per ADD on the
  // card image with 470 criteria (iss.functions_per_path, table-full-ms3.json on ms400).
  return (cs.entries + more_entries) * 100 <= cls_.depth() * pct;
}

}  // namespace dfc::dtcp
