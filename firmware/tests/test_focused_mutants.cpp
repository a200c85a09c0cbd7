// Focused unit tests for behaviours that the mutation campaign (scripts/mutate.py) found guarded
// by a single test or only by whole-system scenarios. Each test names the bug it is there to catch.
// They drive public interfaces only (parse_packet, the HMAC helpers, Firmware::on_packet on
// the fake HAL), so they survive refactors of the pipeline and the DTCP server.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "dfc/config/config.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc/dtcp/server.hpp"
#include "dfc/fw/classifier_driver.hpp"
#include "dfc/fw/firmware.hpp"
#include "dfc/fw/packet_parse.hpp"
#include "fake_hal.hpp"

using namespace dfc;
using namespace dfc::fw;

namespace {

// ---- HMAC: the whole digest is compared -----------------------------------------------------
// Bug: a digest compared over only part of its length (e.g. the first 32 of 40 hex digits).

TEST(FocusedHmac, OneWrongHexDigitAnywhereIsRejected) {
  const std::string body = "NOOP DTCP/0.7\r\nCsource-ID: a\r\nSeq: 1\r\n";
  const std::string hex = dfc::dtcp::hmac_sha1_hex("k", body);
  const dfc::dtcp::Digest d = dfc::dtcp::hmac_sha1("k", body);
  ASSERT_EQ(hex.size(), 40u);
  ASSERT_TRUE(dfc::dtcp::digest_equal_hex(hex, d));
  for (size_t i = 0; i < 40; ++i) {
    std::string bad = hex;
    bad[i] = bad[i] == '0' ? '1' : '0';
    EXPECT_FALSE(dfc::dtcp::digest_equal_hex(bad, d)) << "digit " << i << " not compared";
  }
}

// Bug: the byte-per-step table compare (hmac.cpp) taking a non-hex digit for a value, or
// refusing upper-case digits.
TEST(FocusedHmac, UpperCaseDigitsPassAndANonHexDigitAnywhereFails) {
  const dfc::dtcp::Digest d = dfc::dtcp::hmac_sha1("k", "LIST DTCP/0.7\r\n");
  std::string upper = dfc::dtcp::to_hex(d);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return c >= 'a' && c <= 'f' ? char(c - 32) : c; });
  EXPECT_TRUE(dfc::dtcp::digest_equal_hex(upper, d));
  for (size_t i = 0; i < 40; ++i) {
    for (char junk : {'g', 'G', ' ', '\0', ':', '/', '@', '`'}) {
      std::string bad = dfc::dtcp::to_hex(d);
      bad[i] = junk;
      EXPECT_FALSE(dfc::dtcp::digest_equal_hex(bad, d)) << "'" << junk << "' at digit " << i;
    }
  }
}

TEST(FocusedHmac, LastDigitWrongInASignedMessageFailsVerification) {
  const std::string signed_msg = dfc::dtcp::sign("NOOP DTCP/0.7\r\nCsource-ID: a\r\nSeq: 7\r\n", "key");
  ASSERT_TRUE(dfc::dtcp::parse_and_verify(signed_msg, "key"));
  const size_t end = signed_msg.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos);
  for (size_t back : {1u, 2u, 5u, 9u}) {  // late digits: 40th, 39th, 36th, 32nd
    std::string bad = signed_msg;
    char& c = bad[end - back];
    c = c == 'a' ? 'b' : 'a';
    EXPECT_FALSE(dfc::dtcp::parse_and_verify(bad, "key")) << back << " from the end";
  }
}

// ---- Packet parser: IPv6 extension-header lengths and the VLAN skip ------------------------

std::vector<uint8_t> v6_with(const std::vector<std::vector<uint8_t>>& ext, uint8_t first_nh,
                             const std::vector<uint8_t>& l4) {
  std::vector<uint8_t> ip = {0x60, 0, 0, 0, 0, 0, first_nh, 64};
  for (int i = 0; i < 16; ++i) ip.push_back(i == 0 ? 0x20 : (i == 15 ? 1 : 0));
  for (int i = 0; i < 16; ++i) ip.push_back(i == 0 ? 0x20 : (i == 15 ? 2 : 0));
  for (const auto& e : ext)
    for (uint8_t b : e) ip.push_back(b);
  for (uint8_t b : l4) ip.push_back(b);
  const size_t pl = ip.size() - 40;
  ip[4] = uint8_t(pl >> 8);
  ip[5] = uint8_t(pl);
  return ip;
}

