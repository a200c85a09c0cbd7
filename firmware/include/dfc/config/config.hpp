// The card's `services { dynamic-flow-capture { ... } }` configuration (reference §2.3/§2.4):
// the object model, a parser for Junos curly-brace syntax as an operator would paste it, and
// semantic validation. Accepted top levels: `services { dynamic-flow-capture { ... } }`,
// `services dynamic-flow-capture { ... }` or `dynamic-flow-capture { ... }`; other services
// under `services` are ignored. Comments: `#` to end of line and `/* ... */`.
// Errors throw ConfigError whose what() is "file:line:col: message".
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dfc/util/raise.hpp"

namespace dfc::config {

struct NotificationTarget {
  std::string address;
  uint16_t port = 0;
};

struct ControlSource {
  std::string id;
  std::vector<std::string> source_addresses;  // empty: any source address (documented choice)
  uint16_t service_port = 0;                  // required, 1..65535
  std::string shared_key;                     // required; plain text ("$9$" not supported)
  std::vector<NotificationTarget> notification_targets;
  std::vector<std::string> allowed_destinations;  // empty: all of the group's destinations
  uint32_t minimum_priority = 0;                  // 0..254
  bool no_syslog = false;
};

struct ContentDestination {
  std::string id;
  std::string address;  // required, outer IP-IP destination
  uint8_t ttl = 255;
  // bit/s, 10-second averages (0 / absent = not configured)
  std::optional<uint64_t> hard_limit, hard_limit_target, soft_limit, soft_limit_clear;
};

struct CaptureGroup {
  std::string name;
  std::vector<std::string> interfaces;
  std::optional<uint64_t> input_packet_rate_threshold;  // packets/s, 0..1000000
  std::optional<uint32_t> pic_memory_threshold;          // percent 0..100
  std::optional<uint32_t> max_duplicates;                // 1..64, overrides g-max-duplicates
  std::optional<uint32_t> duplicates_dropped_periodicity;  // seconds, overrides global
  std::vector<ControlSource> control_sources;
  std::vector<ContentDestination> content_destinations;

  const ControlSource* control_source(std::string_view id) const;
  const ContentDestination* content_destination(std::string_view id) const;
};

struct DfcConfig {
  uint32_t g_max_duplicates = 3;                   // 1..64
  uint32_t g_duplicates_dropped_periodicity = 30;  // seconds
  std::vector<CaptureGroup> capture_groups;

  uint32_t max_duplicates(const CaptureGroup& g) const {
    return g.max_duplicates.value_or(g_max_duplicates);
  }
  uint32_t duplicates_dropped_periodicity(const CaptureGroup& g) const {
    return g.duplicates_dropped_periodicity.value_or(g_duplicates_dropped_periodicity);
  }
  // Control-source ids are unique within a group; the same id in two groups is accepted only
  // when (service-port, source-addresses) tell them apart (validated). find_control_source
  // returns the first group's.
  struct CsRef {
    const CaptureGroup* group = nullptr;
    const ControlSource* cs = nullptr;
  };
  CsRef find_control_source(std::string_view id) const;
};

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int col, const std::string& msg);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int col() const { return col_; }
  const std::string& message() const { return msg_; }
  // "file:line:col: message", what() of such an error.
  static std::string format(const std::string& file, int line, int col, const std::string& msg);

 private:
  std::string file_;
  int line_, col_;
  std::string msg_;
};

// The message raise<ConfigError>(file, line, col, msg) carries where there are no exceptions.
inline std::string raise_message(RaiseTag<ConfigError>, const std::string& file, int line, int col,
                                 const std::string& msg) {
  return ConfigError::format(file, line, col, msg);
}

// Parses and validates. Throws ConfigError.
DfcConfig parse_config(std::string_view text, std::string_view filename = "<config>");
// Reads the file then parse_config(text, path). Throws ConfigError (line 0) if unreadable.
// Host only (src/host/config_file.cpp): the card image gets its text from the boot block.
DfcConfig load_config(const std::string& path);

// True when both are the same IP address (IPv4 or IPv6), however written ("10.0.0.01" and
// "10.0.0.1", "2001:DB8::1" and "2001:db8:0::1"). False if either is not an address.
bool same_ip_address(std::string_view a, std::string_view b);

// "90k" -> 90000, "1m" -> 1000000, "2g", plain digits. nullopt if malformed / overflow.
std::optional<uint64_t> parse_scaled(std::string_view s);

}  // namespace dfc::config
