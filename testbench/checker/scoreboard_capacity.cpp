// The scoreboard's criteria-capacity predictor: whether the card can hold a well-formed ADD or
// must answer 550 (500 in DTCP/0.6), from the reference's own criteria in force and the
// configured limits (docs/scoreboard.md "Answers", dtcp-conformance §6 and §13.7):
//   * the filter's terms: the cross product of each field's positive entries (protocols that
//     cannot carry the ports or ICMP fields asked for left out), at most
//     max_terms_per_criterion, exclusion terms (one or two per negated entry) included;
//   * max_criteria criteria in force (when set);
//   * the classifier's classifier_depth entries: those of every criterion in force plus the new
//     one's must fit;
//   * with more than one control source configured, the source's own entries (and criteria,
//     when max_criteria is set) at most max_source_share_percent of the table.
// A term takes at least one entry; a term whose every field is one prefix (a single value, a
// prefix or `*`) takes exactly one. Other encodings (address/port ranges, negations) have no
// upper bound here, and a criterion that may expire or be deleted between the request and the
// reply counts as possibly gone: what those leave open is 200 or 550, said in the coverage.
// No firmware code.
#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

namespace {

constexpr uint64_t kNoBound = Entries::kNoBound;

uint64_t sat_add(uint64_t a, uint64_t b) { return a > kNoBound - b ? kNoBound : a + b; }
uint64_t sat_mul(uint64_t a, uint64_t b) { return a && b > kNoBound / a ? kNoBound : a * b; }

// The positive entries of a field; absent, or only negations: one choice (the whole field).
template <class E>
std::vector<const E*> positives(const std::optional<std::vector<E>>& l) {
  std::vector<const E*> out;
  if (l)
    for (const auto& e : *l)
      if (!e.neg) out.push_back(&e);
  if (out.empty()) out.push_back(nullptr);
  return out;
}

template <class E>
uint64_t negations(const std::optional<std::vector<E>>& l) {
  return l ? static_cast<uint64_t>(std::count_if(l->begin(), l->end(), [](const E& e) { return e.neg; })) : 0;
}

bool covers(const ref::IntEntry* e, std::initializer_list<uint64_t> ok) {
  if (!e || e->wildcard) return true;
  for (uint64_t p : ok)
    if (p >= e->lo && p <= e->hi) return true;
  return false;
}

// 0: either family (`*` or no entry), 1: IPv4, 2: IPv6.
int family(const ref::AddrEntry* e) { return !e || e->wildcard ? 0 : (e->v6 ? 2 : 1); }

// One ternary entry covers it: a single value, a prefix or the whole field.
bool one_prefix(const ref::AddrEntry* e) {
  return !e || e->form == ref::AddrEntry::Single || e->form == ref::AddrEntry::Prefix || e->wildcard;
}
bool one_prefix(const ref::IntEntry* e) { return !e || e->form == ref::IntEntry::Single || e->wildcard; }

template <class E>
bool all_one_prefix(const std::vector<const E*>& l) {
  return std::all_of(l.begin(), l.end(), [](const E* e) { return one_prefix(e); });
}

// The criterion's terms and classifier entries as the reference bounds them.
Entries entries_of(const ref::Filter& f) {
  const auto src = positives(f.src), dst = positives(f.dst);
  const auto sport = positives(f.sport), dport = positives(f.dport), itype = positives(f.itype),
             icode = positives(f.icode);
  const bool ports = f.sport.has_value() || f.dport.has_value(), icmp = f.itype.has_value() || f.icode.has_value();
  std::vector<const ref::IntEntry*> proto;
  for (const ref::IntEntry* p : positives(f.proto))
    if ((!ports || covers(p, {6, 17, 132})) && (!icmp || covers(p, {1, 58}))) proto.push_back(p);
  uint64_t others = 1;
  for (size_t n : {proto.size(), sport.size(), dport.size(), itype.size(), icode.size()}) others = sat_mul(others, n);
  uint64_t pairs = 0;  // source/destination pairs of one family (the others are dropped)
  for (const auto* a : src)
    for (const auto* b : dst) pairs += family(a) == 0 || family(b) == 0 || family(a) == family(b);
  const uint64_t negs = negations(f.src) + negations(f.dst) + negations(f.proto) + negations(f.sport) +
                        negations(f.dport) + negations(f.itype) + negations(f.icode);
  Entries e;
  e.terms = sat_mul(sat_mul(src.size(), dst.size()), others);
  e.terms_hi = sat_add(e.terms, sat_mul(2, negs));
  e.lo = sat_mul(pairs, others);
  const bool exact = negs == 0 && all_one_prefix(src) && all_one_prefix(dst) && all_one_prefix(proto) &&
                     all_one_prefix(sport) && all_one_prefix(dport) && all_one_prefix(itype) && all_one_prefix(icode);
  e.hi = exact ? e.lo : kNoBound;
  return e;
}

std::string n(uint64_t v) { return v == kNoBound ? std::string("unbounded") : std::to_string(v); }

}  // namespace