// An extension header of `units` 8-octet units beyond the first (Hdr Ext Len = units), its
// padding filled with bytes that would read as a plausible but wrong L4 header.
std::vector<uint8_t> ext8(uint8_t next, uint8_t units) {
  std::vector<uint8_t> e = {next, units};
  while (e.size() < 8u * (units + 1u)) e.push_back(0x77);
  return e;
}

Packet raw(std::vector<uint8_t> d, LinkType l = LinkType::RawIp) {
  Packet p;
  p.data = std::move(d);
  p.link = l;
  return p;
}

const std::vector<uint8_t> kUdpHeader = {0x04, 0x01, 0x00, 0x35, 0, 8, 0, 0};  // 1025 -> 53

// Bug: extension-header length taken as len*8 (or len) instead of (len+1)*8.
TEST(FocusedIpv6, ExtensionHeaderLengthsAreInEightOctetUnitsPlusOne) {
  for (uint8_t nh : {uint8_t{0}, uint8_t{60}, uint8_t{43}}) {  // hop-by-hop, dest options, routing
    for (uint8_t units : {uint8_t{0}, uint8_t{1}, uint8_t{2}, uint8_t{5}}) {
      auto r = parse_packet(raw(v6_with({ext8(17, units)}, nh, kUdpHeader)));
      ASSERT_EQ(r.outcome, ParseOutcome::Ip) << int(nh) << "/" << int(units);
      EXPECT_EQ(r.key.proto, 17) << int(nh) << "/" << int(units);
      EXPECT_TRUE(r.key.has_ports);
      EXPECT_EQ(r.key.sport, 1025) << int(nh) << "/" << int(units);
      EXPECT_EQ(r.key.dport, 53) << int(nh) << "/" << int(units);
    }
  }
}

TEST(FocusedIpv6, ChainOfHeadersWithDifferentLengths) {
  // HBH (16 bytes) -> Destination options (24 bytes) -> Routing (8 bytes) -> TCP
  const std::vector<uint8_t> tcp = {0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 4, 0, 0, 0, 0, 0};
  auto r = parse_packet(raw(v6_with({ext8(60, 1), ext8(43, 2), ext8(6, 0)}, 0, tcp)));
  ASSERT_EQ(r.outcome, ParseOutcome::Ip);
  EXPECT_EQ(r.key.proto, 6);
  EXPECT_EQ(r.key.sport, 40000);
  EXPECT_EQ(r.key.dport, 80);
}

// Bug: AH length taken like the other extension headers ((len+1)*8) instead of (len+2)*4.
TEST(FocusedIpv6, AuthenticationHeaderLengthIsInFourOctetUnitsPlusTwo) {
  for (uint8_t len : {uint8_t{1}, uint8_t{4}, uint8_t{7}}) {  // 12, 24, 36 bytes
    std::vector<uint8_t> ah = {17, len};
    while (ah.size() < 4u * (len + 2u)) ah.push_back(0x66);
    auto r = parse_packet(raw(v6_with({ah}, 51, kUdpHeader)));
    ASSERT_EQ(r.outcome, ParseOutcome::Ip) << int(len);
    EXPECT_EQ(r.key.proto, 17);
    EXPECT_EQ(r.key.sport, 1025) << int(len);
    EXPECT_EQ(r.key.dport, 53) << int(len);
  }
}

TEST(FocusedIpv6, ExtensionHeaderRunningPastThePayloadIsTruncated) {
  auto ip = v6_with({ext8(17, 3)}, 0, {});  // claims 32 bytes
  ip.resize(40 + 8);                        // only 8 present
  ip[4] = 0;
  ip[5] = 8;
  EXPECT_EQ(parse_packet(raw(ip)).outcome, ParseOutcome::Truncated);
}

std::vector<uint8_t> ipv4_udp() {
  std::vector<uint8_t> h = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 2, 3, 192, 168, 0, 9};
  for (uint8_t b : kUdpHeader) h.push_back(b);
  return h;
}

// Bug: the 802.1Q tag skipped by the wrong amount (2 or 6 bytes), or the inner ethertype read
// from the wrong place. One tag of each TPID, with a non-zero TCI whose bytes differ from any
// ethertype, so a misplaced read cannot land on 0x0800 by luck.
TEST(FocusedVlan, SingleTagOfEachTpidIsSkipped) {
  for (uint16_t tpid : {uint16_t{0x8100}, uint16_t{0x88a8}, uint16_t{0x9100}}) {
    std::vector<uint8_t> f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, uint8_t(tpid >> 8), uint8_t(tpid), 0x2f, 0xa5,
                              0x08, 0x00};
    for (uint8_t b : ipv4_udp()) f.push_back(b);
    auto r = parse_packet(raw(f, LinkType::Ethernet));
    ASSERT_EQ(r.outcome, ParseOutcome::Ip) << std::hex << tpid;
    EXPECT_EQ(r.ip_offset, 18u);
    EXPECT_EQ(r.ip_length, 28u);
    EXPECT_EQ(r.key.src.lo, 0x0a010203u);
    EXPECT_EQ(r.key.dst.lo, 0xc0a80009u);
    EXPECT_EQ(r.key.sport, 1025);
    EXPECT_EQ(r.key.dport, 53);
  }
}

