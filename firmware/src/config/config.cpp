#include "dfc/config/config.hpp"

#include <algorithm>

#include "dfc/util/raise.hpp"
#include "dfc/util/text.hpp"

namespace dfc::config {
namespace {

struct Loc {
  int line = 1, col = 1;
};

struct Word {
  std::string text;
  bool quoted = false;
  bool is_list = false;
  std::vector<Word> items;  // is_list
  Loc loc;
};

struct Stmt {
  std::vector<Word> words;
  bool has_block = false;
  std::vector<Stmt> children;
  Loc loc;
  Loc end;  // location of ';' or '}' closing it
};

enum class TokKind { Word, String, LBrace, RBrace, Semi, LBracket, RBracket, End };
struct Tok {
  TokKind kind;
  std::string text;
  Loc loc;
};

std::string describe(const Tok& t) {
  switch (t.kind) {
    case TokKind::Word: return "'" + t.text + "'";
    case TokKind::String: return "string \"" + t.text + "\"";
    case TokKind::LBrace: return "'{'";
    case TokKind::RBrace: return "'}'";
    case TokKind::Semi: return "';'";
    case TokKind::LBracket: return "'['";
    case TokKind::RBracket: return "']'";
    case TokKind::End: return "end of input";
  }
  return "?";
}

class Parser {
 public:
  Parser(std::string_view text, std::string file) : s_(text), file_(std::move(file)) {}

  [[noreturn]] void fail(Loc l, const std::string& msg) const { raise<ConfigError>(file_, l.line, l.col, msg); }

  std::vector<Stmt> parse_all() {
    next();
    std::vector<Stmt> out = parse_stmts(0);
    if (tok_.kind != TokKind::End) fail(tok_.loc, "unexpected " + describe(tok_) + ", expected a statement");
    return out;
  }

 private:
  std::string_view s_;
  std::string file_;
  size_t i_ = 0;
  Loc at_;
  Tok tok_{TokKind::End, "", {}};

  char peekc(size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  void adv() {
    if (i_ >= s_.size()) return;
    if (s_[i_] == '\n') {
      ++at_.line;
      at_.col = 1;
    } else {
      ++at_.col;
    }
    ++i_;
  }

  void next() {
    for (;;) {
      while (i_ < s_.size() && (peekc() == ' ' || peekc() == '\t' || peekc() == '\r' || peekc() == '\n')) adv();
      if (peekc() == '#') {
        while (i_ < s_.size() && peekc() != '\n') adv();
        continue;
      }
      if (peekc() == '/' && peekc(1) == '*') {
        Loc start = at_;
        adv();
        adv();
        while (i_ < s_.size() && !(peekc() == '*' && peekc(1) == '/')) adv();
        if (i_ >= s_.size()) fail(start, "unterminated comment");
        adv();
        adv();
        continue;
      }
      break;
    }
    tok_.loc = at_;
    tok_.text.clear();
    if (i_ >= s_.size()) {
      tok_.kind = TokKind::End;
      return;
    }
    char c = peekc();
    switch (c) {
      case '{': tok_.kind = TokKind::LBrace; adv(); return;
      case '}': tok_.kind = TokKind::RBrace; adv(); return;
      case ';': tok_.kind = TokKind::Semi; adv(); return;
      case '[': tok_.kind = TokKind::LBracket; adv(); return;
      case ']': tok_.kind = TokKind::RBracket; adv(); return;
      default: break;
    }
    if (c == '"') {
      Loc start = at_;
      adv();
      tok_.kind = TokKind::String;
      while (i_ < s_.size() && peekc() != '"') {
        if (peekc() == '\n') fail(start, "unterminated string");
        if (peekc() == '\\' && i_ + 1 < s_.size()) adv();
        tok_.text.push_back(peekc());
        adv();
      }
      if (i_ >= s_.size()) fail(start, "unterminated string");
      adv();
      return;
    }
    tok_.kind = TokKind::Word;
    while (i_ < s_.size()) {
      char d = peekc();
      if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == '{' || d == '}' || d == ';' || d == '[' ||
          d == ']' || d == '"')
        break;
      auto u = static_cast<unsigned char>(d);
      if (u < 0x20 || u == 0x7f) fail(at_, "unexpected control character");
      tok_.text.push_back(d);
      adv();
    }
  }

