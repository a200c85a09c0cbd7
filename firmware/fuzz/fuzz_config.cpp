// libFuzzer target: the Junos configuration parser and validation. Either a ConfigError
// (with a positive line for non-empty input problems) or a configuration whose lookups work.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dfc/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto cfg = dfc::config::parse_config(text, "fuzz.conf");
    for (const auto& g : cfg.capture_groups) {
      (void)cfg.max_duplicates(g);
      for (const auto& cs : g.control_sources) {
        if (cfg.find_control_source(cs.id).cs != &cs) __builtin_trap();  // ids unique
        for (const auto& d : cs.allowed_destinations)
          if (!g.content_destination(d)) __builtin_trap();  // validated
      }
    }
  } catch (const dfc::config::ConfigError& e) {
    if (e.line() < 1 || e.col() < 1) __builtin_trap();
  }
  return 0;
}
