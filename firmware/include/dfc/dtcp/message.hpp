// DTCP message framing (reference §1.4): command/status line, `Name COL Value` parameter
// lines, Authentication-Info last (anything after it ignored), empty line ends the message.
// The parser is deliberately lenient about framing (bare LF, trailing whitespace) and never
// throws: lines it cannot read are collected in bad_lines so that the server can first
// authenticate the message and only then answer 400 echoing the offending line.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/util/text.hpp"

namespace dfc::dtcp {

struct Param {
  std::string name;   // as written
  std::string value;  // trailing whitespace removed; escapes NOT decoded (see unescape)
  Param() = default;
  // Built in place from the message's bytes (emplace_back): a Param built and then moved would
  // copy both strings twice on the card, where short strings live inside the string object.
  Param(std::string_view n, std::string_view v) : name(n), value(v) {}
};

struct Version {
  int major = 0, minor = 0;
  friend bool operator==(Version a, Version b) { return a.major == b.major && a.minor == b.minor; }
  friend bool operator<(Version a, Version b) {
    return a.major != b.major ? a.major < b.major : a.minor < b.minor;
  }
  std::string str() const;  // "DTCP/0.7"
  void append_to(std::string& out) const;  // the same text, appended (no temporaries)
};

// v in decimal appended to out, digit by digit: no temporary string, and 32-bit divisions
// whenever v fits (a 64-bit division is a library call on the 32-bit card).
void append_decimal(std::string& out, uint64_t v);
// The same digits written at out (room for 20), their count returned.
size_t format_decimal(char* out, uint64_t v);

struct Message {
  std::string first_line;        // without terminator, trailing whitespace removed
  bool first_line_ok = false;    // shaped like a request line or a status line
  bool is_status = false;        // status line (reply / notification)
  std::string method;            // request: method token as written
  std::string version_text;      // the DTCP-Version token as written
  std::optional<Version> version;  // nullopt when malformed
  int status = 0;                // status line: 3-digit code
  std::string reason;            // status line: reason phrase
  std::vector<Param> params;     // in order, excluding Authentication-Info
  std::vector<std::string> bad_lines;  // parameter lines that are not `Name COL Value`
  bool has_auth = false;
  std::string auth;              // Authentication-Info value
  size_t signed_len = 0;         // bytes [0, signed_len) are covered by the digest

  // First occurrence, name compared case-insensitively (duplicates: first wins, §1.4).
  const Param* find(std::string_view name) const;
  std::optional<std::string> get(std::string_view name) const;
};

// nullopt only when there is no first line at all (empty datagram / starts with an empty line).
std::optional<Message> parse_message(std::string_view bytes);
// The same into m, a Message as default-constructed: false when there is no first line. For the
// server, which parses every request in place rather than moving a Message out (each of its
// strings a copy on the card).
bool parse_message(std::string_view bytes, Message& m);

// Verifies the message's Authentication-Info with key over bytes[0, signed_len).
bool verify(const Message& m, std::string_view bytes, const HmacKey& key);
bool verify(const Message& m, std::string_view bytes, std::string_view key);

// Parse + verify, for clients reading replies and notifications. nullopt if unparsable or the
// signature does not verify.
std::optional<Message> parse_and_verify(std::string_view bytes, const HmacKey& key);
std::optional<Message> parse_and_verify(std::string_view bytes, std::string_view key);

using util::iequals;  // dfc/util/text.hpp

// `\NNN` escapes (three decimal digits, value <= 255). nullopt on a malformed escape.
std::optional<std::string> unescape(std::string_view v);
// Escapes bytes outside VCHAR plus '\\' and ',' so the result is a single DSTRING token.
std::string escape(std::string_view v);

// Builds a message line by line (CRLF terminators) and signs it.
class MessageBuilder {
 public:
  static MessageBuilder request(std::string_view method, Version v);
  static MessageBuilder status(Version v, int code, std::string_view reason);
  MessageBuilder& add(std::string_view name, std::string_view value);
  MessageBuilder& add(std::string_view name, uint64_t value);
  // `name: ` appended; the caller writes the value into the returned text, then end_line().
  // For values formatted in place (timestamps), without a temporary string.
  std::string& open_line(std::string_view name);
  MessageBuilder& end_line();
  const std::string& text() const { return text_; }  // unsigned text so far
  size_t size() const { return text_.size(); }
  std::string signed_text(std::string_view key) const;  // text + Authentication-Info + CRLF CRLF
  // The same, signed in place and moved out (no copy of the text); the builder is left empty.
  std::string take_signed(const HmacKey& key);
  // The unsigned text moved out (signed later, where it is sent); the builder is left empty.
  std::string take();
 private:
  std::string text_;
};

}  // namespace dfc::dtcp
