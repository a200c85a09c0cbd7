// Text helpers shared by the configuration parser and the DTCP code (one place, so neither
// includes the other for them): whitespace trimming, comma lists, ASCII case, decimal
// numbers and IP address literals.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dfc/fw/match_term.hpp"  // fw::Addr128

namespace dfc::util {

// Without leading/trailing spaces and tabs.
std::string_view trim(std::string_view s);
// Splits at every `sep`, each piece trimmed (empty pieces kept: "a,,b" has three).
std::vector<std::string_view> split(std::string_view s, char sep = ',');
// ASCII lower case.
std::string lower(std::string_view s);
// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);
// 1..20 decimal digits, no sign, no overflow.
std::optional<uint64_t> parse_u64(std::string_view s);
// IPv4 dotted quad, 1..3 digits per part (DTCP grammar: "10.0.0.01" is 10.0.0.1); in Addr128.lo.
std::optional<fw::Addr128> parse_ipv4(std::string_view s);
// RFC 4291 text (inet_pton).
std::optional<fw::Addr128> parse_ipv6(std::string_view s);
// What inet_pton(AF_INET) accepts (four parts, no leading zeros), host byte order; and
// inet_pton(AF_INET6), network byte order. Portable: the card image has no C library.
std::optional<uint32_t> parse_inet4(std::string_view s);
std::optional<std::array<uint8_t, 16>> parse_inet6(std::string_view s);

}  // namespace dfc::util
