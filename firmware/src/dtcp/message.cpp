#include "dfc/dtcp/message.hpp"

#include <utility>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/util/text.hpp"

namespace dfc::dtcp {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && (is_wsp(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The first max whitespace-separated tokens of s into out; their count. (A first line has two
// or three tokens that matter: a fixed array, no allocation.)
size_t split_ws(std::string_view s, std::string_view* out, size_t max) {
  size_t n = 0, i = 0;
  while (i < s.size() && n < max) {
    while (i < s.size() && is_wsp(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !is_wsp(s[j])) ++j;
    if (j > i) out[n++] = s.substr(i, j - i);
    i = j;
  }
  return n;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::optional<Version> parse_version(std::string_view t) {
  if (t.size() < 8 || t.substr(0, 5) != "DTCP/") return std::nullopt;
  t.remove_prefix(5);
  size_t dot = t.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string_view a = t.substr(0, dot), b = t.substr(dot + 1);
  if (!all_digits(a) || !all_digits(b) || a.size() > 4 || b.size() > 4) return std::nullopt;
  Version v;
  v.major = static_cast<int>(*util::parse_u64(a));  // 1..4 digits (checked above)
  v.minor = static_cast<int>(*util::parse_u64(b));
  return v;
}

void parse_first_line(Message& m) {
  // Three tokens tell a request line (exactly two) from anything longer.
  std::string_view toks[3];
  const size_t n = split_ws(m.first_line, toks, 3);
  if (n == 0) return;
  if (toks[0].size() >= 5 && toks[0].substr(0, 5) == "DTCP/") {
    // Status-Line = DTCP-Version SP Status-Code SP Reason-Phrase
    if (n < 2 || toks[1].size() != 3 || !all_digits(toks[1])) return;
    m.is_status = true;
    m.version_text.assign(toks[0]);
    m.version = parse_version(toks[0]);
    m.status = static_cast<int>(*util::parse_u64(toks[1]));  // 3 digits (checked above)
    size_t pos = static_cast<size_t>(toks[1].data() - m.first_line.data()) + 3;
    std::string_view r = std::string_view(m.first_line).substr(pos);
    while (!r.empty() && is_wsp(r.front())) r.remove_prefix(1);
    m.reason.assign(r);
    m.first_line_ok = m.version.has_value();
    return;
  }
  // Request-Line = Method SP DTCP-Version
  if (n != 2) return;
  m.method.assign(toks[0]);
  m.version_text.assign(toks[1]);
  m.version = parse_version(toks[1]);
  m.first_line_ok = true;  // a malformed version is reported as 400 by the server
}

}  // namespace

std::string Version::str() const {
  std::string s;
  append_to(s);
  return s;
}

void Version::append_to(std::string& out) const {
  out += "DTCP/";
  if (major < 0) out += '-';
  append_decimal(out, static_cast<uint64_t>(major < 0 ? -static_cast<int64_t>(major) : major));
  out += '.';
  if (minor < 0) out += '-';
  append_decimal(out, static_cast<uint64_t>(minor < 0 ? -static_cast<int64_t>(minor) : minor));
}

void append_decimal(std::string& out, uint64_t v) {
  char buf[20];
  out.append(buf, format_decimal(buf, v));
}

size_t format_decimal(char* out, uint64_t v) {
  char buf[20];
  char* p = buf + sizeof buf;
  while (v > 0xffffffffull) {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  auto w = static_cast<uint32_t>(v);
  do {
    *--p = static_cast<char>('0' + w % 10);
    w /= 10;
  } while (w);
  const auto n = static_cast<size_t>(buf + sizeof buf - p);
  for (size_t i = 0; i < n; ++i) out[i] = p[i];
  return n;
}


const Param* Message::find(std::string_view name) const {
  // Lengths first: most names differ in length, and the comparison is then not called.
  for (const Param& p : params)
    if (p.name.size() == name.size() && iequals(p.name, name)) return &p;
  return nullptr;
}

std::optional<std::string> Message::get(std::string_view name) const {
  const Param* p = find(name);
  if (!p) return std::nullopt;
  return p->value;
}

// Room for a typical request's parameters from the start (no regrowth, each moving every
// parameter parsed so far).
constexpr size_t kTypicalParams = 16;

std::optional<Message> parse_message(std::string_view bytes) {
  std::optional<Message> m(std::in_place);
  if (!parse_message(bytes, *m)) m.reset();
  return m;
}

bool parse_message(std::string_view bytes, Message& m) {
  m.params.reserve(kTypicalParams);
  size_t pos = 0;
  bool first = true;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    size_t end = (nl == std::string_view::npos) ? bytes.size() : nl;
    std::string_view raw = bytes.substr(pos, end - pos);
    size_t line_start = pos;
    pos = (nl == std::string_view::npos) ? bytes.size() : nl + 1;
    std::string_view line = rtrim(raw);
    if (first) {
      if (line.empty()) return false;
      m.first_line.assign(line);
      parse_first_line(m);
      first = false;
      continue;
    }
    if (line.empty()) break;  // the empty line ends the message
    // Name COL Value, COL = *WSP ":" *WSP
    size_t i = 0;
    while (i < line.size() && !is_wsp(line[i]) && line[i] != ':') ++i;
    std::string_view name = line.substr(0, i);
    size_t j = i;
    while (j < line.size() && is_wsp(line[j])) ++j;
    bool printable = true;
    for (char c : name)
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) printable = false;
    if (name.empty() || j >= line.size() || line[j] != ':' || !printable) {
      m.bad_lines.emplace_back(line);
      continue;
    }
    ++j;
    while (j < line.size() && is_wsp(line[j])) ++j;
    std::string_view value = line.substr(j);
    if (name.size() == 19 && iequals(name, "Authentication-Info")) {  // length first: one call per message
      m.has_auth = true;
      m.auth.assign(value);
      m.signed_len = line_start;
      break;  // Authentication-Info is last; anything after it is ignored
    }
    m.params.emplace_back(name, value);
  }
  if (first) return false;
  if (!m.has_auth) m.signed_len = bytes.size();
  return true;
}

bool verify(const Message& m, std::string_view bytes, const HmacKey& key) {
  if (!m.has_auth || m.signed_len > bytes.size()) return false;
  return digest_equal_hex(m.auth, key.mac(bytes.substr(0, m.signed_len)));
}

bool verify(const Message& m, std::string_view bytes, std::string_view key) {
  return verify(m, bytes, HmacKey(key));
}

std::optional<Message> parse_and_verify(std::string_view bytes, const HmacKey& key) {
  auto m = parse_message(bytes);
  if (!m || !verify(*m, bytes, key)) return std::nullopt;
  return m;
}

std::optional<Message> parse_and_verify(std::string_view bytes, std::string_view key) {
  return parse_and_verify(bytes, HmacKey(key));
}

std::optional<std::string> unescape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\') {
      out.push_back(v[i]);
      continue;
    }
    if (v.size() - i < 4) return std::nullopt;
    std::string_view d = v.substr(i + 1, 3);
    if (!all_digits(d)) return std::nullopt;
    int n = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    if (n > 255) return std::nullopt;
    out.push_back(static_cast<char>(n));
    i += 3;
  }
  return out;
}

std::string escape(std::string_view v) {
  std::string out;
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7e || c == '\\' || c == ',') {
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + c / 100));
      out.push_back(static_cast<char>('0' + (c / 10) % 10));
      out.push_back(static_cast<char>('0' + c % 10));
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// Room for a typical reply or notification with its signature from the start: the text then
// grows without being moved and copied at every doubling.
constexpr size_t kTypicalMessage = 256;

