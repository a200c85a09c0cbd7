// The `services dynamic-flow-capture` configuration parser and its validation.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dfc/config/config.hpp"

using dfc::config::ConfigError;
using dfc::config::parse_config;

namespace {

// The reference's JEX example, with a plain key instead of "$9$...".
const char* kJex = R"(services dynamic-flow-capture {
  capture-group g1 {
    interfaces dfc-0/0/0;
    input-packet-rate-threshold 90k;
    pic-memory-threshold percentage 80;
    control-source cs1 {
      source-addresses 10.36.41.1;
      service-port 2400;
      notification-targets { 10.36.41.1 port 2100; }
      shared-key "Juniper";
      allowed-destinations cd1;
    }
    content-destination cd1 { address 10.36.70.2; ttl 244; }
  }
}
)";

TEST(Config, JexExample) {
  auto c = parse_config(kJex, "jex.conf");
  EXPECT_EQ(c.g_max_duplicates, 3u);
  EXPECT_EQ(c.g_duplicates_dropped_periodicity, 30u);
  ASSERT_EQ(c.capture_groups.size(), 1u);
  const auto& g = c.capture_groups[0];
  EXPECT_EQ(g.name, "g1");
  EXPECT_EQ(g.interfaces, std::vector<std::string>{"dfc-0/0/0"});
  EXPECT_EQ(g.input_packet_rate_threshold.value_or(0), 90000u);
  EXPECT_EQ(g.pic_memory_threshold.value_or(0), 80u);
  ASSERT_EQ(g.control_sources.size(), 1u);
  const auto& cs = g.control_sources[0];
  EXPECT_EQ(cs.id, "cs1");
  EXPECT_EQ(cs.source_addresses, std::vector<std::string>{"10.36.41.1"});
  EXPECT_EQ(cs.service_port, 2400);
  EXPECT_EQ(cs.shared_key, "Juniper");
  ASSERT_EQ(cs.notification_targets.size(), 1u);
  EXPECT_EQ(cs.notification_targets[0].address, "10.36.41.1");
  EXPECT_EQ(cs.notification_targets[0].port, 2100);
  EXPECT_EQ(cs.allowed_destinations, std::vector<std::string>{"cd1"});
  EXPECT_EQ(cs.minimum_priority, 0u);
  EXPECT_FALSE(cs.no_syslog);
  ASSERT_EQ(g.content_destinations.size(), 1u);
  EXPECT_EQ(g.content_destinations[0].address, "10.36.70.2");
  EXPECT_EQ(g.content_destinations[0].ttl, 244);
  EXPECT_EQ(c.max_duplicates(g), 3u);
  EXPECT_EQ(c.find_control_source("cs1").group, &g);
  EXPECT_EQ(c.find_control_source("nope").cs, nullptr);
}

TEST(Config, AllStatementsAndTopLevelForms) {
  const char* body = R"(
    g-max-duplicates 5;   # global
    g-duplicates-dropped-periodicity 60;
    capture-group a {
      interfaces [ dfc-0/0/0 dfc-1/0/0 ];
      input-packet-rate-threshold 1m;
      max-duplicates 64;
      duplicates-dropped-periodicity 10;
      control-source s1 {
        source-addresses [ 10.0.0.1 10.0.0.2/32 ];
        service-port 65535;
        shared-key "a key with spaces";
        notification-targets 10.0.0.1 port 1;
        notification-targets {
          10.0.0.2 port 2;
          2001:db8::1 port 3;
        }
        allowed-destinations [ d1 d2 ];
        minimum-priority 254;
        no-syslog;
      }
      content-destination d1 { address 192.0.2.1; ttl 0; hard-limit 2m; hard-limit-target 1500k; soft-limit 1m; soft-limit-clear 500000; }
      content-destination d2 { address 192.0.2.2; }
    }
    capture-group b { control-source s2 { service-port 1; shared-key k; } }
  )";
  for (std::string text : {std::string("services { dynamic-flow-capture {") + body + "} }",
                           std::string("dynamic-flow-capture {") + body + "}",
                           std::string("services {\n flow-monitoring { version9 { template t; } }\n dynamic-flow-capture {") + body + "} }"}) {
    auto c = parse_config(text, "all.conf");
    EXPECT_EQ(c.g_max_duplicates, 5u);
    EXPECT_EQ(c.g_duplicates_dropped_periodicity, 60u);
    ASSERT_EQ(c.capture_groups.size(), 2u);
    const auto& a = c.capture_groups[0];
    EXPECT_EQ(a.interfaces.size(), 2u);
    EXPECT_EQ(a.input_packet_rate_threshold.value_or(0), 1000000u);
    EXPECT_EQ(c.max_duplicates(a), 64u);
    EXPECT_EQ(c.duplicates_dropped_periodicity(a), 10u);
    EXPECT_EQ(c.max_duplicates(c.capture_groups[1]), 5u);
    EXPECT_EQ(c.duplicates_dropped_periodicity(c.capture_groups[1]), 60u);
    const auto& s1 = a.control_sources[0];
    EXPECT_EQ(s1.source_addresses, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
    EXPECT_EQ(s1.shared_key, "a key with spaces");
    EXPECT_EQ(s1.notification_targets.size(), 3u);
    EXPECT_EQ(s1.notification_targets[2].address, "2001:db8::1");
    EXPECT_EQ(s1.minimum_priority, 254u);
    EXPECT_TRUE(s1.no_syslog);
    const auto& d1 = a.content_destinations[0];
    EXPECT_EQ(d1.ttl, 0);
    EXPECT_EQ(d1.hard_limit.value_or(0), 2000000u);
    EXPECT_EQ(d1.hard_limit_target.value_or(0), 1500000u);
    EXPECT_EQ(d1.soft_limit.value_or(0), 1000000u);
    EXPECT_EQ(d1.soft_limit_clear.value_or(0), 500000u);
    EXPECT_EQ(a.content_destinations[1].ttl, 255);  // default
    EXPECT_TRUE(c.capture_groups[1].control_sources[0].source_addresses.empty());
  }
}