TEST(FocusedVlan, UntaggedAndFourTagsAndTruncatedTag) {
  std::vector<uint8_t> f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00};
  for (uint8_t b : ipv4_udp()) f.push_back(b);
  EXPECT_EQ(parse_packet(raw(f, LinkType::Ethernet)).ip_offset, 14u);
  std::vector<uint8_t> four = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  for (int t = 0; t < 4; ++t)
    for (uint8_t b : {0x81, 0x00, 0x00, 0x07}) four.push_back(b);
  four.push_back(0x86);
  four.push_back(0xdd);
  for (uint8_t b : v6_with({}, 17, kUdpHeader)) four.push_back(b);
  auto r = parse_packet(raw(four, LinkType::Ethernet));
  ASSERT_EQ(r.outcome, ParseOutcome::Ip);
  EXPECT_EQ(r.ip_offset, 30u);
  EXPECT_EQ(r.key.dport, 53);
  std::vector<uint8_t> cut = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00};
  EXPECT_EQ(parse_packet(raw(cut, LinkType::Ethernet)).outcome, ParseOutcome::Truncated);
}

// ---- Firmware: the flow table is invalidated when a criterion is ADDed ---------------------
// Bug: the control plane does not bump its criteria version on ADD (or DELETE), so a flow
// cached as "no match" keeps missing its copies. Driven through Firmware::on_packet with
// signed DTCP requests, as the card runs it (no fake control plane).

const char* kConfig = R"(dynamic-flow-capture {
  capture-group g {
    control-source cs {
      source-addresses 10.0.0.1;
      service-port 2400;
      shared-key "k1";
      notification-targets 10.0.0.1 port 2100;
    }
    content-destination cd1 { address 10.9.0.1; }
    content-destination cd2 { address 10.9.0.2; }
  }
})";