  std::vector<Stmt> parse_stmts(int depth) {
    if (depth > 32) fail(tok_.loc, "nesting too deep");
    std::vector<Stmt> out;
    while (tok_.kind == TokKind::Word || tok_.kind == TokKind::String) out.push_back(parse_stmt(depth));
    return out;
  }

  Stmt parse_stmt(int depth) {
    Stmt st;
    st.loc = tok_.loc;
    for (;;) {
      if (tok_.kind == TokKind::Word || tok_.kind == TokKind::String) {
        st.words.push_back(Word{tok_.text, tok_.kind == TokKind::String, false, {}, tok_.loc});
        next();
      } else if (tok_.kind == TokKind::LBracket) {
        Word w;
        w.is_list = true;
        w.loc = tok_.loc;
        next();
        while (tok_.kind == TokKind::Word || tok_.kind == TokKind::String) {
          w.items.push_back(Word{tok_.text, tok_.kind == TokKind::String, false, {}, tok_.loc});
          next();
        }
        if (tok_.kind != TokKind::RBracket) fail(tok_.loc, "expected ']' or a value, got " + describe(tok_));
        next();
        st.words.push_back(std::move(w));
      } else {
        break;
      }
    }
    if (tok_.kind == TokKind::Semi) {
      st.end = tok_.loc;
      next();
      return st;
    }
    if (tok_.kind == TokKind::LBrace) {
      Loc open = tok_.loc;
      next();
      st.has_block = true;
      st.children = parse_stmts(depth + 1);
      if (tok_.kind != TokKind::RBrace) {
        if (tok_.kind == TokKind::End) fail(open, "'{' is never closed (expected '}')");
        fail(tok_.loc, "expected a statement or '}', got " + describe(tok_));
      }
      st.end = tok_.loc;
      next();
      return st;
    }
    fail(tok_.loc, "expected ';' or '{' after '" + st.words.back().text + "', got " + describe(tok_));
  }
};

// ---------------------------------------------------------------------------------------------
class Builder {
 public:
  explicit Builder(std::string file) : file_(std::move(file)) {}
  [[noreturn]] void fail(Loc l, const std::string& msg) const { raise<ConfigError>(file_, l.line, l.col, msg); }

  DfcConfig build(const std::vector<Stmt>& top) {
    bool found = false;
    for (const Stmt& st : top) {
      const std::string& w0 = st.words[0].text;
      if (w0 == "services" && st.words.size() == 1 && st.has_block) {
        for (const Stmt& c : st.children)
          if (c.words[0].text == "dynamic-flow-capture") {
            want_block(c, 1);
            dfc(c);
            found = true;
          }
      } else if (w0 == "services" && st.words.size() == 2 && st.words[1].text == "dynamic-flow-capture") {
        want_block(st, 2);
        dfc(st);
        found = true;
      } else if (w0 == "dynamic-flow-capture") {
        want_block(st, 1);
        dfc(st);
        found = true;
      } else {
        fail(st.loc, "unexpected '" + w0 + "', expected 'services' or 'dynamic-flow-capture'");
      }
    }
    if (!found) fail(Loc{}, "no 'dynamic-flow-capture' configuration found (expected 'services { dynamic-flow-capture { ... } }')");
    validate();
    return cfg_;
  }

 private:
  std::string file_;
  DfcConfig cfg_;

