// MatchTerm -> TCAM entries: each interval field becomes a minimal prefix cover; a port
// interval that is not one prefix takes a range-check unit when one is free; the entries of a
// term are the cross product of its multi-prefix fields. Also the software match of a term,
// for lookups whose result window overflowed (classifier_driver.cpp).
#include "classifier_rules.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace dfc::fw::detail {

using namespace dfc::abi;

namespace {

// An unsigned 128-bit integer of two 64-bit halves: the key fields of an IPv6 address. Not
// __int128, which 32-bit targets (the MIPS32 card image, docs/iss.md) do not have; one code
// path for host and image.
class u128 {
 public:
  constexpr u128(uint64_t v = 0) : hi_(0), lo_(v) {}  // NOLINT: implicit, as an integer converts
  constexpr u128(uint64_t hi, uint64_t lo) : hi_(hi), lo_(lo) {}
  constexpr explicit operator bool() const { return (hi_ | lo_) != 0; }
  friend constexpr uint64_t u128_low64(u128 a) { return a.lo_; }
  friend constexpr bool operator==(u128 a, u128 b) { return a.hi_ == b.hi_ && a.lo_ == b.lo_; }
  friend constexpr bool operator<(u128 a, u128 b) { return a.hi_ != b.hi_ ? a.hi_ < b.hi_ : a.lo_ < b.lo_; }
  friend constexpr bool operator>(u128 a, u128 b) { return b < a; }
  friend constexpr bool operator>=(u128 a, u128 b) { return !(a < b); }
  friend constexpr u128 operator+(u128 a, u128 b) {
    const uint64_t lo = a.lo_ + b.lo_;
    return {a.hi_ + b.hi_ + (lo < a.lo_ ? 1 : 0), lo};
  }
  friend constexpr u128 operator-(u128 a, u128 b) { return {a.hi_ - b.hi_ - (a.lo_ < b.lo_ ? 1 : 0), a.lo_ - b.lo_}; }
  friend constexpr u128 operator&(u128 a, u128 b) { return {a.hi_ & b.hi_, a.lo_ & b.lo_}; }
  constexpr u128 operator~() const { return {~hi_, ~lo_}; }
  constexpr u128 operator<<(unsigned n) const {
    if (n == 0) return *this;
    if (n >= 128) return {};
    if (n >= 64) return {lo_ << (n - 64), 0};
    return {(hi_ << n) | (lo_ >> (64 - n)), lo_ << n};
  }
  constexpr u128 operator>>(unsigned n) const {
    if (n == 0) return *this;
    if (n >= 128) return {};
    if (n >= 64) return {0, hi_ >> (n - 64)};
    return {hi_ >> n, (lo_ >> n) | (hi_ << (64 - n))};
  }

