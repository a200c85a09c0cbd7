#include "dfc/dtcp/criteria.hpp"

#include <array>
#include <cstring>

namespace dfc::dtcp {
namespace {

using Family = fw::MatchTerm::Family;

using util::trim;

std::vector<std::string_view> split_commas(std::string_view v) { return util::split(v, ','); }

fw::Addr128 family_max(Family f) {
  if (f == Family::V4) return fw::Addr128{0, 0xffffffffull};
  return fw::Addr128{~0ull, ~0ull};
}

fw::AddrInterval full(Family f) { return fw::AddrInterval{fw::Addr128{}, family_max(f)}; }

struct Addr {
  Family fam;
  fw::Addr128 a;
};

std::optional<Addr> parse_addr(std::string_view s, bool allow_v6) {
  if (auto a = parse_ipv4(s)) return Addr{Family::V4, *a};
  if (!allow_v6) return std::nullopt;
  if (auto a = parse_ipv6(s)) return Addr{Family::V6, *a};
  return std::nullopt;
}

bool overlaps(uint64_t lo, uint64_t hi, uint64_t v) { return lo <= v && v <= hi; }

}  // namespace

std::optional<std::vector<AddrEntry>> parse_ip_filter(std::string_view v, bool allow_v6, std::string* err) {
  std::vector<AddrEntry> out;
  for (std::string_view e : split_commas(v)) {
    AddrEntry ae;
    if (!e.empty() && e.front() == '!') {
      ae.neg = true;
      e = trim(e.substr(1));
    }
    if (e.empty()) {
      if (err) *err = "empty entry";
      return std::nullopt;
    }
    if (e == "*") {
      ae.family = Family::Any;
      out.push_back(ae);
      continue;
    }
    size_t slash = e.find('/');
    size_t dash = e.find('-');
    if (slash != std::string_view::npos) {
      auto a = parse_addr(e.substr(0, slash), allow_v6);
      auto len = parse_u64(e.substr(slash + 1));
      unsigned bits = a && a->fam == Family::V4 ? 32 : 128;
      if (!a || !len || e.size() - slash - 1 > 3 || *len > bits) {
        if (err) *err = "bad prefix '" + std::string(e) + "'";
        return std::nullopt;
      }
      ae.family = a->fam;
      // host part mask over the family's width
      unsigned host = bits - static_cast<unsigned>(*len);
      fw::Addr128 m{};  // host mask
      if (host >= 64) {
        m.lo = ~0ull;
        m.hi = host >= 128 ? ~0ull : ((1ull << (host - 64)) - 1);
      } else {
        m.lo = host == 0 ? 0 : ((1ull << host) - 1);
      }
      if (a->fam == Family::V4) m.lo &= 0xffffffffull, m.hi = 0;
      ae.lo = fw::Addr128{a->a.hi & ~m.hi, a->a.lo & ~m.lo};
      ae.hi = fw::Addr128{a->a.hi | m.hi, a->a.lo | m.lo};
      if (a->fam == Family::V4) ae.lo.hi = ae.hi.hi = 0, ae.lo.lo &= 0xffffffffull, ae.hi.lo &= 0xffffffffull;
    } else if (dash != std::string_view::npos) {
      std::string_view l = trim(e.substr(0, dash)), r = trim(e.substr(dash + 1));
      std::optional<Addr> la, ra;
      if (l != "*") la = parse_addr(l, allow_v6);
      if (r != "*") ra = parse_addr(r, allow_v6);
      if ((l != "*" && !la) || (r != "*" && !ra) || (!la && !ra)) {
        if (err) *err = "bad range '" + std::string(e) + "'";
        return std::nullopt;
      }
      if (la && ra && la->fam != ra->fam) {
        if (err) *err = "range mixes IPv4 and IPv6 '" + std::string(e) + "'";
        return std::nullopt;
      }
      ae.family = la ? la->fam : ra->fam;
      ae.lo = la ? la->a : fw::Addr128{};
      ae.hi = ra ? ra->a : family_max(ae.family);
      if (ae.hi < ae.lo) {
        if (err) *err = "empty range '" + std::string(e) + "'";
        return std::nullopt;
      }
    } else {
      auto a = parse_addr(e, allow_v6);
      if (!a) {
        if (err) *err = (parse_ipv6(e) && !allow_v6) ? "IPv6 needs DTCP/0.7" : "bad address '" + std::string(e) + "'";
        return std::nullopt;
      }
      ae.family = a->fam;
      ae.lo = ae.hi = a->a;
    }
    out.push_back(ae);
  }
  return out;
}

std::optional<std::vector<IntEntry>> parse_int_filter(std::string_view v, uint64_t max, std::string* err) {
  std::vector<IntEntry> out;
  for (std::string_view e : split_commas(v)) {
    IntEntry ie;
    if (!e.empty() && e.front() == '!') {
      ie.neg = true;
      e = trim(e.substr(1));
    }
    if (e == "*") {
      ie.wildcard = true;
      ie.lo = 0;
      ie.hi = max;
      out.push_back(ie);
      continue;
    }
    size_t dash = e.find('-');
    std::optional<uint64_t> lo, hi;
    if (dash == std::string_view::npos) {
      lo = hi = parse_u64(e);
    } else {
      std::string_view l = trim(e.substr(0, dash)), r = trim(e.substr(dash + 1));
      lo = l == "*" ? std::optional<uint64_t>(0) : parse_u64(l);
      hi = r == "*" ? std::optional<uint64_t>(max) : parse_u64(r);
      if (l == "*" && r == "*") lo.reset();
      ie.range = true;
    }
    if (!lo || !hi) {
      if (err) *err = "bad entry '" + std::string(e) + "'";
      return std::nullopt;
    }
    if (*lo > max || *hi > max) {
      if (err) *err = "value out of range 0.." + std::to_string(max) + " '" + std::string(e) + "'";
      return std::nullopt;
    }
    if (*lo > *hi) {
      if (err) *err = "empty range '" + std::string(e) + "'";
      return std::nullopt;
    }
    ie.lo = *lo;
    ie.hi = *hi;
    out.push_back(ie);
  }
  return out;
}

namespace {

struct AddrChoice {
  Family fam;
  fw::Addr128 lo, hi;
};
struct IntChoice {
  uint64_t lo, hi;
};

// A list that keeps up to N elements in place and more in a vector: a criterion's fields have
// one or two choices nearly always, and every ADD builds seven of these lists (seven heap
// allocations each taking the card's heap lock, firmware-concurrency.md §3). Filled where it
// lives and never copied; the in-place slots are not zeroed first (only [0, size) is read):
// on the card both were a memset and a block copy per list, ten per ADD.
template <class T, size_t N>
class SmallList {
 public:
  SmallList() = default;
  SmallList(const SmallList&) = delete;
  SmallList& operator=(const SmallList&) = delete;
  void push_back(const T& v) {
    if (n_ < N && spill_.empty()) {
      inline_[n_++] = v;
      return;
    }
    if (spill_.empty()) spill_.assign(inline_, inline_ + n_);
    spill_.push_back(v);
    ++n_;
  }
  // Leaves only v (a wildcard replaces whatever choices came before it).
  void assign_one(const T& v) {
    spill_.clear();
    inline_[0] = v;
    n_ = 1;
  }
  const T* begin() const { return spill_.empty() ? inline_ : spill_.data(); }
  const T* end() const { return begin() + n_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }

