// DTCP server with two capture groups that share content-destination ids (cd1, cd2) and a
// control-source id (cs1): isolation, attribution, restart, congestion accounting and purge,
// per-source criteria share, Criteria-ID wrap (docs/dtcp-conformance.md).
#include "dtcp_test_util.hpp"

using namespace dtcp_test;

namespace {

const KV kGroupIdle{{"Dest-Address", "192.0.2.1"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}};

const dfc::dtcp::CriterionInfo* info(const std::vector<dfc::dtcp::CriterionInfo>& all, uint32_t id) {
  for (const auto& c : all)
    if (c.criteria_id == id) return &c;
  return nullptr;
}

TEST_F(ServerTest, GroupsNeitherSeeNorRefreshNorDeleteEachOthersCriteria) {
  const uint32_t a = add_ok(cs1, kGroupIdle);  // g1's cd1
  const uint32_t b = add_ok(cs3, kGroupIdle);  // g2's cd1
  const auto all = srv.criteria();
  ASSERT_NE(info(all, b), nullptr);
  EXPECT_EQ(srv.criterion_for_rule(info(all, a)->rule)->group, 0u);
  EXPECT_EQ(srv.criterion_for_rule(info(all, b)->rule)->group, 1u);
  // LIST: each source sees only its own.
  Message l1 = request(cs1, "LIST");
  EXPECT_EQ(l1.get("Criteria-ID").value_or(""), std::to_string(a));
  EXPECT_EQ(l1.get("Criteria-Count").value_or(""), "1");
  Message l3 = request(cs3, "LIST");
  EXPECT_EQ(l3.get("Criteria-ID").value_or(""), std::to_string(b));
  // Naming the other group's criterion: 431, as for an id that does not exist.
  EXPECT_EQ(request(cs1, "LIST", {{"Criteria-ID", std::to_string(b)}}).status, 431);
  EXPECT_EQ(request(cs1, "REFRESH", {{"Criteria-ID", std::to_string(b)}, {"Timeout-Idle", "5"}}).status, 431);
  EXPECT_EQ(request(cs1, "DELETE", {{"Criteria-ID", std::to_string(b)}}).status, 431);
  EXPECT_EQ(request(cs3, "DELETE", {{"Criteria-ID", std::to_string(a)}}).status, 431);
  // Cdest-ID cd1 names the source's own group's cd1 only.
  Message d = request(cs1, "DELETE", {{"Cdest-ID", "cd1"}});
  EXPECT_EQ(d.get("Criteria-Count").value_or(""), "1");
  ASSERT_EQ(srv.active_criteria(), 1u);
  EXPECT_EQ(srv.criteria()[0].criteria_id, b);
  // A range selects only the requester's criteria.
  Message r = request(cs1, "REFRESH", {{"Criteria-ID", "1-*"}, {"Timeout-Idle", "5"}});
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "0");
  EXPECT_EQ(srv.criteria()[0].num_refresh, 0u);
}