 private:
  uint64_t hi_, lo_;
};

// Entry bit positions of the key fields (key bit b = bit b % 32 of word b / 32).
constexpr unsigned B_SRC = W_SRC * 32, B_DST = W_DST * 32, B_META = W_META * 32, B_RANGE = W_RANGE * 32;

struct Prefix {
  u128 value;
  unsigned len;  // number of most significant bits that care
};

u128 field_max(unsigned width) { return width >= 128 ? ~u128{0} : (u128{1} << width) - 1; }

unsigned ctz128(u128 v, unsigned width) {
  unsigned n = 0;
  while (n < width && !((v >> n) & u128(1))) ++n;
  return n;
}

// Minimal prefix cover of [lo, hi] within a width-bit field. Stops (returns false) after
// more than `cap` prefixes.
bool expand(u128 lo, u128 hi, unsigned width, size_t cap, std::vector<Prefix>& out) {
  out.clear();
  if (lo > hi) return true;
  const u128 maxv = field_max(width);
  if (lo == 0 && hi == maxv) {
    out.push_back({0, 0});
    return true;
  }
  for (;;) {
    unsigned k = lo == 0 ? width : ctz128(lo, width);
    const u128 span = hi - lo;  // block of 2^k covers lo .. lo + 2^k - 1
    while (k > 0 && (k >= 128 || ((u128{1} << k) - 1) > span)) --k;
    if (out.size() >= cap) return false;
    out.push_back({lo, width - k});
    const u128 last = lo + ((k >= 128 ? ~u128{0} : (u128{1} << k)) - 1);
    if (last >= hi) return true;
    lo = last + 1;
  }
}

bool is_single_prefix(uint32_t lo, uint32_t hi) {
  const uint32_t n = hi - lo + 1;
  return lo <= hi && (n & (n - 1)) == 0 && (lo & (n - 1)) == 0;
}

// How many low bits of v are ones in a row.
unsigned trailing_ones(u128 v) {
  unsigned n = 0;
  for (uint64_t w = u128_low64(v); n < 64 && (w & 1); w >>= 1) ++n;
  if (n < 64) return n;
  for (uint64_t w = u128_low64(v >> 64); n < 128 && (w & 1); w >>= 1) ++n;
  return n;
}

// The field's top len bits (the prefix) care; the bits below it do not. A word of the entry at
// a time: a bit at a time shifted the 128-bit value once per bit, a few thousand instructions
// per ADD on the 32-bit card (docs/iss.md).
void set_bits(Entry& e, unsigned pos, unsigned width, u128 value, unsigned len) {
  if (len == 0 || len > width) return;
  for (unsigned b = width - len; b < width;) {
    const unsigned p = pos + b, off = p % 32;
    const unsigned n = std::min(32u - off, width - b);  // bits of this word in the field
    const uint32_t ones = n == 32 ? ~0u : (1u << n) - 1;
    const uint32_t bits = static_cast<uint32_t>(u128_low64(value >> b)) & ones;
    e.mask[p / 32] |= ones << off;
    e.value[p / 32] |= bits << off;
    b += n;
  }
}

void set_flag(Entry& e, unsigned pos, bool value) { set_bits(e, pos, 1, value ? 1 : 0, 1); }

u128 addr_u128(const Addr128& a) { return u128(a.hi, a.lo); }

u128 key_addr(const KeyWords& k, unsigned w) {
  return u128(uint64_t{k[w + 3]} << 32 | k[w + 2], uint64_t{k[w + 1]} << 32 | k[w]);
}

// A field of a key word, by its position and width (classifier_abi.hpp).
uint32_t field_of(uint32_t word, unsigned shift, uint32_t max) { return (word >> shift) & max; }

// One port field of the key: where it is and which range-unit field compares it.
struct PortField {
  RangeField unit_field;
  unsigned lsb, bits;
  uint32_t max;
};
constexpr PortField kSrcPort{RangeField::SrcPort, KEY_SPORT_LSB, PORTS_SPORT_BITS, PORTS_SPORT_MAX};
constexpr PortField kDstPort{RangeField::DstPort, KEY_DPORT_LSB, PORTS_DPORT_BITS, PORTS_DPORT_MAX};

// The entries of one term under construction: fields covered by one prefix are set in
// `base`; each field that needs several prefixes is a factor of the cross product.
class TermEntries {
 public:
  explicit TermEntries(size_t cap) : cap_(cap) { base_.valid = true; }

  Entry& base() { return base_; }

  // Constrains `width` key bits from `pos` to [lo, hi]. False when the interval is empty
  // (the term matches nothing).
  bool cover(unsigned pos, unsigned width, u128 lo, u128 hi) {
    if (lo > hi) return false;
    // One prefix (the span is 2^k - 1 and lo is aligned to it: a host, a subnet, a protocol):
    // straight into the base entry, without the general cover's list.
    const u128 span = hi - lo;
    if (!((span & (span + 1)) || (lo & span))) {
      const unsigned k = trailing_ones(span);
      if (k <= width) {
        set_bits(base_, pos, width, lo, width - k);
        return true;
      }
    }
    FieldCover c{pos, width, {}};
    if (!expand(lo, hi, width, cap_ + 1, c.prefixes)) {
      c.prefixes.resize(cap_ + 1);  // too many anyway
    }
    if (c.prefixes.size() == 1) {
      set_bits(base_, pos, width, c.prefixes[0].value, c.prefixes[0].len);
    } else {
      covers_.push_back(std::move(c));
    }
    return true;
  }

  // A port interval: a wildcard constrains nothing, a range that is not one prefix takes a
  // range-check unit (one care bit) when one is free, anything else is a prefix cover.
  bool cover_port(const PortField& f, uint16_t lo, uint16_t hi, RangeUnitSource& units,
                  std::vector<unsigned>& units_taken) {
    if (lo > hi) return false;
    if (lo == 0 && hi == f.max) return true;
    if (!is_single_prefix(lo, hi)) {
      const int u = units.acquire(f.unit_field, lo, hi);
      if (u >= 0) {
        units_taken.push_back(static_cast<unsigned>(u));
        set_flag(base_, B_RANGE + static_cast<unsigned>(u), true);
        return true;
      }
    }
    cover(f.lsb, f.bits, lo, hi);
    return true;
  }