 private:
  T inline_[N];
  size_t n_ = 0;
  std::vector<T> spill_;
};
using AddrChoices = SmallList<AddrChoice, 2>;
using IntChoices = SmallList<IntChoice, 4>;

// Positive entries of a field into out (empty); a wildcard (no entry, or a `*` entry) is one
// full choice.
void positives(const std::vector<AddrEntry>& es, AddrChoices& out) {
  for (const AddrEntry& e : es) {
    if (e.neg) continue;
    if (e.family == Family::Any) return out.assign_one(AddrChoice{Family::Any, {}, {}});
    out.push_back({e.family, e.lo, e.hi});
  }
  if (out.empty()) out.assign_one(AddrChoice{Family::Any, {}, {}});
}

void positives(const std::vector<IntEntry>& es, uint64_t max, IntChoices& out) {
  for (const IntEntry& e : es) {
    if (e.neg) continue;
    if (e.wildcard) return out.assign_one(IntChoice{0, max});
    out.push_back({e.lo, e.hi});
  }
  if (out.empty()) out.assign_one(IntChoice{0, max});
}

bool carries_ports(uint64_t lo, uint64_t hi) {
  return overlaps(lo, hi, 6) || overlaps(lo, hi, 17) || overlaps(lo, hi, 132);
}
bool carries_icmp(uint64_t lo, uint64_t hi) { return overlaps(lo, hi, 1) || overlaps(lo, hi, 58); }

bool has_negated_wildcard(const std::vector<AddrEntry>& es) {
  for (const auto& e : es)
    if (e.neg && e.family == Family::Any) return true;
  return false;
}
bool has_negated_wildcard(const std::vector<IntEntry>& es) {
  for (const auto& e : es)
    if (e.neg && e.wildcard) return true;
  return false;
}

// The first field holding a `!*` entry (which matches nothing), or nullptr.
const char* negated_wildcard_field(const CriteriaSpec& s) {
  if (has_negated_wildcard(s.src)) return "Source-Address";
  if (has_negated_wildcard(s.dst)) return "Dest-Address";
  if (has_negated_wildcard(s.proto)) return "Protocol";
  if (has_negated_wildcard(s.sport)) return "Source-Port";
  if (has_negated_wildcard(s.dport)) return "Dest-Port";
  if (has_negated_wildcard(s.icmp_type)) return "ICMP-Type";
  if (has_negated_wildcard(s.icmp_code)) return "ICMP-Code";
  return nullptr;
}

// The positive choices of every field (a wildcard is one full choice); protocols are pruned
// to those that can carry the constrained L4 fields.
struct Choices {
  bool ports = false, icmp = false;  // L4 fields constrained: the terms need them
  AddrChoices src, dst;
  IntChoices proto, sport, dport, itype, icode;