TEST_F(ServerTest, SameControlSourceIdInTwoGroupsIsAttributedByPortAndAddress) {
  const uint32_t g1 = add_ok(cs1, kGroupIdle);
  const uint32_t g2 = add_ok(cs1g2, {{"Dest-Address", "192.0.2.9"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});
  const auto all = srv.criteria();
  EXPECT_EQ(srv.criterion_for_rule(info(all, g1)->rule)->group, 0u);
  EXPECT_EQ(srv.criterion_for_rule(info(all, g2)->rule)->group, 1u);
  // g1's cs1 does not see g2's cs1's criterion, and vice versa.
  EXPECT_EQ(request(cs1, "LIST").get("Criteria-Count").value_or(""), "1");
  EXPECT_EQ(request(cs1, "DELETE", {{"Criteria-ID", std::to_string(g2)}}).status, 431);
  EXPECT_EQ(request(cs1g2, "LIST").get("Criteria-ID").value_or(""), std::to_string(g2));
  // Per-source statistics are kept apart.
  uint64_t added = 0;
  for (const auto& s : srv.control_source_stats())
    if (s.id == "cs1") {
      EXPECT_EQ(s.counters.criteria_added, 1u) << s.group;
      ++added;
    }
  EXPECT_EQ(added, 2u);
  // g2's key from g1's address and port fits neither: silently dropped as unauthorized?
  // No: g1's cs1 matches port+address, so it is judged by g1's key and fails authentication.
  Src forged{"cs1", "secret1-g2", "10.0.0.1"};
  deliver(forged, build(forged, "NOOP", {}, 99999), 2400);
  EXPECT_TRUE(collect(forged).empty());
  EXPECT_EQ(srv.counters().bad_authentication, 1u);
  // From g2's address to g1's port: neither cs1 accepts it.
  Src wrong{"cs1", "secret1", "10.0.1.1"};
  deliver(wrong, build(wrong, "NOOP", {}, ++seq1), 2400);
  EXPECT_EQ(srv.counters().unauthorized_control_source, 1u);
}

TEST(DtcpConfigGroups, SameControlSourceIdNeedsDistinctPortOrAddresses) {
  const std::string head = "dynamic-flow-capture {\n capture-group a {\n  control-source x { source-addresses 10.0.0.1; "
                           "service-port 2400; shared-key k; }\n  content-destination d { address 10.9.0.1; }\n }\n";
  // Same port, overlapping addresses (written differently): refused with a location.
  try {
    dfc::config::parse_config(head + " capture-group b {\n  control-source x { source-addresses 10.0.0.01; "
                                     "service-port 2400; shared-key k; }\n }\n}\n",
                              "two.conf");
    ADD_FAILURE() << "accepted an ambiguous control source";
  } catch (const dfc::config::ConfigError& e) {
    EXPECT_EQ(e.line(), 7);
    EXPECT_NE(e.message().find("could not be attributed"), std::string::npos) << e.what();
  }
  // Unrestricted source-addresses on one side: ambiguous too.
  EXPECT_THROW(dfc::config::parse_config(head + " capture-group b {\n  control-source x { service-port 2400; "
                                                "shared-key k; }\n }\n}\n"),
               dfc::config::ConfigError);
  // Another port, or disjoint addresses: accepted.
  EXPECT_NO_THROW(dfc::config::parse_config(head + " capture-group b {\n  control-source x { service-port 2401; "
                                                   "shared-key k; }\n }\n}\n"));
  EXPECT_NO_THROW(dfc::config::parse_config(head + " capture-group b {\n  control-source x { source-addresses "
                                                   "10.0.0.2; service-port 2400; shared-key k; }\n }\n}\n"));
  // Still unique within one group.
  EXPECT_THROW(dfc::config::parse_config("dynamic-flow-capture { capture-group a { control-source x { service-port 1; "
                                         "shared-key k; } control-source x { service-port 2; shared-key k; } } }"),
               dfc::config::ConfigError);
}

TEST(DtcpConfigGroups, Ipv6ContentDestinationIsRefusedWithALocation) {
  try {
    dfc::config::parse_config("dynamic-flow-capture {\n capture-group a {\n  content-destination d {\n"
                              "   address 2001:db8::9;\n  }\n }\n}\n",
                              "v6.conf");
    ADD_FAILURE() << "IPv6 content destination accepted";
  } catch (const dfc::config::ConfigError& e) {
    EXPECT_EQ(e.file(), "v6.conf");
    EXPECT_EQ(e.line(), 4);
    EXPECT_EQ(e.col(), 12);
    EXPECT_NE(e.message().find("not IPv4"), std::string::npos) << e.what();
  }
}

// source-addresses are compared as addresses: "10.0.0.01" is 10.0.0.1, and IPv6 is
// case-insensitive with zero compression.
TEST(DtcpSourceAddresses, ComparedAsAddressesNotText) {
  const char* conf = R"(dynamic-flow-capture { capture-group g {
    control-source s { source-addresses [ 10.0.0.01 2001:DB8::1 ]; service-port 2400; shared-key k;
      notification-targets 10.0.0.1 port 2100; }
    content-destination d { address 10.9.0.1; } } })";
  const auto cfg = dfc::config::parse_config(conf);
  dfc::test::FakeHal hal;
  dfc::fw::ClassifierDriver cls(hal);
  dfc::dtcp::Server srv(cfg, hal, cls);
  uint64_t seq = 10;
  for (const char* ip : {"10.0.0.1", "2001:db8::1", "2001:db8:0:0::1", "10.0.0.2"}) {
    const std::string req = dfc::dtcp::sign("NOOP DTCP/0.7\r\nCsource-ID: s\r\nSeq: " + std::to_string(++seq) + "\r\n", "k");
    Packet p;
    p.unit = dfc::Unit::Control;
    p.data.assign(req.begin(), req.end());
    p.src_ip = ip;
    p.src_port = 5000;
    p.dst_ip = "192.0.2.1";
    p.dst_port = 2400;
    srv.on_datagram(p);
  }
  EXPECT_EQ(hal.sent.size(), 3u) << "three authorized sources answered";
  EXPECT_EQ(srv.counters().unauthorized_control_source, 1u);
}

