// The request handlers: ADD, DELETE, REFRESH, LIST and NOOP, with the one target selection
// DELETE, REFRESH and LIST share, Criteria-ID allocation and the per-source share of the table.
#include "server_internal.hpp"

#include <algorithm>
#include <iterator>

#include "dfc/dtcp/criteria.hpp"
#include "dfc/dtcp/hmac.hpp"

namespace dfc::dtcp {
using namespace detail;

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
  auto cdl = util::split(cdp->value);
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
  hal_.work(Hal::Work::CriterionScan, tr.terms.size());
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
  push_deadline(*c);
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
    push_deadline(c);
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
  hal_.work(Hal::Work::CriterionScan, cs.criteria.size());
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

}  // namespace dfc::dtcp