  explicit Choices(const CriteriaSpec& s)
      : ports(!s.sport.empty() || !s.dport.empty()), icmp(!s.icmp_type.empty() || !s.icmp_code.empty()) {
    positives(s.src, src);
    positives(s.dst, dst);
    positives(s.sport, 65535, sport);
    positives(s.dport, 65535, dport);
    positives(s.icmp_type, 255, itype);
    positives(s.icmp_code, 255, icode);
    IntChoices protos;
    positives(s.proto, 255, protos);
    for (const auto& p : protos) {
      if (ports && !carries_ports(p.lo, p.hi)) continue;
      if (icmp && !carries_icmp(p.lo, p.hi)) continue;
      proto.push_back(p);
    }
  }
  size_t product() const {
    return src.size() * dst.size() * proto.size() * sport.size() * dport.size() * itype.size() * icode.size();
  }
};

// One term of the cross product, in family `fam` (Any: addresses unconstrained).
fw::MatchTerm positive_term(const Choices& c, Family fam, const AddrChoice& a, const AddrChoice& b,
                            const IntChoice& p, const IntChoice& sp, const IntChoice& dp, const IntChoice& it,
                            const IntChoice& ic) {
  fw::MatchTerm t;
  t.family = fam;
  if (fam != Family::Any) {
    t.src = a.fam == Family::Any ? full(fam) : fw::AddrInterval{a.lo, a.hi};
    t.dst = b.fam == Family::Any ? full(fam) : fw::AddrInterval{b.lo, b.hi};
  }
  t.proto_lo = static_cast<uint8_t>(p.lo);
  t.proto_hi = static_cast<uint8_t>(p.hi);
  t.sport_lo = static_cast<uint16_t>(sp.lo);
  t.sport_hi = static_cast<uint16_t>(sp.hi);
  t.dport_lo = static_cast<uint16_t>(dp.lo);
  t.dport_hi = static_cast<uint16_t>(dp.hi);
  t.icmp_type_lo = static_cast<uint8_t>(it.lo);
  t.icmp_type_hi = static_cast<uint8_t>(it.hi);
  t.icmp_code_lo = static_cast<uint8_t>(ic.lo);
  t.icmp_code_hi = static_cast<uint8_t>(ic.hi);
  t.need_ports = c.ports;
  t.need_icmp = c.icmp;
  return t;
}

// The cross product of the positive choices; a term whose source and destination families
// disagree is dropped.
void add_positive_terms(const Choices& c, std::vector<fw::MatchTerm>& out) {
  for (const auto& a : c.src)
    for (const auto& b : c.dst) {
      if (a.fam != Family::Any && b.fam != Family::Any && a.fam != b.fam) continue;
      const Family fam = a.fam != Family::Any ? a.fam : b.fam;
      for (const auto& p : c.proto)
        for (const auto& sp : c.sport)
          for (const auto& dp : c.dport)
            for (const auto& it : c.itype)
              for (const auto& ic : c.icode) out.push_back(positive_term(c, fam, a, b, p, sp, dp, it, ic));
    }
}

// Exclusion terms: one per negated entry, that field alone constrained.
void add_address_exclusions(const std::vector<AddrEntry>& es, bool is_src, std::vector<fw::MatchTerm>& out) {
  for (const auto& e : es) {
    if (!e.neg) continue;
    fw::MatchTerm t;
    t.exclude = true;
    t.family = e.family;
    t.src = full(e.family);
    t.dst = full(e.family);
    (is_src ? t.src : t.dst) = fw::AddrInterval{e.lo, e.hi};
    out.push_back(t);
  }
}

using IntFieldSetter = void (*)(fw::MatchTerm&, const IntEntry&);

void add_int_exclusions(const std::vector<IntEntry>& es, IntFieldSetter set, std::vector<fw::MatchTerm>& out) {
  for (const auto& e : es) {
    if (!e.neg) continue;
    fw::MatchTerm t;
    t.exclude = true;
    set(t, e);
    out.push_back(t);
  }
}

void add_exclusion_terms(const CriteriaSpec& s, std::vector<fw::MatchTerm>& out) {
  add_address_exclusions(s.src, true, out);
  add_address_exclusions(s.dst, false, out);
  add_int_exclusions(s.proto, [](fw::MatchTerm& t, const IntEntry& e) {
    t.proto_lo = static_cast<uint8_t>(e.lo);
    t.proto_hi = static_cast<uint8_t>(e.hi);
  }, out);
  add_int_exclusions(s.sport, [](fw::MatchTerm& t, const IntEntry& e) {
    t.sport_lo = static_cast<uint16_t>(e.lo);
    t.sport_hi = static_cast<uint16_t>(e.hi);
    t.need_ports = true;
  }, out);
  add_int_exclusions(s.dport, [](fw::MatchTerm& t, const IntEntry& e) {
    t.dport_lo = static_cast<uint16_t>(e.lo);
    t.dport_hi = static_cast<uint16_t>(e.hi);
    t.need_ports = true;
  }, out);
  add_int_exclusions(s.icmp_type, [](fw::MatchTerm& t, const IntEntry& e) {
    t.icmp_type_lo = static_cast<uint8_t>(e.lo);
    t.icmp_type_hi = static_cast<uint8_t>(e.hi);
    t.need_icmp = true;
  }, out);
  add_int_exclusions(s.icmp_code, [](fw::MatchTerm& t, const IntEntry& e) {
    t.icmp_code_lo = static_cast<uint8_t>(e.lo);
    t.icmp_code_hi = static_cast<uint8_t>(e.hi);
    t.need_icmp = true;
  }, out);
}

}  // namespace

TermsResult build_terms(const CriteriaSpec& s, size_t max_terms) {
  TermsResult r;
  auto fail = [&](std::string field, std::string msg) {
    r.terms.clear();
    r.error = std::move(msg);
    r.error_field = std::move(field);
    return r;
  };
  if (const char* field = negated_wildcard_field(s)) return fail(field, "'!*' matches nothing");
  const Choices c(s);
  if (c.ports && c.icmp)
    return fail(s.sport.empty() ? "Dest-Port" : "Source-Port", "ports and ICMP fields in one criterion");
  if (c.proto.empty())
    return fail("Protocol", c.ports ? "port fields need protocol 6, 17 or 132" : "ICMP fields need protocol 1 or 58");
  const size_t product = c.product();
  if (product > max_terms) {
    r.too_many = true;
    r.error = "criterion needs " + std::to_string(product) + " terms (limit " + std::to_string(max_terms) + ")";
    return r;
  }
  add_positive_terms(c, r.terms);
  if (r.terms.empty()) return fail("Dest-Address", "source and destination address families never agree");
  add_exclusion_terms(s, r.terms);
  if (r.terms.size() > max_terms) {
    r.terms.clear();
    r.too_many = true;
    r.error = "criterion needs too many terms (limit " + std::to_string(max_terms) + ")";
  }
  return r;
}

namespace {
bool in(const fw::AddrInterval& iv, const fw::Addr128& a) { return iv.lo <= a && a <= iv.hi; }
bool term_hits(const fw::MatchTerm& t, const HeaderFields& h) {
  if (t.family == Family::V4 && h.v6) return false;
  if (t.family == Family::V6 && !h.v6) return false;
  if (t.family != Family::Any && (!in(t.src, h.src) || !in(t.dst, h.dst))) return false;
  if (h.proto < t.proto_lo || h.proto > t.proto_hi) return false;
  if (t.need_ports) {
    if (!h.has_ports) return false;
    if (h.sport < t.sport_lo || h.sport > t.sport_hi || h.dport < t.dport_lo || h.dport > t.dport_hi) return false;
  }
  if (t.need_icmp) {
    if (!h.has_icmp) return false;
    if (h.icmp_type < t.icmp_type_lo || h.icmp_type > t.icmp_type_hi || h.icmp_code < t.icmp_code_lo ||
        h.icmp_code > t.icmp_code_hi)
      return false;
  }
  return true;
}
}  // namespace

bool terms_match(const std::vector<fw::MatchTerm>& terms, const HeaderFields& h) {
  bool pos = false;
  for (const auto& t : terms) {
    if (!term_hits(t, h)) continue;
    if (t.exclude) return false;
    pos = true;
  }
  return pos;
}

}  // namespace dfc::dtcp