  void want_block(const Stmt& st, size_t nwords) {
    if (st.words.size() != nwords) {
      const Word& w = st.words[std::min(nwords, st.words.size() - 1)];
      fail(w.loc, "unexpected '" + w.text + "', expected '{'");
    }
    if (!st.has_block) fail(st.end, "expected '{' after '" + st.words.back().text + "'");
  }
  void want_leaf(const Stmt& st, size_t nwords, const char* what) {
    if (st.has_block) fail(st.loc, "'" + st.words[0].text + "' takes no block");
    if (st.words.size() != nwords) {
      if (st.words.size() < nwords) fail(st.end, std::string("expected ") + what + " after '" + st.words.back().text + "'");
      fail(st.words[nwords].loc, "unexpected '" + st.words[nwords].text + "', expected ';'");
    }
    for (size_t i = 1; i < st.words.size(); ++i)
      if (st.words[i].is_list) fail(st.words[i].loc, std::string("expected ") + what + ", got a list");
  }
  uint64_t number(const Word& w, uint64_t lo, uint64_t hi, const char* what, bool scaled = false) {
    auto v = scaled ? parse_scaled(w.text) : util::parse_u64(w.text);
    if (!v) fail(w.loc, std::string("expected ") + what + ", got '" + w.text + "'");
    if (*v < lo || *v > hi)
      fail(w.loc, std::string(what) + " " + w.text + " out of range " + std::to_string(lo) + ".." + std::to_string(hi));
    return *v;
  }
  std::vector<Word> values(const Stmt& st, const char* what) {
    if (st.has_block) fail(st.loc, "'" + st.words[0].text + "' takes no block");
    if (st.words.size() < 2) fail(st.end, std::string("expected ") + what + " after '" + st.words[0].text + "'");
    std::vector<Word> out;
    for (size_t i = 1; i < st.words.size(); ++i) {
      if (st.words[i].is_list) {
        for (const Word& w : st.words[i].items) out.push_back(w);
      } else {
        out.push_back(st.words[i]);
      }
    }
    if (out.empty()) fail(st.words[1].loc, std::string("expected ") + what + ", got an empty list");
    return out;
  }
  std::string address(const Word& w, bool allow_slash32) {
    std::string t = w.text;
    if (allow_slash32) {
      size_t sl = t.find('/');
      if (sl != std::string::npos) {
        std::string len = t.substr(sl + 1);
        t = t.substr(0, sl);
        bool v6 = t.find(':') != std::string::npos;
        if (len != (v6 ? "128" : "32")) fail(w.loc, "source address '" + w.text + "' must be a host address (/32)");
      }
    }
    if (!util::parse_ipv4(t) && !util::parse_ipv6(t)) fail(w.loc, "expected an IP address, got '" + w.text + "'");
    return t;
  }
  std::string ident(const Word& w, size_t maxlen, const char* what) {
    if (w.is_list || w.text.empty()) fail(w.loc, std::string("expected ") + what);
    if (w.text.size() > maxlen) fail(w.loc, std::string(what) + " longer than " + std::to_string(maxlen) + " characters");
    for (char c : w.text) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f || c == ',' || c == '\\')
        fail(w.loc, std::string(what) + " '" + w.text + "' contains a character DTCP identifiers cannot carry");
    }
    return w.text;
  }

  void dfc(const Stmt& st) {
    for (const Stmt& c : st.children) {
      const std::string& k = c.words[0].text;
      if (k == "g-max-duplicates") {
        want_leaf(c, 2, "a number");
        cfg_.g_max_duplicates = static_cast<uint32_t>(number(c.words[1], 1, 64, "g-max-duplicates"));
      } else if (k == "g-duplicates-dropped-periodicity") {
        want_leaf(c, 2, "seconds");
        cfg_.g_duplicates_dropped_periodicity =
            static_cast<uint32_t>(number(c.words[1], 1, 86400, "g-duplicates-dropped-periodicity"));
      } else if (k == "capture-group") {
        if (c.words.size() < 2) fail(c.end, "expected a capture-group name");
        want_block(c, 2);
        group(c);
      } else if (k == "traceoptions") {
        // accepted and ignored (no trace files on the simulated card)
      } else {
        fail(c.loc, "unknown statement '" + k +
                        "' in dynamic-flow-capture (expected capture-group, g-max-duplicates or "
                        "g-duplicates-dropped-periodicity)");
      }
    }
  }