  // Appends the cross product of the multi-prefix fields to out; false when `out` would
  // exceed the cap.
  bool emit(std::vector<Entry>& out) const {
    size_t n = 1;
    for (const FieldCover& c : covers_) {
      n *= c.prefixes.size();
      if (n > cap_) return false;
    }
    if (out.size() + n > cap_) return false;
    std::vector<size_t> idx(covers_.size(), 0);
    for (size_t k = 0; k < n; ++k) {
      Entry e = base_;
      for (size_t c = 0; c < covers_.size(); ++c) {
        const Prefix& p = covers_[c].prefixes[idx[c]];
        set_bits(e, covers_[c].pos, covers_[c].width, p.value, p.len);
      }
      out.push_back(e);
      for (size_t c = 0; c < covers_.size(); ++c) {
        if (++idx[c] < covers_[c].prefixes.size()) break;
        idx[c] = 0;
      }
    }
    return true;
  }

 private:
  struct FieldCover {
    unsigned pos, width;
    std::vector<Prefix> prefixes;
  };
  size_t cap_;
  Entry base_{};
  std::vector<FieldCover> covers_;
};

}  // namespace

bool compile_term(const MatchTerm& t, size_t cap, RangeUnitSource& units, std::vector<Entry>& out,
                  std::vector<unsigned>& units_taken) {
  TermEntries te(cap);
  bool empty = false;
  if (t.family == MatchTerm::Family::V4 || t.family == MatchTerm::Family::V6) {
    const bool v6 = t.family == MatchTerm::Family::V6;
    const unsigned width = v6 ? 128 : 32;
    set_flag(te.base(), B_META + META_IPV6_BIT, v6);
    const u128 m = field_max(width);
    empty |= !te.cover(B_SRC, width, addr_u128(t.src.lo), std::min(addr_u128(t.src.hi), m));
    empty |= !te.cover(B_DST, width, addr_u128(t.dst.lo), std::min(addr_u128(t.dst.hi), m));
  }
  empty |= !te.cover(B_META + META_PROTO_SHIFT, META_PROTO_BITS, t.proto_lo, t.proto_hi);
  empty |= !te.cover(B_META + META_ICMP_TYPE_SHIFT, META_ICMP_TYPE_BITS, t.icmp_type_lo, t.icmp_type_hi);
  empty |= !te.cover(B_META + META_ICMP_CODE_SHIFT, META_ICMP_CODE_BITS, t.icmp_code_lo, t.icmp_code_hi);
  if (t.need_ports) set_flag(te.base(), B_META + META_HAS_PORTS_BIT, true);
  if (t.need_icmp) set_flag(te.base(), B_META + META_HAS_ICMP_BIT, true);
  empty |= !te.cover_port(kSrcPort, t.sport_lo, t.sport_hi, units, units_taken);
  empty |= !te.cover_port(kDstPort, t.dport_lo, t.dport_hi, units, units_taken);
  if (empty) return true;  // matches nothing: no entries
  return te.emit(out);
}

bool term_matches(const MatchTerm& t, const KeyWords& k) {
  const uint32_t meta = k[W_META];
  const bool v6 = (meta & META_IPV6) != 0;
  if (t.family == MatchTerm::Family::V4 || t.family == MatchTerm::Family::V6) {
    const bool want6 = t.family == MatchTerm::Family::V6;
    if (v6 != want6) return false;
    const unsigned width = want6 ? 128 : 32;
    for (int d = 0; d < 2; ++d) {
      const AddrInterval& iv = d == 0 ? t.src : t.dst;
      u128 a = key_addr(k, d == 0 ? W_SRC : W_DST) & field_max(width);
      u128 lo = addr_u128(iv.lo), hi = std::min(addr_u128(iv.hi), field_max(width));
      if (a < lo || a > hi) return false;
    }
  }
  const uint32_t proto = field_of(meta, META_PROTO_SHIFT, META_PROTO_MAX);
  if (proto < t.proto_lo || proto > t.proto_hi) return false;
  const uint32_t sport = field_of(k[W_PORTS], PORTS_SPORT_SHIFT, PORTS_SPORT_MAX),
                 dport = field_of(k[W_PORTS], PORTS_DPORT_SHIFT, PORTS_DPORT_MAX);
  if (sport < t.sport_lo || sport > t.sport_hi) return false;
  if (dport < t.dport_lo || dport > t.dport_hi) return false;
  const uint32_t it = field_of(meta, META_ICMP_TYPE_SHIFT, META_ICMP_TYPE_MAX),
                 ic = field_of(meta, META_ICMP_CODE_SHIFT, META_ICMP_CODE_MAX);
  if (it < t.icmp_type_lo || it > t.icmp_type_hi) return false;
  if (ic < t.icmp_code_lo || ic > t.icmp_code_hi) return false;
  if (t.need_ports && !(meta & META_HAS_PORTS)) return false;
  if (t.need_icmp && !(meta & META_HAS_ICMP)) return false;
  return true;
}

}  // namespace dfc::fw::detail