MessageBuilder MessageBuilder::request(std::string_view method, Version v) {
  MessageBuilder b;
  b.text_.reserve(kTypicalMessage);
  b.text_ += method;
  b.text_ += ' ';
  v.append_to(b.text_);
  b.text_ += "\r\n";
  return b;
}

MessageBuilder MessageBuilder::status(Version v, int code, std::string_view reason) {
  MessageBuilder b;
  b.text_.reserve(kTypicalMessage);
  v.append_to(b.text_);
  b.text_ += ' ';
  if (code < 0) b.text_ += '-';
  append_decimal(b.text_, static_cast<uint64_t>(code < 0 ? -static_cast<int64_t>(code) : code));
  b.text_ += ' ';
  b.text_ += reason;
  b.text_ += "\r\n";
  return b;
}

MessageBuilder& MessageBuilder::add(std::string_view name, std::string_view value) {
  text_ += name;
  text_ += ": ";
  text_ += value;
  text_ += "\r\n";
  return *this;
}

MessageBuilder& MessageBuilder::add(std::string_view name, uint64_t value) {
  append_decimal(open_line(name), value);
  return end_line();
}

std::string& MessageBuilder::open_line(std::string_view name) {
  text_ += name;
  text_ += ": ";
  return text_;
}

MessageBuilder& MessageBuilder::end_line() {
  text_ += "\r\n";
  return *this;
}

std::string MessageBuilder::signed_text(std::string_view key) const { return sign(text_, key); }

std::string MessageBuilder::take() {
  std::string out = std::move(text_);
  text_.clear();
  return out;
}

std::string MessageBuilder::take_signed(const HmacKey& key) {
  append_signature(text_, key);
  std::string out = std::move(text_);
  text_.clear();
  return out;
}

}  // namespace dfc::dtcp