struct ErrCase {
  const char* text;
  int line, col;
  const char* needle;
};

void expect_error(const ErrCase& e) {
  try {
    parse_config(e.text, "bad.conf");
    ADD_FAILURE() << "no error for:\n" << e.text;
  } catch (const ConfigError& err) {
    EXPECT_EQ(err.line(), e.line) << err.what();
    EXPECT_EQ(err.col(), e.col) << err.what();
    EXPECT_NE(std::string(err.what()).find(e.needle), std::string::npos) << err.what();
    EXPECT_EQ(std::string(err.what()).rfind("bad.conf:" + std::to_string(e.line) + ":" + std::to_string(e.col) + ": ", 0), 0u)
        << err.what();
  }
}

#define CS(body) "dynamic-flow-capture {\n capture-group g {\n  content-destination cd1 { address 1.2.3.4; }\n  control-source c {\n" body "  }\n }\n}\n"

TEST(Config, ErrorsCarryFileLineColumnAndWhatWasExpected) {
  const ErrCase cases[] = {
      {"", 1, 1, "no 'dynamic-flow-capture'"},
      {"interfaces { }", 1, 1, "expected 'services' or 'dynamic-flow-capture'"},
      {"dynamic-flow-capture {\n  capture-group g {\n", 2, 19, "never closed"},
      {"dynamic-flow-capture {\n  g-max-duplicates 3\n}", 3, 1, "expected ';' or '{' after '3'"},
      {"dynamic-flow-capture {\n  g-max-duplicates 65;\n}", 2, 20, "out of range 1..64"},
      {"dynamic-flow-capture {\n  g-max-duplicates 0;\n}", 2, 20, "out of range 1..64"},
      {"dynamic-flow-capture {\n  g-max-duplicates lots;\n}", 2, 20, "expected g-max-duplicates"},
      {"dynamic-flow-capture {\n  bogus 1;\n}", 2, 3, "unknown statement 'bogus'"},
      {"dynamic-flow-capture {\n capture-group g { max-duplicates 99; }\n}", 2, 35, "out of range 1..64"},
      {"dynamic-flow-capture {\n capture-group g { input-packet-rate-threshold 2m; }\n}", 2, 48, "out of range 0..1000000"},
      {"dynamic-flow-capture {\n capture-group g { input-packet-rate-threshold 9x; }\n}", 2, 48, "expected input-packet-rate-threshold"},
      {"dynamic-flow-capture {\n capture-group g { pic-memory-threshold percentage 101; }\n}", 2, 52, "out of range 0..100"},
      {"dynamic-flow-capture {\n capture-group g { pic-memory-threshold 80; }\n}", 2, 41, "expected 'percentage"},
      {CS("   service-port 0;\n   shared-key k;\n"), 5, 17, "service-port 0 out of range 1..65535"},
      {CS("   service-port 70000;\n   shared-key k;\n"), 5, 17, "out of range 1..65535"},
      {CS("   shared-key k;\n"), 6, 3, "needs a service-port"},
      {CS("   service-port 1;\n"), 6, 3, "needs a shared-key"},
      {CS("   service-port 1;\n   shared-key \"$9$abcdefg\";\n"), 6, 15, "\"$9$\" shared keys are not supported"},
      {CS("   service-port 1;\n   shared-key k;\n   minimum-priority 255;\n"), 7, 21, "out of range 0..254"},
      {CS("   service-port 1;\n   shared-key k;\n   allowed-destinations [ cd1 cd9 ];\n"), 7, 31, "unknown content-destination 'cd9'"},
      {CS("   service-port 1;\n   shared-key k;\n   source-addresses 10.0.0.0/24;\n"), 7, 21, "must be a host address"},
      {CS("   service-port 1;\n   shared-key k;\n   source-addresses 10.0.0.300;\n"), 7, 21, "expected an IP address"},
      {CS("   service-port 1;\n   shared-key k;\n   notification-targets 10.0.0.1 2100;\n"), 7, 34, "expected 'port <1..65535>'"},
      {CS("   service-port 1;\n   shared-key k;\n   notification-targets 10.0.0.1 port 0;\n"), 7, 39, "out of range 1..65535"},
      {CS("   service-port 1;\n   shared-key k;\n   frobnicate;\n"), 7, 4, "unknown statement 'frobnicate' in control-source"},
      {CS("   service-port [ 1 2 ];\n   shared-key k;\n"), 5, 17, "got a list"},
      {"dynamic-flow-capture {\n capture-group g {\n  content-destination d { ttl 256; address 1.1.1.1; }\n }\n}", 3, 31, "ttl 256 out of range 0..255"},
      {"dynamic-flow-capture {\n capture-group g {\n  content-destination d { ttl 5; }\n }\n}", 3, 34, "needs an address"},
      {"dynamic-flow-capture {\n capture-group g {\n  content-destination d { address 1.1.1.1; hard-limit 10; hard-limit-target 20; }\n }\n}", 3, 59, "hard-limit-target must not exceed hard-limit"},
      {"dynamic-flow-capture {\n capture-group g {\n  content-destination d { address 1.1.1.1; soft-limit 10; soft-limit-clear 20; }\n }\n}", 3, 59, "soft-limit-clear must not exceed soft-limit"},
      {"dynamic-flow-capture {\n capture-group g {\n  content-destination d { address 1.1.1.1; }\n  content-destination d { address 1.1.1.2; }\n }\n}", 4, 23, "defined twice"},
      {"dynamic-flow-capture {\n capture-group g { control-source c { service-port 1; shared-key k; } }\n capture-group h { control-source c { service-port 1; shared-key k; } }\n}", 3, 35, "is also defined in capture-group 'g'"},
      {"dynamic-flow-capture {\n capture-group g { }\n capture-group g { }\n}", 3, 16, "defined twice"},
      {"dynamic-flow-capture {\n capture-group \"a b\" { }\n}", 2, 16, "cannot carry"},
      {"dynamic-flow-capture {\n /* unterminated\n", 2, 2, "unterminated comment"},
      {"dynamic-flow-capture {\n capture-group g { interfaces \"x\n; }\n}", 2, 31, "unterminated string"},
      {"dynamic-flow-capture {\n capture-group g { interfaces [ a b ; }\n}", 2, 37, "expected ']'"},
      {"dynamic-flow-capture {\n }\n}", 3, 1, "unexpected '}'"},
  };
  for (const auto& c : cases) expect_error(c);
}

