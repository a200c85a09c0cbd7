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

#include "dfc/util/text.hpp"

namespace dfc::dtcp {

struct Param {
  std::string name;   // as written
  std::string value;  // trailing whitespace removed; escapes NOT decoded (see unescape)
  std::string line;   // the raw line without its line terminator (for 400 echoes)
};

struct Version {
  int major = 0, minor = 0;
  friend bool operator==(Version a, Version b) { return a.major == b.major && a.minor == b.minor; }
  friend bool operator<(Version a, Version b) {
    return a.major != b.major ? a.major < b.major : a.minor < b.minor;
  }
  std::string str() const;  // "DTCP/0.7"
};

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

// Verifies the message's Authentication-Info with key over bytes[0, signed_len).
bool verify(const Message& m, std::string_view bytes, std::string_view key);

// Parse + verify, for clients reading replies and notifications. nullopt if unparsable or the
// signature does not verify.
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
  const std::string& text() const { return text_; }  // unsigned text so far
  size_t size() const { return text_.size(); }
  std::string signed_text(std::string_view key) const;  // text + Authentication-Info + CRLF CRLF
 private:
  std::string text_;
};

}  // namespace dfc::dtcp