class FirmwareRig {
 public:
  explicit FirmwareRig(const char* conf = kConfig) : cfg_(config::parse_config(conf, "t.conf")), hal_(64) {
    hal_.advance_to(1'000'000'000ull);
    fw_ = std::make_unique<Firmware>(cfg_, hal_);
  }
  // Sends a signed request; returns the reply's status (0 when none).
  int request(const std::string& method, const std::string& params) {
    const std::string m = method + " DTCP/0.7\r\n" + params + "Csource-ID: cs\r\nSeq: " + std::to_string(++seq_) + "\r\n";
    const std::string s = dtcp::sign(m, "k1");
    Packet p;
    p.unit = Unit::Control;
    p.data.assign(s.begin(), s.end());
    p.src_ip = "10.0.0.1";
    p.src_port = 5555;
    p.dst_ip = "10.1.0.0";
    p.dst_port = 2400;
    fw_->on_packet(p);
    int status = 0;
    for (const auto& r : hal_.sent)
      if (r.dst_port == 5555)
        if (auto msg = dtcp::parse_and_verify(std::string(r.data.begin(), r.data.end()), "k1")) status = msg->status;
    hal_.sent.clear();
    return status;
  }
  // Delivers a UDP packet 10.1.2.3:1025 -> 192.168.0.9:53; returns the destinations copied to.
  std::vector<std::string> traffic() {
    Packet p;
    p.unit = Unit::Monitor;
    p.link = LinkType::RawIp;
    p.data = ipv4_udp();
    fw_->on_packet(p);
    std::vector<std::string> out;
    for (const auto& c : hal_.sent)
      if (c.unit == Unit::Copies) out.push_back(c.cdest_id);
    hal_.sent.clear();
    return out;
  }
  Firmware& fw() { return *fw_; }

 private:
  config::DfcConfig cfg_;
  test::FakeHal hal_;
  std::unique_ptr<Firmware> fw_;
  uint64_t seq_ = 100;
};

TEST(FocusedFlowTable, AddInvalidatesACachedNoMatch) {
  FirmwareRig r;
  EXPECT_TRUE(r.traffic().empty());  // miss: cached as "no criteria"
  EXPECT_TRUE(r.traffic().empty());  // hit on the cached entry
  EXPECT_GE(r.fw().pipeline_stats().flow_hits, 1u);
  ASSERT_EQ(r.request("ADD", "Dest-Port: 53\r\nCdest-ID: cd1\r\nTimeout-Idle: 600\r\n"), 200);
  EXPECT_EQ(r.traffic(), std::vector<std::string>{"cd1"}) << "a cached 'no match' survived an ADD";
}

TEST(FocusedFlowTable, AddInvalidatesACachedMatchAndDeleteRemovesIt) {
  FirmwareRig r;
  ASSERT_EQ(r.request("ADD", "Dest-Port: 53\r\nCdest-ID: cd1\r\nTimeout-Idle: 600\r\n"), 200);
  EXPECT_EQ(r.traffic(), std::vector<std::string>{"cd1"});
  EXPECT_EQ(r.traffic(), std::vector<std::string>{"cd1"});  // from the flow table
  ASSERT_EQ(r.request("ADD", "Source-Address: 10.1.2.3\r\nCdest-ID: cd2\r\nTimeout-Idle: 600\r\n"), 200);
  auto two = r.traffic();
  std::sort(two.begin(), two.end());
  EXPECT_EQ(two, (std::vector<std::string>{"cd1", "cd2"})) << "a cached match survived an ADD";
  ASSERT_EQ(r.request("DELETE", "Cdest-ID: cd1\r\n"), 200);
  EXPECT_EQ(r.traffic(), std::vector<std::string>{"cd2"}) << "a cached match survived a DELETE";
  ASSERT_EQ(r.request("DELETE", "Cdest-ID: cd2\r\n"), 200);
  EXPECT_TRUE(r.traffic().empty()) << "a cached match survived a DELETE";
}

// ---- Firmware: max-duplicates picks destinations by their BEST criterion --------------------
// Bug: a destination named by several criteria is represented by its worst (or first-seen)
// criterion when max-duplicates has to choose among destinations.

const char* kConfigOneDup = R"(dynamic-flow-capture {
  capture-group g {
    max-duplicates 1;
    control-source cs {
      source-addresses 10.0.0.1;
      service-port 2400;
      shared-key "k1";
      notification-targets 10.0.0.1 port 2100;
    }
    content-destination cd1 { address 10.9.0.1; }
    content-destination cd2 { address 10.9.0.2; }
  }
})";

TEST(FocusedMaxDuplicates, DestinationRankedByItsBestCriterion) {
  // cd1: priorities 9 and 1; cd2: priority 5. With one copy allowed, cd1 (best 1) wins whichever
  // of its criteria the classifier reports first.
  for (bool best_first : {false, true}) {
    FirmwareRig r(kConfigOneDup);
    const std::string p9 = "Dest-Port: 53\r\nCdest-ID: cd1\r\nPriority: 9\r\nTimeout-Idle: 600\r\n";
    const std::string p1 = "Dest-Port: 53\r\nCdest-ID: cd1\r\nPriority: 1\r\nTimeout-Idle: 600\r\n";
    ASSERT_EQ(r.request("ADD", best_first ? p1 : p9), 200);
    ASSERT_EQ(r.request("ADD", "Dest-Port: 53\r\nCdest-ID: cd2\r\nPriority: 5\r\nTimeout-Idle: 600\r\n"), 200);
    ASSERT_EQ(r.request("ADD", best_first ? p9 : p1), 200);
    EXPECT_EQ(r.traffic(), std::vector<std::string>{"cd1"}) << "best_first " << best_first;
    EXPECT_EQ(r.fw().pipeline_stats().copies_dropped_max_duplicates, 1u);
  }
}

// ---- Classifier driver: minimal prefix cover of an address range ---------------------------
// Bug: the range-to-prefix expansion splits a block that fits exactly (wasting TCAM entries;
// lookups stay right, so only the entry count shows it).