TEST(Config, LoadFromFile) {
  const std::string path = testing::TempDir() + "dfc_test_config.conf";
  {
    std::ofstream f(path);
    f << kJex;
  }
  auto c = dfc::config::load_config(path);
  EXPECT_EQ(c.capture_groups.size(), 1u);
  std::remove(path.c_str());
  try {
    dfc::config::load_config(path);
    ADD_FAILURE() << "missing file accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}

TEST(Config, ScaledNumbers) {
  using dfc::config::parse_scaled;
  EXPECT_EQ(parse_scaled("90k").value_or(0), 90000u);
  EXPECT_EQ(parse_scaled("1M").value_or(0), 1000000u);
  EXPECT_EQ(parse_scaled("3g").value_or(0), 3000000000u);
  EXPECT_EQ(parse_scaled("42").value_or(0), 42u);
  EXPECT_FALSE(parse_scaled("k"));
  EXPECT_FALSE(parse_scaled("1.5m"));
  EXPECT_FALSE(parse_scaled("99999999999999999999g"));
}

TEST(Config, RepoExampleConfigsParse) {
  // Every configuration committed with the scenarios and the fuzz corpus (except the ones
  // that are meant to be bad) must parse; the directories must exist and hold some.
  namespace fs = std::filesystem;
  size_t parsed = 0;
  for (const char* dir : {"/testbench/scenarios/configs", "/firmware/fuzz/corpus/config"}) {
    const fs::path base = std::string(DFC_SOURCE_DIR) + dir;
    ASSERT_TRUE(fs::is_directory(base)) << base;
    for (const auto& e : fs::directory_iterator(base)) {
      if (e.path().extension() != ".conf" || e.path().filename().string().rfind("bad_", 0) == 0) continue;
      EXPECT_NO_THROW(dfc::config::load_config(e.path().string())) << e.path();
      ++parsed;
    }
  }
  EXPECT_GE(parsed, 6u);
}

}  // namespace
