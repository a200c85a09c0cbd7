// The scoreboard's indexed reference match (docs/scoreboard.md "Online and the indexed
// match"): criteria filed by the reference's own parse of their filters. Uses no firmware code.
#include <cstring>

#include "scoreboard_impl.hpp"

namespace dfc::tb {
using namespace sbi;

namespace {
constexpr size_t kMaxCachedFlows = 1 << 16;  // header tuples remembered (memory bound)
}  // namespace

// The criteria whose filters match these headers: the index's candidates, then the full
// filter; cached per distinct header tuple (bounded), extended when criteria are added.
const std::vector<uint32_t>& Scoreboard::Impl::match(const ref::Headers& h) {
  std::string key;
  key.reserve(48);
  key += static_cast<char>(h.v6);
  key.append(reinterpret_cast<const char*>(h.src.data()), 16);
  key.append(reinterpret_cast<const char*>(h.dst.data()), 16);
  key += static_cast<char>(h.proto);
  key += static_cast<char>(h.has_ports);
  key += static_cast<char>(h.sport >> 8);
  key += static_cast<char>(h.sport & 255);
  key += static_cast<char>(h.dport >> 8);
  key += static_cast<char>(h.dport & 255);
  key += static_cast<char>(h.has_icmp);
  key += static_cast<char>(h.itype);
  key += static_cast<char>(h.icode);
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (cache.size() >= kMaxCachedFlows) cache.clear();
    it = cache.emplace(std::move(key), CacheEntry{}).first;
  }
  CacheEntry& ce = it->second;
  if (ce.upto < crits.size()) {
    scratch.clear();
    index.candidates(h, scratch);
    std::sort(scratch.begin(), scratch.end());
    for (uint32_t ci : scratch)
      if (ci >= ce.upto && ref::filter_matches(crits[ci].f, h)) ce.hits.push_back(ci);
    ce.upto = static_cast<uint32_t>(crits.size());
  }
  return ce.hits;
}


// ---------------------------------------------------------------------------------------------
// The match index

namespace sbi {
namespace {
uint64_t h_rot(uint64_t x) { return (x << 31) | (x >> 33); }

// The /16 buckets a positive address list covers, or nullopt when it is unbounded (no field,
// only negations, a wildcard, or more than `limit` buckets).
std::optional<std::vector<uint32_t>> addr_buckets(const std::optional<std::vector<ref::AddrEntry>>& f, size_t limit) {
  if (!f) return std::nullopt;
  std::vector<uint32_t> out;
  bool positive = false;
  for (const auto& e : *f) {
    if (e.neg) continue;
    if (e.wildcard) return std::nullopt;
    positive = true;
    const size_t o = e.v6 ? 0 : 12;
    const uint32_t lo = (uint32_t{e.lo[o]} << 8) | e.lo[o + 1], hi = (uint32_t{e.hi[o]} << 8) | e.hi[o + 1];
    if (hi - lo + 1 + out.size() > limit) return std::nullopt;
    for (uint32_t b = lo; b <= hi; ++b) out.push_back((uint32_t{e.v6} << 16) | b);
  }
  if (!positive) return std::nullopt;
  return out;
}
}  // namespace

size_t MatchIndex::AddrKeyHash::operator()(const AddrKey& k) const {
  uint64_t x = 0, y = 0;
  std::memcpy(&x, k.a.data(), 8);
  std::memcpy(&y, k.a.data() + 8, 8);
  uint64_t h = (x * 0x9e3779b97f4a7c15ull) ^ (y + 0x632be59bd9b4e019ull + (h_rot(x)));
  h ^= uint64_t{k.v6} << 63;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  return static_cast<size_t>(h ^ (h >> 32));
}

// Files crit under each of its positive single addresses when every positive entry is one
// address (a criterion on a host, the common case); false when it is wider, negation-only or
// longer than kMaxBuckets.
bool MatchIndex::add_exact(Exact& m, const std::optional<std::vector<ref::AddrEntry>>& f, uint32_t crit) {
  if (!f) return false;
  std::vector<AddrKey> keys;
  for (const auto& e : *f) {
    if (e.neg) continue;
    if (e.wildcard || e.lo != e.hi || keys.size() == kMaxBuckets) return false;
    keys.push_back(AddrKey{e.lo, e.v6});
  }
  if (keys.empty()) return false;
  for (const auto& k : keys) {
    auto& v = m[k];
    if (v.empty() || v.back() != crit) v.push_back(crit);
  }
  return true;
}

void MatchIndex::add(uint32_t crit, const ref::Filter& f) {
  if (add_exact(dst_exact_, f.dst, crit)) return;
  if (auto b = addr_buckets(f.dst, kMaxBuckets)) {
    for (uint32_t k : *b) dst_[k].push_back(crit);
    return;
  }
  if (add_exact(src_exact_, f.src, crit)) return;
  if (auto b = addr_buckets(f.src, kMaxBuckets)) {
    for (uint32_t k : *b) src_[k].push_back(crit);
    return;
  }
  if (f.proto) {
    std::vector<uint32_t> ps;
    bool bounded = false;
    for (const auto& e : *f.proto) {
      if (e.neg) continue;
      if (e.wildcard || e.hi - e.lo + 1 + ps.size() > kMaxBuckets) {
        bounded = false;
        ps.clear();
        break;
      }
      bounded = true;
      for (uint64_t v = e.lo; v <= e.hi && v < 256; ++v) ps.push_back(static_cast<uint32_t>(v));
    }
    if (bounded) {
      for (uint32_t v : ps) proto_[v].push_back(crit);
      return;
    }
  }
  any_.push_back(crit);
}

void MatchIndex::candidates(const ref::Headers& h, std::vector<uint32_t>& out) const {
  const size_t o = h.v6 ? 0 : 12;
  const uint32_t fam = uint32_t{h.v6} << 16;
  if (auto it = dst_exact_.find(AddrKey{h.dst, h.v6}); it != dst_exact_.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  if (auto it = src_exact_.find(AddrKey{h.src, h.v6}); it != src_exact_.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  if (auto it = dst_.find(fam | (uint32_t{h.dst[o]} << 8) | h.dst[o + 1]); it != dst_.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  if (auto it = src_.find(fam | (uint32_t{h.src[o]} << 8) | h.src[o + 1]); it != src_.end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  out.insert(out.end(), proto_[h.proto].begin(), proto_[h.proto].end());
  out.insert(out.end(), any_.begin(), any_.end());
}
}  // namespace sbi

}  // namespace dfc::tb