// Restart: every criterion lost, one 599 per notification target, Seq windows kept: a request
// recorded before the restart and replayed first after it is dropped, and the real client's
// next Seq is accepted.
TEST_F(ServerTest, RestartLosesCriteriaNotifiesEveryTargetAndKeepsSeq) {
  add_ok(cs1, kGroupIdle);
  add_ok(cs3, kGroupIdle);
  add_ok(csa, {{"Flags", "Static"}, {"Cdest-ID", "cd1"}});
  const std::string recorded = build(cs1, "ADD", kGroupIdle, ++seq1);  // captured by an attacker...
  deliver(cs1, recorded);                                           // ...on its way to the card
  collect(cs1);
  ASSERT_EQ(srv.active_criteria(), 4u);
  const size_t rules_before = cls.rules();
  ASSERT_EQ(rules_before, 4u);
  srv.restart("PIC restarted");
  EXPECT_EQ(srv.active_criteria(), 0u);
  EXPECT_EQ(cls.rules(), 0u);
  EXPECT_EQ(srv.restarts(), 1u);
  // One 599 per notification target: cs1 2, cs2 1, csrc_a 1, cs3 1, g2's cs1 1.
  std::map<std::string, int> by_target;
  for (const auto& p : hal.sent) {
    const std::string text(p.data.begin(), p.data.end());
    EXPECT_NE(text.find(" 599 "), std::string::npos) << text;
    ++by_target[p.dst_ip + ":" + std::to_string(p.dst_port)];
  }
  EXPECT_EQ(by_target, (std::map<std::string, int>{{"10.0.0.1:2100", 1}, {"10.0.0.9:2101", 1}, {"10.0.0.2:2100", 1},
                                                   {"10.0.0.3:2100", 1}, {"10.0.1.3:2100", 1}, {"10.0.1.1:2100", 1}}));
  auto n = take_notes("secret1");
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].second.status, 599);
  EXPECT_EQ(n[0].second.get("Alert-Info").value_or(""), "PIC restarted");
  EXPECT_EQ(cs_stats("cs1").counters.notification_restart, 1u);
  // Replay of the recorded request first after the restart: Seq window kept => dropped.
  deliver(cs1, recorded);
  EXPECT_TRUE(collect(cs1).empty());
  EXPECT_EQ(srv.active_criteria(), 0u);
  EXPECT_EQ(cs_stats("cs1").counters.response_invalid_sequence_number, 1u);
  EXPECT_TRUE(cs_stats("cs1").has_sequence_number);
  EXPECT_EQ(cs_stats("cs1").sequence_number, seq1);
  // The real client carries on with its next Seq and is served.
  add_ok(cs1, kGroupIdle);
  EXPECT_EQ(srv.active_criteria(), 1u);
  // Criteria ids are not reused after a restart.
  EXPECT_EQ(srv.criteria()[0].criteria_id, 5u);
}

