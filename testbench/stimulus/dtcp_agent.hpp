// A control source (mediation device) as the testbench plays it: numbers and signs its
// requests, checks the signatures of what the card sends back, and keeps the exchange.
// Written from the protocol reference alone; it shares no code with the firmware's DTCP
// server, so the two can disagree and a bug shows.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dfc::tb {

std::string hmac_sha1_hex(const std::string& key, const std::string& data);

struct DtcpReply {
  std::string version;
  int status = 0;
  std::string reason;
  std::multimap<std::string, std::string> params;  // lower-cased names
  bool signature_ok = false;
  uint64_t t_ps = 0;
  std::string raw;
  std::optional<std::string> get(const std::string& lower_name) const;
};

// Parses a reply or notification; verifies Authentication-Info with key. nullopt when the
// bytes are not a DTCP status message at all.
std::optional<DtcpReply> parse_reply(const std::string& bytes, const std::string& key);

class DtcpAgent {
 public:
  DtcpAgent(std::string csource_id, std::string key, uint64_t first_seq);
  // A request missing both Seq and Authentication-Info gets them (next Seq, this agent's
  // key); a request carrying either is returned byte for byte (forged/replayed scripts).
  // Line endings are normalised to CRLF in the first case only.
  std::string prepare(const std::string& request);
  // True when the request carries Seq or Authentication-Info (sent byte for byte).
  static bool carries_own_auth(const std::string& request);
  const std::string& csource_id() const { return id_; }
  const std::string& key() const { return key_; }
  uint64_t next_seq() const { return seq_; }

 private:
  std::string id_, key_;
  uint64_t seq_;
};

}  // namespace dfc::tb
