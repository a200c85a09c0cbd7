// HMAC-SHA1 (RFC 2104) over a portable SHA-1 of the firmware's own (the card image has no
// OpenSSL; one code path on host and card, docs/iss.md), and the DTCP signing rule (reference §1.6):
// the digest covers the raw bytes from the first byte of the command/status line through the
// CRLF ending the line before `Authentication-Info`, rendered as 40 lowercase hex digits.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dfc {
class Hal;
}

namespace dfc::dtcp {

using Digest = std::array<uint8_t, 20>;

Digest sha1(std::string_view data);

// One HMAC-SHA1 key with its inner and outer pads already compressed (the SHA-1 states after
// the 64-byte block key^ipad and key^opad, RFC 2104's precomputation). A key is set up once
// (the server: when a control source is configured); each MAC then costs the message's blocks
// and the outer hash's one, not two more blocks for the pads. It also keeps the key block K
// (the key zero-padded to 64 bytes, or its SHA-1 if longer): what a card's security engine
// takes (Hal::hmac_sha1), which pads the key itself.
class HmacKey {
 public:
  HmacKey() : HmacKey(std::string_view{}) {}  // the empty key
  explicit HmacKey(std::string_view key);
  // MACs go to the card's security engine through `hal` (null: never). A card without one
  // answers "no engine" and the MAC is computed here, as without an engine. The server sets it
  // once, when it builds the key, before any thread reads the key.
  void use_engine(Hal* hal) { engine_ = hal; }
  Digest mac(std::string_view data) const;
  // The software MAC, whatever the engine: the reference the engine is checked against.
  Digest mac_software(std::string_view data) const;

 private:
  std::array<uint32_t, 5> inner_{}, outer_{};
  alignas(4) std::array<uint8_t, 64> block_{};
  Hal* engine_ = nullptr;
};

Digest hmac_sha1(std::string_view key, std::string_view data);
std::string to_hex(const Digest& d);
std::string hmac_sha1_hex(std::string_view key, std::string_view data);

// Constant-time comparison of a received hex digest (any case) with the expected one.
bool digest_equal_hex(std::string_view received_hex, const Digest& expected);

// What a signature adds to a message: "Authentication-Info: " + 40 hex digits + CRLF CRLF.
constexpr size_t kSignatureBytes = 21 + 40 + 4;

// Signs message in place: appends "Authentication-Info: <hex>\r\n\r\n" over the message as it
// stands. message must already end with the CRLF of its last line (the Seq line for requests,
// the Timestamp line for notifications); it is hashed exactly as given.
void append_signature(std::string& message, const HmacKey& key);
// The same on a packet's bytes (the server signs a message where it sends it).
void append_signature(std::vector<uint8_t>& message, const HmacKey& key);

// Client/server helper: returns message_without_auth + "Authentication-Info: <hex>\r\n\r\n"
// (append_signature on a copy).
std::string sign(std::string_view message_without_auth, std::string_view key);
std::string sign(std::string_view message_without_auth, const HmacKey& key);

}  // namespace dfc::dtcp
