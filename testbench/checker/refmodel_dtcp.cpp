// Reference model, DTCP side: message parser and criteria filter values (dtcp.md §1.4, §1.5).
// Independent of firmware/src/dtcp.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "refmodel.hpp"

namespace dfc::tb::ref {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}
// `\DDD` escapes (dtcp.md §1.4) decoded.
std::string unescape(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 3 < v.size() &&
        std::isdigit(static_cast<unsigned char>(v[i + 1])) && std::isdigit(static_cast<unsigned char>(v[i + 2])) &&
        std::isdigit(static_cast<unsigned char>(v[i + 3]))) {
      const int n = (v[i + 1] - '0') * 100 + (v[i + 2] - '0') * 10 + (v[i + 3] - '0');
      if (n < 256) {
        out += static_cast<char>(n);
        i += 3;
        continue;
      }
    }
    out += v[i];
  }
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    const size_t c = v.find(',', pos);
    out.push_back(trim(v.substr(pos, c == std::string::npos ? std::string::npos : c - pos)));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  return out;
}

Addr max_addr(bool v6) {
  Addr a{};
  for (size_t i = v6 ? 0 : 12; i < 16; ++i) a[i] = 0xff;
  return a;
}

}  // namespace

std::optional<std::string> Message::get(const std::string& n) const {
  auto it = params.find(n);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Message::all(const std::string& n) const {
  std::vector<std::string> v;
  auto r = params.equal_range(n);
  for (auto it = r.first; it != r.second; ++it) v.push_back(it->second);
  return v;
}

std::optional<Message> parse_message(const std::string& bytes) {
  Message m;
  size_t pos = 0;
  bool first = true;
  while (pos < bytes.size()) {
    size_t eol = bytes.find('\n', pos);
    if (eol == std::string::npos) eol = bytes.size();
    const std::string line = trim(bytes.substr(pos, eol - pos));
    pos = eol + 1;
    if (first) {
      first = false;
      const size_t sp = line.find_first_of(" \t");
      if (sp == std::string::npos) return std::nullopt;
      const std::string a = line.substr(0, sp), rest = trim(line.substr(sp));
      if (a.rfind("DTCP/", 0) == 0) {
        const size_t sp2 = rest.find_first_of(" \t");
        const std::string code = rest.substr(0, sp2);
        if (code.size() != 3 || !all_digits(code)) return std::nullopt;
        m.is_status = true;
        m.version = a;
        m.status = std::stoi(code);
        m.reason = sp2 == std::string::npos ? "" : trim(rest.substr(sp2));
      } else {
        if (rest.rfind("DTCP/", 0) != 0) return std::nullopt;
        m.method = upper(a);
        m.version = rest;
      }
      continue;
    }
    if (line.empty()) break;  // the empty line ends the message
    const size_t c = line.find(':');
    if (c == std::string::npos) continue;
    const std::string name = lower(trim(line.substr(0, c)));
    if (name == "authentication-info") break;  // last parameter; the rest is ignored
    m.params.emplace(name, unescape(trim(line.substr(c + 1))));
  }
  if (first) return std::nullopt;
  return m;
}

std::optional<uint64_t> parse_uint(const std::string& s, uint64_t max) {
  if (!all_digits(s) || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (~0ull - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (v > max) return std::nullopt;
  return v;
}

std::optional<Addr> parse_ipv4(const std::string& s) {
  Addr a{};
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t dot = s.find('.', pos);
    if ((i < 3) != (dot != std::string::npos)) return std::nullopt;
    const std::string part = s.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (part.empty() || part.size() > 3) return std::nullopt;
    const auto v = parse_uint(part, 255);
    if (!v) return std::nullopt;
    a[static_cast<size_t>(12 + i)] = static_cast<uint8_t>(*v);
    pos = dot + 1;
  }
  return a;
}

std::optional<Addr> parse_ipv6(const std::string& s) {
  if (s.find(':') == std::string::npos) return std::nullopt;
  Addr a{};
  if (inet_pton(AF_INET6, s.c_str(), a.data()) != 1) return std::nullopt;
  return a;
}

std::optional<std::vector<AddrEntry>> parse_addr_list(const std::string& v, std::string* err) {
  std::vector<AddrEntry> out;
  for (std::string e : split_list(v)) {
    AddrEntry x;
    if (!e.empty() && e[0] == '!') x.neg = true, e = trim(e.substr(1));
    auto fail = [&](const std::string& why) -> std::optional<std::vector<AddrEntry>> {
      if (err) *err = "'" + e + "': " + why;
      return std::nullopt;
    };
    if (e.empty()) return fail("empty entry");
    if (e == "*") {
      x.wildcard = true, x.form = AddrEntry::Wild;
      out.push_back(x);
      continue;
    }
    auto one = [](const std::string& s, bool& v6) -> std::optional<Addr> {
      if (auto a4 = parse_ipv4(s)) return v6 = false, a4;
      if (auto a6 = parse_ipv6(s)) return v6 = true, a6;
      return std::nullopt;
    };
    const size_t slash = e.find('/'), dash = e.find('-');
    if (slash != std::string::npos) {
      bool v6 = false;
      auto a = one(e.substr(0, slash), v6);
      if (!a) return fail("bad address");
      const auto len = parse_uint(e.substr(slash + 1), v6 ? 128 : 32);
      if (!len || e.size() - slash - 1 > 3) return fail("bad prefix length");
      const size_t bits = (v6 ? 0 : 96) + *len;  // prefix bits within the 128-bit form
      x.v6 = v6, x.form = AddrEntry::Prefix, x.lo = *a, x.hi = *a;
      for (size_t b = bits; b < 128; ++b) {
        const size_t byte = b / 8;
        const uint8_t bit = static_cast<uint8_t>(0x80u >> (b % 8));
        x.lo[byte] = static_cast<uint8_t>(x.lo[byte] & ~bit);
        x.hi[byte] = static_cast<uint8_t>(x.hi[byte] | bit);
      }
    } else if (dash != std::string::npos) {
      const std::string l = trim(e.substr(0, dash)), h = trim(e.substr(dash + 1));
      if (l == "*" && h == "*") return fail("'*-*' is not an entry");
      if (l == "*") {
        bool v6 = false;
        auto b = one(h, v6);
        if (!b) return fail("bad address");
        x.v6 = v6, x.form = AddrEntry::OpenRange, x.lo = Addr{}, x.hi = *b;
      } else if (h == "*") {
        bool v6 = false;
        auto a = one(l, v6);
        if (!a) return fail("bad address");
        x.v6 = v6, x.form = AddrEntry::OpenRange, x.lo = *a, x.hi = max_addr(v6);
      } else {
        bool v6a = false, v6b = false;
        auto a = one(l, v6a), b = one(h, v6b);
        if (!a || !b) return fail("bad address");
        if (v6a != v6b) return fail("range mixes IPv4 and IPv6");
        if (*b < *a) return fail("range low > high");
        x.v6 = v6a, x.form = AddrEntry::Range, x.lo = *a, x.hi = *b;
      }
    } else {
      bool v6 = false;
      auto a = one(e, v6);
      if (!a) return fail("bad address");
      x.v6 = v6, x.form = AddrEntry::Single, x.lo = *a, x.hi = *a;
    }
    out.push_back(x);
  }
  return out;
}

std::optional<std::vector<IntEntry>> parse_int_list(const std::string& v, uint64_t max, std::string* err) {
  std::vector<IntEntry> out;
  for (std::string e : split_list(v)) {
    IntEntry x;
    if (!e.empty() && e[0] == '!') x.neg = true, e = trim(e.substr(1));
    auto fail = [&](const std::string& why) -> std::optional<std::vector<IntEntry>> {
      if (err) *err = "'" + e + "': " + why;
      return std::nullopt;
    };
    if (e.empty()) return fail("empty entry");
    if (e == "*") {
      x.wildcard = true, x.form = IntEntry::Wild, x.hi = max;
      out.push_back(x);
      continue;
    }
    const size_t dash = e.find('-');
    if (dash == std::string::npos) {
      auto n = parse_uint(e, max);
      if (!n) return fail("bad number");
      x.lo = x.hi = *n;
    } else {
      const std::string l = trim(e.substr(0, dash)), h = trim(e.substr(dash + 1));
      if (l == "*" && h == "*") return fail("'*-*' is not an entry");
      std::optional<uint64_t> a = l == "*" ? std::optional<uint64_t>(0) : parse_uint(l, max);
      std::optional<uint64_t> b = h == "*" ? std::optional<uint64_t>(max) : parse_uint(h, max);
      if (!a || !b) return fail("bad number");
      if (*a > *b) return fail("range low > high");
      x.lo = *a, x.hi = *b, x.form = (l == "*" || h == "*") ? IntEntry::OpenRange : IntEntry::Range;
    }
    out.push_back(x);
  }
  return out;
}

bool field_matches(const std::vector<AddrEntry>& f, bool v6, const Addr& a) {
  bool any_pos = false, pos_hit = false;
  for (const auto& e : f) {
    const bool hit = e.wildcard || (e.v6 == v6 && !(a < e.lo) && !(e.hi < a));
    if (e.neg) {
      if (hit) return false;
    } else {
      any_pos = true;
      pos_hit = pos_hit || hit;
    }
  }
  return !any_pos || pos_hit;
}

bool field_matches(const std::vector<IntEntry>& f, uint64_t v) {
  bool any_pos = false, pos_hit = false;
  for (const auto& e : f) {
    const bool hit = e.wildcard || (v >= e.lo && v <= e.hi);
    if (e.neg) {
      if (hit) return false;
    } else {
      any_pos = true;
      pos_hit = pos_hit || hit;
    }
  }
  return !any_pos || pos_hit;
}

bool filter_matches(const Filter& f, const Headers& h) {
  if (f.src && !field_matches(*f.src, h.v6, h.src)) return false;
  if (f.dst && !field_matches(*f.dst, h.v6, h.dst)) return false;
  if (f.proto && !field_matches(*f.proto, h.proto)) return false;
  if (f.sport || f.dport) {
    if (!h.has_ports) return false;
    if (f.sport && !field_matches(*f.sport, h.sport)) return false;
    if (f.dport && !field_matches(*f.dport, h.dport)) return false;
  }
  if (f.itype || f.icode) {
    if (!h.has_icmp) return false;
    if (f.itype && !field_matches(*f.itype, h.itype)) return false;
    if (f.icode && !field_matches(*f.icode, h.icode)) return false;
  }
  return true;
}

std::string addr_text(bool v6, const Addr& a) {
  char buf[64] = {0};
  if (v6) {
    inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, a.data() + 12, buf, sizeof buf);
  }
  return buf;
}

}  // namespace dfc::tb::ref