TEST(FocusedDriver, AddressRangesUseTheMinimalPrefixCover) {
  struct Case {
    uint32_t lo, hi;
    size_t entries;  // minimal cover, by hand
  };
  // [10.0.0.0, 10.0.0.255] = one /24; [10.0.0.0, 10.0.1.255] = one /23; [10.0.0.1, 10.0.0.6] =
  // .1/32 .2/31 .4/31 .6/32; [10.0.0.4, 10.0.0.11] = .4/30 .8/30.
  for (const Case& c : {Case{0x0a000000, 0x0a0000ff, 1}, Case{0x0a000000, 0x0a0001ff, 1},
                        Case{0x0a000001, 0x0a000006, 4}, Case{0x0a000004, 0x0a00000b, 2}}) {
    test::FakeHal hal(64);
    ClassifierDriver drv(hal);
    MatchTerm t;
    t.family = MatchTerm::Family::V4;
    t.src.lo.lo = c.lo;
    t.src.hi.lo = c.hi;
    t.dst.lo.lo = 0;
    t.dst.hi.lo = 0xffffffffu;
    auto id = drv.install({t}, 1);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(drv.entries_used(*id), c.entries) << std::hex << c.lo << "-" << c.hi;
    // And the cover is exact: the range's ends match, the neighbours do not.
    for (uint32_t a : {c.lo - 1, c.lo, c.hi, c.hi + 1}) {
      FlowKey k;
      k.src.lo = a;
      k.dst.lo = 0xc0a80001u;
      k.proto = 17;
      EXPECT_EQ(drv.classify(k.words()).size(), (a >= c.lo && a <= c.hi) ? 1u : 0u) << std::hex << a;
    }
  }
}

// Bug: removing a multi-entry rule frees only one entry in the driver's count, so the table
// looks fuller and fuller (550 too early, wrong PIC-memory figure).
TEST(FocusedDriver, RemovingAMultiEntryRuleFreesAllItsEntries) {
  test::FakeHal hal(8);
  ClassifierDriver drv(hal);
  MatchTerm t;
  t.family = MatchTerm::Family::V4;
  t.src.lo.lo = 0x0a000001;  // .1/32 .2/31 .4/31 .6/32: four entries
  t.src.hi.lo = 0x0a000006;
  t.dst.hi.lo = 0xffffffffu;
  for (int round = 0; round < 3; ++round) {
    auto a = drv.install({t}, 1);
    auto b = drv.install({t}, 2);
    ASSERT_TRUE(a && b) << "round " << round << ": freed entries not reusable";
    EXPECT_EQ(drv.entries_used(), 8u);
    EXPECT_FALSE(drv.install({t}, 3).has_value()) << "table of 8 is full";
    drv.remove(*a);
    EXPECT_EQ(drv.entries_used(), 4u);
    drv.remove(*b);
    EXPECT_EQ(drv.entries_used(), 0u);
  }
}

// ---- Coverage holes of the firmware (docs/coverage.md) --------------------------------------

const char* kConfigV6Dest = R"(dynamic-flow-capture {
  capture-group g {
    control-source cs {
      source-addresses 10.0.0.1;
      service-port 2400;
      shared-key "k1";
      notification-targets 10.0.0.1 port 2100;
    }
    content-destination cd1 { address 10.9.0.1; }
    content-destination cd2 { address 2001:db8::9; }
  }
})";

// A destination the IPv4 outer header cannot reach is refused by the configuration, with its
// place and the fix (docs/dtcp-conformance.md: IPv6 content destinations), rather than
// accepted and silently never copied to.
TEST(FocusedPipeline, NonIpv4DestinationIsRefusedByTheConfiguration) {
  try {
    config::parse_config(kConfigV6Dest, "t.conf");
    FAIL() << "an IPv6 content-destination address was accepted";
  } catch (const config::ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("t.conf:10:"), std::string::npos) << m;
    EXPECT_NE(m.find("not IPv4"), std::string::npos) << m;
  }
}

// A full flow table of live flows starts over (counted as evictions) rather than refusing to
// cache; every packet is still classified correctly.
TEST(FocusedPipeline, FullFlowTableOfLiveFlowsStartsOver) {
  config::DfcConfig cfg = config::parse_config(kConfig, "t.conf");
  test::FakeHal hal(64);
  FirmwareOptions opt;
  opt.pipeline.flow_table_capacity = 4;
  Firmware fw(cfg, hal, opt);
  for (uint32_t i = 0; i < 10; ++i) {
    Packet p;
    p.link = LinkType::RawIp;
    p.data = ipv4_udp();
    p.data[15] = static_cast<uint8_t>(i);  // source 10.1.2.i: a new flow each time
    fw.on_packet(p);
  }
  const auto& s = fw.pipeline_stats();
  EXPECT_EQ(s.flow_misses, 10u);
  EXPECT_LE(s.flow_entries, 4u);
  EXPECT_EQ(s.flow_entries_peak, 4u);
  EXPECT_EQ(s.flow_evictions, 8u);  // cleared twice, four live flows each time
  EXPECT_EQ(s.packets_unmatched, 10u);
}

}  // namespace