// Hard-limit purge: only criteria that carry copies to the congested destination, lowest
// priority (then newest) first; idle criteria are never deleted.
TEST_F(ServerTest, HardLimitPurgeNeverDeletesIdleCriteria) {
  // cd2 of g1: hard 16k, target 12k.
  add_ok(cs1, {{"Priority", "1"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});     // total 11, heavy
  add_ok(cs1, {{"Priority", "50"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});    // total 60, idle
  add_ok(csa, {{"Priority", "100"}, {"Flags", "Static"}, {"Cdest-ID", "cd2"}});       // total 100, idle
  add_ok(csa, {{"Priority", "30"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});    // total 30, light
  auto c = srv.criteria();
  traffic(c[0].rule, 20000);  // 16 kbit/s
  traffic(c[3].rule, 5000);   // 4 kbit/s => 20k > hard 16k
  hal.advance(1'000'000'000ull);
  srv.check_congestion();
  // Order among carriers: the light one (30) first => 16k, not < 12k; then the heavy one.
  EXPECT_EQ(srv.active_criteria(), 2u);
  std::set<uint32_t> left;
  for (const auto& x : srv.criteria()) left.insert(x.criteria_id);
  EXPECT_EQ(left, (std::set<uint32_t>{c[1].criteria_id, c[2].criteria_id})) << "the idle criteria survive";
  EXPECT_EQ(cs_stats("cs1").counters.criteria_deleted_congestion, 1u);
  EXPECT_EQ(cs_stats("csrc_a").counters.criteria_deleted_congestion, 1u);
}

// Overlapping criteria: one copy is one copy. Three criteria of one source matching the same
// traffic into one destination at 40% of its soft limit cause no 580.
TEST_F(ServerTest, OverlappingCriteriaDoNotMultiplyTheDestinationBandwidth) {
  for (int i = 0; i < 3; ++i) add_ok(cs1, {{"Dest-Address", "192.0.2.1"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});
  auto c = srv.criteria();
  // 4 kB in one second => 3.2 kbit/s = 40% of soft-limit 8k, in 40 packets of 100 bytes.
  for (int i = 0; i < 40; ++i) {
    srv.account_copy(c[0].rule, 100);  // the representative (oldest) carries the copy
    for (const auto& x : c) srv.account_hit(x.rule, 100);
  }
  hal.advance(1'000'000'000ull);
  srv.check_congestion();
  for (auto& [p, m] : take_notes("secret1")) EXPECT_NE(m.status, 580) << "false congestion";
  for (const auto& d : srv.content_destination_stats())
    if (d.group == "g1" && d.id == "cd2") {
      EXPECT_EQ(d.soft_episodes, 0u);
      EXPECT_EQ(d.matched_packets, 40u);
    }
  // Each criterion still has its own statistics.
  for (const auto& x : srv.criteria()) EXPECT_EQ(x.matching_packets, 40u);
}

// One source may not take more than half of the table when others are configured.
class ShareTest : public ServerTest {
 protected:
  ShareTest() : ServerTest(1024, [] {
    dfc::dtcp::Server::Options o;
    o.max_criteria = 8;
    return o;
  }()) {}
};

TEST_F(ShareTest, OneControlSourceCannotFillTheTable) {
  for (int i = 0; i < 4; ++i) add_ok(cs1, kGroupIdle);
  Message r = request(cs1, "ADD", kGroupIdle);
  EXPECT_EQ(r.status, 550);
  EXPECT_NE(r.get("X-Error-Info").value_or("").find("share"), std::string::npos);
  // The others still get their share.
  for (int i = 0; i < 4; ++i) add_ok(csa, kGroupIdle);
  EXPECT_EQ(request(cs3, "ADD", kGroupIdle).status, 550);  // table limit (8) reached
  EXPECT_EQ(cs_stats("cs1").counters.response_max_criteria, 1u);
}

// The share in classifier entries (a 16-entry table: 8 for one source while others exist) is
// kept as a running sum: a DELETE and a restart give the entries back.
class EntryShareTest : public ServerTest {
 protected:
  EntryShareTest() : ServerTest(16, [] {
    dfc::dtcp::Server::Options o;
    o.max_criteria = 0;
    return o;
  }()) {}
  uint32_t add_host(int i) {
    return add_ok(cs1, {{"Dest-Address", "192.0.2." + std::to_string(i)}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}});
  }
  int add_status(int i) {
    return request(cs1, "ADD", {{"Dest-Address", "192.0.2." + std::to_string(i)}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}}).status;
  }
};

TEST_F(EntryShareTest, DeleteAndRestartGiveTheEntriesBack) {
  std::vector<uint32_t> ids;
  for (int i = 1; i <= 8; ++i) ids.push_back(add_host(i));
  ASSERT_EQ(cls.entries_used(), 8u);
  EXPECT_EQ(add_status(9), 550) << "one-entry criteria: the 9th passes half of 16";
  EXPECT_EQ(request(cs1, "DELETE", {{"Criteria-ID", std::to_string(ids[0])}}).status, 200);
  EXPECT_EQ(add_status(9), 200) << "the deleted criterion's entry is free again";
  EXPECT_EQ(add_status(10), 550);
  srv.restart("test");
  collect(cs1);
  for (int i = 1; i <= 8; ++i) EXPECT_EQ(add_status(i), 200) << "after the restart, criterion " << i;
  EXPECT_EQ(add_status(9), 550);
}

class WrapTest : public ServerTest {
 protected:
  WrapTest() : ServerTest(1024, [] {
    dfc::dtcp::Server::Options o;
    o.first_criteria_id = 0xfffffffeu;
    return o;
  }()) {}
};

TEST_F(WrapTest, CriteriaIdWrapsSkippingZeroAndLiveIds) {
  EXPECT_EQ(add_ok(cs1, kGroupIdle), 0xfffffffeu);
  EXPECT_EQ(add_ok(cs1, kGroupIdle), 0xffffffffu);
  EXPECT_EQ(add_ok(cs1, kGroupIdle), 1u);  // wrapped, 0 skipped
  // 0xfffffffe is still live: after wrapping around again it would be skipped; ids in use are
  // never handed out twice.
  EXPECT_EQ(add_ok(cs1, kGroupIdle), 2u);
  std::set<uint32_t> ids;
  for (const auto& c : srv.criteria()) ids.insert(c.criteria_id);
  EXPECT_EQ(ids.size(), 4u);
}

// DTCP/0.6 has a single Cdest-ID (a DSTRING): a list is 400 in every method, as in ADD.
TEST_F(ServerTest, CdestIdListIsBadRequestInDtcp06ForEveryMethod) {
  add_ok(cs1, kGroupIdle);
  for (const char* method : {"DELETE", "REFRESH", "LIST"}) {
    KV p{{"Cdest-ID", "cd1,cd2"}};
    if (std::string(method) == "REFRESH") p.emplace_back("Timeout-Idle", "60");
    Message r = request(cs1, method, p, "DTCP/0.6");
    EXPECT_EQ(r.status, 400) << method;
    EXPECT_EQ(r.get("Cdest-ID").value_or(""), "cd1,cd2") << method;
    // 0.7 accepts the list.
    EXPECT_EQ(request(cs1, method, p).status, 200) << method;
    if (std::string(method) == "DELETE") add_ok(cs1, kGroupIdle);
  }
  EXPECT_EQ(request(cs1, "ADD", {{"Timeout-Idle", "60"}, {"Cdest-ID", "cd1,cd2"}}, "DTCP/0.6").status, 400);
}

}  // namespace