  void group(const Stmt& st) {
    CaptureGroup g;
    g.name = ident(st.words[1], 64, "capture-group name");
    for (const auto& og : cfg_.capture_groups)
      if (og.name == g.name) fail(st.words[1].loc, "capture-group '" + g.name + "' defined twice");
    std::vector<Loc> csl, cdl, al;
    for (const Stmt& c : st.children) {
      const std::string& k = c.words[0].text;
      if (k == "interfaces") {
        for (const Word& w : values(c, "an interface name")) g.interfaces.push_back(w.text);
      } else if (k == "input-packet-rate-threshold") {
        want_leaf(c, 2, "a rate");
        g.input_packet_rate_threshold = number(c.words[1], 0, 1000000, "input-packet-rate-threshold (pps)", true);
      } else if (k == "pic-memory-threshold") {
        if (c.words.size() == 3 && c.words[1].text == "percentage") {
          want_leaf(c, 3, "a percentage");
          g.pic_memory_threshold = static_cast<uint32_t>(number(c.words[2], 0, 100, "pic-memory-threshold percentage"));
        } else {
          fail(c.words.size() > 1 ? c.words[1].loc : c.end, "expected 'percentage <0..100>' after 'pic-memory-threshold'");
        }
      } else if (k == "max-duplicates") {
        want_leaf(c, 2, "a number");
        g.max_duplicates = static_cast<uint32_t>(number(c.words[1], 1, 64, "max-duplicates"));
      } else if (k == "duplicates-dropped-periodicity") {
        want_leaf(c, 2, "seconds");
        g.duplicates_dropped_periodicity =
            static_cast<uint32_t>(number(c.words[1], 1, 86400, "duplicates-dropped-periodicity"));
      } else if (k == "control-source") {
        if (c.words.size() < 2) fail(c.end, "expected a control-source identifier");
        want_block(c, 2);
        g.control_sources.push_back(control_source(c, al));
        csl.push_back(c.words[1].loc);
      } else if (k == "content-destination") {
        if (c.words.size() < 2) fail(c.end, "expected a content-destination identifier");
        want_block(c, 2);
        g.content_destinations.push_back(content_destination(c));
        cdl.push_back(c.words[1].loc);
      } else {
        fail(c.loc, "unknown statement '" + k +
                        "' in capture-group (expected interfaces, input-packet-rate-threshold, "
                        "pic-memory-threshold, max-duplicates, duplicates-dropped-periodicity, "
                        "control-source or content-destination)");
      }
    }
    // Semantic checks within the group.
    for (size_t i = 0; i < g.content_destinations.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (g.content_destinations[i].id == g.content_destinations[j].id)
          fail(cdl[i], "content-destination '" + g.content_destinations[i].id + "' defined twice");
    size_t ai = 0;
    for (const ControlSource& cs : g.control_sources)
      for (const std::string& d : cs.allowed_destinations) {
        if (!g.content_destination(d))
          fail(al[ai], "allowed-destinations of control-source '" + cs.id + "' names unknown content-destination '" + d +
                           "' (not defined in capture-group '" + g.name + "')");
        ++ai;
      }
    // Control-source ids: unique within a group. The same id may be configured in another
    // group only when a request can still be attributed to exactly one of them by its
    // destination (service) port and source address (docs/dtcp-conformance.md).
    for (size_t i = 0; i < g.control_sources.size(); ++i) {
      const ControlSource& a = g.control_sources[i];
      for (size_t j = 0; j < i; ++j)
        if (a.id == g.control_sources[j].id) fail(csl[i], "control-source '" + a.id + "' defined twice");
      for (const CaptureGroup& og : cfg_.capture_groups)
        if (const ControlSource* b = og.control_source(a.id); b && !distinguishable(a, *b))
          fail(csl[i], "control-source '" + a.id + "' is also defined in capture-group '" + og.name +
                           "' with the same service-port and overlapping (or unrestricted) source-addresses, so "
                           "requests could not be attributed to one of them; give one of them another "
                           "service-port or disjoint source-addresses");
    }
    cfg_.capture_groups.push_back(std::move(g));
  }

  // Two same-named control sources can be told apart by (service port, source address).
  static bool distinguishable(const ControlSource& a, const ControlSource& b) {
    if (a.service_port != b.service_port) return true;
    if (a.source_addresses.empty() || b.source_addresses.empty()) return false;
    for (const auto& x : a.source_addresses)
      for (const auto& y : b.source_addresses)
        if (same_ip_address(x, y)) return false;
    return true;
  }

  ControlSource control_source(const Stmt& st, std::vector<Loc>& allowed_locs) {
    ControlSource cs;
    cs.id = ident(st.words[1], 48, "control-source identifier");
    bool have_port = false, have_key = false, have_minprio = false;
    for (const Stmt& c : st.children) {
      const std::string& k = c.words[0].text;
      if (k == "source-addresses") {
        for (const Word& w : values(c, "an IP address")) cs.source_addresses.push_back(address(w, true));
      } else if (k == "service-port") {
        want_leaf(c, 2, "a UDP port");
        cs.service_port = static_cast<uint16_t>(number(c.words[1], 1, 65535, "service-port"));
        have_port = true;
      } else if (k == "shared-key") {
        want_leaf(c, 2, "a key");
        const std::string& key = c.words[1].text;
        if (key.rfind("$9$", 0) == 0)
          fail(c.words[1].loc, "encrypted \"$9$\" shared keys are not supported; give the key as a plain quoted string");
        if (key.empty()) fail(c.words[1].loc, "shared-key must not be empty");
        cs.shared_key = key;
        have_key = true;
      } else if (k == "notification-targets") {
        if (c.has_block) {
          if (c.words.size() != 1) fail(c.words[1].loc, "unexpected '" + c.words[1].text + "' before '{'");
          for (const Stmt& t : c.children) cs.notification_targets.push_back(target(t.words, t.end, t.has_block, t.loc));
        } else {
          std::vector<Word> rest(c.words.begin() + 1, c.words.end());
          cs.notification_targets.push_back(target(rest, c.end, false, c.loc));
        }
      } else if (k == "allowed-destinations") {
        for (const Word& w : values(c, "a content-destination identifier")) {
          cs.allowed_destinations.push_back(w.text);
          allowed_locs.push_back(w.loc);
        }
      } else if (k == "minimum-priority") {
        want_leaf(c, 2, "a priority");
        cs.minimum_priority = static_cast<uint32_t>(number(c.words[1], 0, 254, "minimum-priority"));
        have_minprio = true;
      } else if (k == "no-syslog") {
        want_leaf(c, 1, "nothing");
        cs.no_syslog = true;
      } else {
        fail(c.loc, "unknown statement '" + k +
                        "' in control-source (expected source-addresses, service-port, shared-key, "
                        "notification-targets, allowed-destinations, minimum-priority or no-syslog)");
      }
    }
    (void)have_minprio;
    if (!have_port) fail(st.end, "control-source '" + cs.id + "' needs a service-port");
    if (!have_key) fail(st.end, "control-source '" + cs.id + "' needs a shared-key");
    return cs;
  }

  NotificationTarget target(const std::vector<Word>& w, Loc end, bool block, Loc loc) {
    if (block) fail(loc, "notification target takes no block");
    if (w.empty()) fail(end, "expected '<address> port <port>'");
    NotificationTarget t;
    if (w[0].is_list) fail(w[0].loc, "expected '<address> port <port>'");
    t.address = address(w[0], false);
    if (w.size() < 3 || w[1].text != "port")
      fail(w.size() > 1 ? w[1].loc : end, "expected 'port <1..65535>' after notification target address");
    if (w.size() > 3) fail(w[3].loc, "unexpected '" + w[3].text + "', expected ';'");
    t.port = static_cast<uint16_t>(number(w[2], 1, 65535, "notification target port"));
    return t;
  }

  ContentDestination content_destination(const Stmt& st) {
    ContentDestination cd;
    cd.id = ident(st.words[1], 48, "content-destination identifier");
    bool have_addr = false;
    Loc hl{}, sl{};
    for (const Stmt& c : st.children) {
      const std::string& k = c.words[0].text;
      if (k == "address") {
        want_leaf(c, 2, "an IP address");
        cd.address = address(c.words[1], false);
        // Copies leave unit 2 (family inet) as IP-IP under an IPv4 outer header; an IPv6
        // destination could never receive one (docs/dtcp-conformance.md, "IPv6 content
        // destinations").
        if (!util::parse_ipv4(cd.address))
          fail(c.words[1].loc, "content-destination '" + cd.id + "' address '" + cd.address +
                                   "' is not IPv4: copies are sent IP-IP with an IPv4 outer header (unit 2 is "
                                   "family inet), so IPv6 content destinations are not supported; give an IPv4 address");
        have_addr = true;
      } else if (k == "ttl") {
        want_leaf(c, 2, "a TTL");
        cd.ttl = static_cast<uint8_t>(number(c.words[1], 0, 255, "ttl"));
      } else if (k == "hard-limit" || k == "hard-limit-target" || k == "soft-limit" || k == "soft-limit-clear") {
        want_leaf(c, 2, "a bandwidth in bit/s");
        uint64_t v = number(c.words[1], 0, ~0ull, "bandwidth (bit/s)", true);
        if (k == "hard-limit") cd.hard_limit = v, hl = c.loc;
        else if (k == "hard-limit-target") cd.hard_limit_target = v, hl = c.loc;
        else if (k == "soft-limit") cd.soft_limit = v, sl = c.loc;
        else cd.soft_limit_clear = v, sl = c.loc;
      } else {
        fail(c.loc, "unknown statement '" + k +
                        "' in content-destination (expected address, ttl, hard-limit, "
                        "hard-limit-target, soft-limit or soft-limit-clear)");
      }
    }
    if (!have_addr) fail(st.end, "content-destination '" + cd.id + "' needs an address");
    if (cd.hard_limit && cd.hard_limit_target && *cd.hard_limit_target > *cd.hard_limit)
      fail(hl, "hard-limit-target must not exceed hard-limit");
    if (cd.soft_limit && cd.soft_limit_clear && *cd.soft_limit_clear > *cd.soft_limit)
      fail(sl, "soft-limit-clear must not exceed soft-limit");
    return cd;
  }

  void validate() {}
};

}  // namespace