// long-function: one pass over the criteria in force, then each limit's certain and possible verdict.
Cap Scoreboard::Impl::predict_capacity(const Request& q, std::string& why) {
  const ref::Message& m = *q.msg;
  ref::Filter f;
  auto addr = [&](const char* k, std::optional<std::vector<ref::AddrEntry>>& out) {
    if (auto v = m.get(k)) out = ref::parse_addr_list(*v, nullptr);
  };
  auto num = [&](const char* k, uint64_t max, std::optional<std::vector<ref::IntEntry>>& out) {
    if (auto v = m.get(k)) out = ref::parse_int_list(*v, max, nullptr);
  };
  addr("source-address", f.src), addr("dest-address", f.dst);
  num("protocol", 255, f.proto), num("source-port", 65535, f.sport), num("dest-port", 65535, f.dport);
  num("icmp-type", 255, f.itype), num("icmp-code", 255, f.icode);
  const Entries e = entries_of(f);
  if (e.terms > cfg.max_terms_per_criterion) {
    why = "its filter needs " + n(e.terms) + " terms (limit " + std::to_string(cfg.max_terms_per_criterion) + ")";
    return Cap::Full;
  }
  if (!cfg.classifier_depth && !cfg.max_criteria) {  // nothing else is certain: spare the scan
    why = "classifier depth not told";
    return Cap::Unknown;
  }
  // The criteria in force when it arrived: definite ones count their least entries, those
  // that may be gone by the time the card handles it (ambiguous, or expiring before the reply)
  // count nothing at least and their most at most.
  uint64_t all_hi = 0, src_hi = 0, n_all = 0, s_all = 0;
  bool timing = false, uncounted = e.hi == kNoBound;
  for (size_t k = cap_scanned; k < crits.size(); ++k) cap_live.push_back(k);
  cap_scanned = crits.size();
  std::vector<size_t> still, present;  // present: in force (not ambiguous) at the arrival
  for (size_t ci : cap_live) {
    const Crit& c = crits[ci];
    const Presence pr = presence(c, q.t, true);
    if (pr.p == Pres::Absent) {
      if (!c.active) still.push_back(ci);  // not yet added: a later request's criterion
      continue;                            // else gone for good: arrivals only move forward
    }
    still.push_back(ci);
    if (cap_entries.size() <= ci) cap_entries.resize(crits.size());
    if (!cap_entries[ci]) cap_entries[ci] = entries_of(c.f);
    const Entries& ce = *cap_entries[ci];
    if (pr.p == Pres::Present) present.push_back(ci);
    timing = timing || pr.p != Pres::Present;
    uncounted = uncounted || ce.hi == kNoBound;
    all_hi = sat_add(all_hi, ce.hi), ++n_all;
    if (c.cs == q.cs) src_hi = sat_add(src_hi, ce.hi), ++s_all;
  }
  cap_live.swap(still);
  const size_t sources = cfg.control_sources ? cfg.control_sources : cfg.csources.size();
  const bool share = sources > 1 && cfg.max_source_share_percent > 0;
  const uint64_t pct = cfg.max_source_share_percent, depth = cfg.classifier_depth, maxc = cfg.max_criteria;
  auto over_share = [&](uint64_t used, uint64_t of) { return used == kNoBound || sat_mul(used, 100) > sat_mul(of, pct); };
  // Certainly full: even the least the table can hold is too much. Whether a criterion may
  // expire before the reply is asked only when it could matter (a limit is reached without it).
  auto full_reason = [&](bool expiry) {
    uint64_t all_lo = 0, src_lo = 0, n_def = 0, s_def = 0;
    for (size_t ci : present) {
      const Crit& c = crits[ci];
      if (expiry && may_expire_before_reply(c, q)) continue;
      all_lo = sat_add(all_lo, cap_entries[ci]->lo), ++n_def;
      if (c.cs == q.cs) src_lo = sat_add(src_lo, cap_entries[ci]->lo), ++s_def;
    }
    if (maxc && n_def >= maxc) return std::to_string(n_def) + " criteria in force (max-criteria " + n(maxc) + ")";
    if (share && maxc && over_share(s_def + 1, maxc))
      return q.cs + " holds " + std::to_string(s_def) + " criteria (share " + std::to_string(pct) + " % of " + n(maxc) + ")";
    if (depth && sat_add(all_lo, e.lo) > depth)
      return "the classifier needs at least " + n(sat_add(all_lo, e.lo)) + " of its " + n(depth) + " entries";
    if (share && depth && over_share(sat_add(src_lo, e.lo), depth))
      return q.cs + "'s entries would be at least " + n(sat_add(src_lo, e.lo)) + ", over its share (" +
             std::to_string(pct) + " % of " + n(depth) + ")";
    return std::string();
  };
  if (!full_reason(false).empty()) {
    if (std::string r = full_reason(true); !r.empty()) {
      why = r;
      return Cap::Full;
    }
    timing = true;  // full unless criteria expire before the reply
  }
  // Certainly held: even the most it may take fits every limit.
  std::vector<std::string> open;
  if (e.terms_hi > cfg.max_terms_per_criterion) open.push_back("its exclusion terms may pass the term limit");
  if (maxc && (n_all >= maxc || (share && over_share(s_all + 1, maxc)))) open.push_back("the criteria limit");
  if (depth && (sat_add(all_hi, e.hi) > depth || (share && over_share(sat_add(src_hi, e.hi), depth))))
    open.push_back("the classifier's entries");
  const std::string because = std::string(timing ? "criteria that may expire or be deleted before the reply" : "") +
                              (timing && uncounted ? ", " : "") +
                              (uncounted ? "entries the reference does not count exactly (ranges, negations)" : "");
  if (!depth) {
    why = open.empty() ? "classifier depth not told" : "capacity open: " + open.front() + " (classifier depth not told)";
    return open.empty() ? Cap::Unknown : Cap::Either;
  }
  if (open.empty()) {
    why = "fits (" + n(sat_add(all_hi, e.hi)) + " of " + n(depth) + " entries at most)";
    return Cap::Fits;
  }
  why = "capacity open: " + open.front() + (because.empty() ? "" : " (" + because + ")");
  return Cap::Either;
}

// Coverage: how each well-formed ADD's capacity was decided, and why the open ones were open.
void Scoreboard::Impl::capacity_coverage(json& out) const {
  out["classifier_depth"] = cfg.classifier_depth;
  const size_t sources = cfg.control_sources ? cfg.control_sources : cfg.csources.size();
  out["max_source_share_percent"] = sources > 1 ? cfg.max_source_share_percent : 0;
  out["max_criteria"] = cfg.max_criteria;
  out["max_terms_per_criterion"] = cfg.max_terms_per_criterion;
  static const char* const names[] = {"", "fits", "full", "either", "unknown_depth"};
  for (const char* k : {"fits", "full", "either", "unknown_depth"}) out[k] = 0;
  for (const Answer& a : answers) {
    if (!a.judged || a.cap == Cap::None) continue;
    out[names[static_cast<int>(a.cap)]] = out[names[static_cast<int>(a.cap)]].get<uint64_t>() + 1;
    if (a.cap == Cap::Either) {
      json& r = out["either_why"][a.cap_why];
      r = r.is_null() ? 1 : r.get<uint64_t>() + 1;
    }
  }
}

}  // namespace dfc::tb
