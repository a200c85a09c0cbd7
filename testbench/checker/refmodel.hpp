// The scoreboard's own reference model (private to the testbench): a DTCP message and criteria
// parser and a packet header parser written from the protocol reference and the RFCs. It uses
// no firmware code (only the plain dfc::Packet type), so the firmware and this model can
// disagree and the scoreboard shows it. See docs/scoreboard.md.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dfc/hal/packet.hpp"

namespace dfc::tb::ref {

// ---------------------------------------------------------------------------------------------
// DTCP messages

struct Message {
  // Requests: first = method (upper-cased), second = version. Replies/notifications: status.
  std::string method, version, reason;
  int status = 0;
  bool is_status = false;  // status line (reply or notification) vs request line
  // Lower-cased parameter name -> values in order of appearance (the first one counts, except
  // where a caller wants all occurrences). Authentication-Info and anything after it dropped.
  std::multimap<std::string, std::string> params;
  std::optional<std::string> get(const std::string& lower_name) const;
  std::vector<std::string> all(const std::string& lower_name) const;
};

// nullopt when the first line is neither "METHOD DTCP/x.y" nor "DTCP/x.y NNN reason".
std::optional<Message> parse_message(const std::string& bytes);

// One filter entry: value range [lo, hi] (addresses as 128-bit big-endian byte arrays; IPv4 in
// the last 4 bytes), or the `*` wildcard.
using Addr = std::array<uint8_t, 16>;
struct AddrEntry {
  bool wildcard = false, neg = false, v6 = false;
  Addr lo{}, hi{};
  enum Form { Single, Prefix, Range, OpenRange, Wild } form = Single;
};
struct IntEntry {
  bool wildcard = false, neg = false;
  uint64_t lo = 0, hi = 0;
  enum Form { Single, Range, OpenRange, Wild } form = Single;
};

// Comma lists (optional whitespace after commas), entries optionally negated with '!'.
// nullopt + *err when malformed.
std::optional<std::vector<AddrEntry>> parse_addr_list(const std::string& v, std::string* err);
std::optional<std::vector<IntEntry>> parse_int_list(const std::string& v, uint64_t max, std::string* err);
std::optional<uint64_t> parse_uint(const std::string& s, uint64_t max);
std::optional<Addr> parse_ipv4(const std::string& s);  // strict dotted quad
std::optional<Addr> parse_ipv6(const std::string& s);  // RFC 4291 text (inet_pton)

// A field matches iff (no positive entry, or some positive entry matches) and no negated
// entry matches. Absent field (nullopt) matches everything.
bool field_matches(const std::vector<AddrEntry>& f, bool v6, const Addr& a);
bool field_matches(const std::vector<IntEntry>& f, uint64_t v);

struct Filter {
  std::optional<std::vector<AddrEntry>> src, dst;
  std::optional<std::vector<IntEntry>> proto, sport, dport, itype, icode;
};

// ---------------------------------------------------------------------------------------------
// Packets

struct Headers {
  bool v6 = false;
  Addr src{}, dst{};
  uint8_t proto = 0;
  bool has_ports = false;
  uint16_t sport = 0, dport = 0;
  bool has_icmp = false;
  uint8_t itype = 0, icode = 0;
};

// Does the criterion's filter match these headers? (Ports named => only packets with L4 ports;
// ICMP fields named => only ICMP packets; docs/scoreboard.md.)
bool filter_matches(const Filter& f, const Headers& h);

struct ParsedPacket {
  enum Kind {
    Ip,          // a well-formed IPv4/IPv6 packet: headers valid, copies predicted
    NotIp,       // ARP, other ethertypes: never copied
    Mpls,        // MPLS: never copied
    Bad,         // truncated/inconsistent link or IP header: never copied
    Undecided,   // IP header fine but L4/extension header truncated, or IPv4 header checksum
                 // wrong: the model takes no position (copies accepted, not required)
  } kind = NotIp;
  std::string why;  // for Bad/Undecided
  Headers h;
  size_t ip_off = 0, ip_len = 0;  // the IP datagram inside Packet::data
  bool fragment = false, nonfirst = false;
  int vlan_tags = 0;
  int v6_ext_headers = 0;
};

ParsedPacket parse_packet(const Packet& p);

// HMAC-SHA1 (RFC 2104), the checker's own (refmodel_hmac.cpp): DTCP's Authentication-Info.
std::array<uint8_t, 20> sha1(const std::string& data);
std::array<uint8_t, 20> hmac_sha1(const std::string& key, const std::string& data);
std::string hex(const std::array<uint8_t, 20>& digest);  // lower-case

uint16_t ip_checksum(const uint8_t* p, size_t n);  // one's complement of the one's complement sum
std::string addr_text(bool v6, const Addr& a);

}  // namespace dfc::tb::ref