std::string ConfigError::format(const std::string& file, int line, int col, const std::string& msg) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + msg;
}

ConfigError::ConfigError(std::string file, int line, int col, const std::string& msg)
    : std::runtime_error(format(file, line, col, msg)), file_(std::move(file)), line_(line), col_(col), msg_(msg) {}

const ControlSource* CaptureGroup::control_source(std::string_view id) const {
  for (const auto& c : control_sources)
    if (c.id == id) return &c;
  return nullptr;
}
const ContentDestination* CaptureGroup::content_destination(std::string_view id) const {
  for (const auto& c : content_destinations)
    if (c.id == id) return &c;
  return nullptr;
}

DfcConfig::CsRef DfcConfig::find_control_source(std::string_view id) const {
  for (const auto& g : capture_groups)
    if (const ControlSource* c = g.control_source(id)) return CsRef{&g, c};
  return {};
}

bool same_ip_address(std::string_view a, std::string_view b) {
  const auto a4 = util::parse_ipv4(a), b4 = util::parse_ipv4(b);
  if (a4 || b4) return a4 && b4 && *a4 == *b4;
  const auto a6 = util::parse_ipv6(a), b6 = util::parse_ipv6(b);
  return a6 && b6 && *a6 == *b6;
}

std::optional<uint64_t> parse_scaled(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t mult = 1;
  char last = s.back();
  if (last == 'k' || last == 'K') mult = 1000;
  else if (last == 'm' || last == 'M') mult = 1000000;
  else if (last == 'g' || last == 'G') mult = 1000000000;
  if (mult != 1) s.remove_suffix(1);
  auto v = util::parse_u64(s);
  if (!v) return std::nullopt;
  if (*v > ~0ull / mult) return std::nullopt;
  return *v * mult;
}

DfcConfig parse_config(std::string_view text, std::string_view filename) {
  Parser p(text, std::string(filename));
  std::vector<Stmt> top = p.parse_all();
  Builder b{std::string(filename)};
  return b.build(top);
}

}  // namespace dfc::config
