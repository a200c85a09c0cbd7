// LIST (single and multi-packet), timeouts and their notifications, hit accounting,
// DuplicatesDropped, congestion, counters.
#include <cstdio>
#include <map>
#include <set>

#include "dtcp_test_util.hpp"

using namespace dtcp_test;

namespace {

const KV kIdle{{"Dest-Address", "192.0.2.1"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}};

TEST_F(ServerTest, ListCriteriaStatsBoth) {
  hal.epoch_ms = 1767225600000ull;
  hal.advance_to(0);
  uint32_t a = add_ok(cs1, {{"Source-Address", "10.0.0.1"}, {"Protocol", "6"}, {"Dest-Port", "80"}, {"Timeout-Idle", "600"},
                            {"Timeout-Packets", "10"}, {"Flags", "SendAsync"}, {"Cdest-ID", "cd1"}});
  uint32_t b = add_ok(cs1, {{"Flags", "Static"}, {"Cdest-ID", "cd2"}});
  hal.advance_to(2'500'000'000ull);
  srv.account_hit(srv.criteria()[0].rule, 100);
  srv.account_hit(srv.criteria()[0].rule, 50);
  hal.advance_to(4'000'000'000ull);

  Message r = request(cs1, "LIST");  // default: Criteria
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "2");
  EXPECT_EQ(r.get("Criteria-Num").value_or(""), "1");
  EXPECT_EQ(r.get("Csource-ID").value_or(""), "cs1");
  EXPECT_EQ(r.get("Csource-Address").value_or(""), "10.0.0.1");
  EXPECT_EQ(r.get("Cdest-ID").value_or(""), "cd1");
  EXPECT_EQ(r.get("Criteria-ID").value_or(""), std::to_string(a));
  EXPECT_EQ(r.get("Timestamp").value_or(""), "2026-01-01 00:00:00.000");  // time added
  EXPECT_EQ(r.get("Source-Address").value_or(""), "10.0.0.1");
  EXPECT_EQ(r.get("Dest-Port").value_or(""), "80");
  EXPECT_EQ(r.get("Timeout-Packets").value_or(""), "10");
  EXPECT_EQ(r.get("Flags").value_or(""), "SendAsync");
  EXPECT_FALSE(r.find("Matching-Packets"));
  // the second entry follows in the same packet
  int nums = 0;
  for (auto& p : r.params)
    if (p.name == "Criteria-Num") ++nums;
  EXPECT_EQ(nums, 2);

  r = request(cs1, "LIST", {{"Flags", "Stats"}, {"Criteria-ID", std::to_string(a)}});
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "1");
  EXPECT_FALSE(r.find("Source-Address"));
  EXPECT_EQ(r.get("Matching-Packets").value_or(""), "2");
  EXPECT_EQ(r.get("Matching-Bytes").value_or(""), "150");
  EXPECT_EQ(r.get("Remaining-Packets").value_or(""), "8");
  EXPECT_EQ(r.get("Remaining-Idle").value_or(""), "599");  // 600 s from the last hit at 2.5 s
  EXPECT_EQ(r.get("Average-Bandwidth").value_or(""), "120");  // 150 B * 8 / 10 s
  EXPECT_EQ(r.get("Num-Refresh").value_or(""), "0");
  EXPECT_EQ(r.get("Last-Refresh").value_or(""), "2026-01-01 00:00:00.000");

  r = request(cs1, "LIST", {{"Flags", "BOTH"}, {"Cdest-ID", "cd2"}});
  EXPECT_EQ(r.get("Criteria-ID").value_or(""), std::to_string(b));
  EXPECT_EQ(r.get("Flags").value_or(""), "Static");
  EXPECT_TRUE(r.find("Matching-Packets"));
  EXPECT_FALSE(r.find("Remaining-Idle"));

  r = request(cs1, "LIST", {{"Criteria-ID", "9000-9999"}});  // nothing: a single empty reply
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.find("Criteria-Count"));
  EXPECT_EQ(r.params.size(), 2u);  // Timestamp, Seq
  EXPECT_EQ(cs_stats("cs1").counters.list_success, 4u);
  EXPECT_EQ(request(cs1, "LIST", {{"Flags", "Static"}}).status, 400);
  EXPECT_EQ(cs_stats("cs1").counters.list_failed, 1u);
}

TEST_F(ServerTest, ListMultiPacketNeverSplitsEntries) {
  const int n = 40;
  for (int i = 0; i < n; ++i)
    add_ok(cs1, {{"Source-Address", "10.0.0." + std::to_string(i)}, {"Dest-Address", "10.1.0.0/16"}, {"Protocol", "6"},
                 {"Dest-Port", "1000-2000"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}});
  uint64_t seq = ++seq1;
  deliver(cs1, build(cs1, "LIST", {{"Flags", "Both"}}, seq));
  // All packets built before any is sent: they are all in hal.sent now.
  std::vector<Packet> pkts = hal.sent;
  auto replies = collect(cs1);
  ASSERT_GT(replies.size(), 3u);
  std::vector<int> nums;
  std::set<std::string> ids;
  for (size_t i = 0; i < replies.size(); ++i) {
    EXPECT_LE(pkts[i].data.size(), 1400u);
    EXPECT_EQ(pkts[i].dst_port, cs1.port);  // same UDP ports for every packet
    const Message& m = replies[i];
    EXPECT_EQ(m.status, 200);
    EXPECT_EQ(m.get("Seq").value_or(""), std::to_string(seq));
    // every entry complete: Criteria-Num, ..., Flags? (no flags) , Last-Refresh
    int in_pkt = 0, last_refresh = 0;
    for (auto& p : m.params) {
      if (p.name == "Criteria-Num") {
        nums.push_back(std::stoi(p.value));
        ++in_pkt;
      }
      if (p.name == "Criteria-Count") {
        EXPECT_EQ(p.value, std::to_string(n));
      }
      if (p.name == "Criteria-ID") ids.insert(p.value);
      if (p.name == "Last-Refresh") ++last_refresh;
    }
    EXPECT_GT(in_pkt, 0);
    EXPECT_EQ(in_pkt, last_refresh);
  }
  ASSERT_EQ(nums.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(nums[static_cast<size_t>(i)], i + 1);
  EXPECT_EQ(ids.size(), static_cast<size_t>(n));
  EXPECT_EQ(srv.counters().replies_sent, static_cast<uint64_t>(n) + 1);
}

// A multi-packet LIST's bytes, each packet rebuilt here from what the criteria were given: the
// status line, whole entries in order, Timestamp and Seq, then the signature; each packet holds
// as many entries as fit in 1,400 bytes. Times past 2^32 ns and a 20-digit value take the
// formatting's 64-bit paths.
TEST_F(ServerTest, ListPacketsAreTheEntriesByteForByte) {
  hal.epoch_ms = 1767225600000ull;  // 2026-01-01 00:00:00.000 at time 0
  const int n = 23;
  std::vector<uint32_t> ids;
  std::vector<std::string> added;
  for (int i = 0; i < n; ++i) {
    const uint64_t t = 1'000'000'000ull + static_cast<uint64_t>(i) * 250'000'123ull;  // 1 s .. 6.5 s
    hal.advance_to(t);
    const uint64_t ms = t / 1'000'000;
    char ts[32];
    std::snprintf(ts, sizeof ts, "2026-01-01 00:00:%02u.%03u", static_cast<unsigned>(ms / 1000), static_cast<unsigned>(ms % 1000));
    added.emplace_back(ts);
    ids.push_back(add_ok(cs1, {{"Source-Address", "10.0.0." + std::to_string(i)}, {"Dest-Address", "10.1.0.0/16"},
                               {"Protocol", "6"}, {"Dest-Port", "1000-2000"}, {"Timeout-Idle", "600"},
                               {"Timeout-Packets", "18446744073709551615"}, {"Cdest-ID", "cd1"}}));
  }
  hal.advance_to(9'000'000'000ull);
  const uint64_t seq = ++seq1;
  deliver(cs1, build(cs1, "LIST", {{"Flags", "Both"}}, seq));
  std::vector<std::string> entries;
  for (int i = 0; i < n; ++i) {
    const uint64_t t = 1'000'000'000ull + static_cast<uint64_t>(i) * 250'000'123ull;
    const uint64_t left = (t + 600'000'000'000ull - 9'000'000'000ull + 999'999'999ull) / 1'000'000'000ull;
    entries.push_back("Criteria-Count: " + std::to_string(n) + "\r\nCriteria-Num: " + std::to_string(i + 1) +
                      "\r\nCsource-ID: cs1\r\nCsource-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nCriteria-ID: " +
                      std::to_string(ids[static_cast<size_t>(i)]) + "\r\nTimestamp: " + added[static_cast<size_t>(i)] +
                      "\r\nSource-Address: 10.0.0." + std::to_string(i) +
                      "\r\nDest-Address: 10.1.0.0/16\r\nProtocol: 6\r\nDest-Port: 1000-2000\r\nTimeout-Idle: 600"
                      "\r\nTimeout-Packets: 18446744073709551615\r\nRemaining-Idle: " + std::to_string(left) +
                      "\r\nRemaining-Packets: 18446744073709551615\r\nAverage-Bandwidth: 0\r\nMatching-Packets: 0"
                      "\r\nMatching-Bytes: 0\r\nNum-Refresh: 0\r\nLast-Refresh: " + added[static_cast<size_t>(i)] + "\r\n");
  }
  const std::string head = "DTCP/0.7 200 OK\r\n";
  const std::string tail = "Timestamp: 2026-01-01 00:00:09.000\r\nSeq: " + std::to_string(seq) + "\r\n";
  const size_t signature = std::string("Authentication-Info: \r\n\r\n").size() + 40;
  std::vector<std::string> expected;
  std::string body;
  for (const std::string& e : entries) {
    if (!body.empty() && head.size() + body.size() + e.size() + tail.size() + signature > 1400) {
      expected.push_back(dfc::dtcp::sign(head + body + tail, cs1.key));
      body.clear();
    }
    body += e;
  }
  expected.push_back(dfc::dtcp::sign(head + body + tail, cs1.key));
  ASSERT_GT(expected.size(), 2u);
  ASSERT_EQ(hal.sent.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(std::string(hal.sent[i].data.begin(), hal.sent[i].data.end()), expected[i]) << "packet " << i;
  hal.sent.clear();
}

TEST_F(ServerTest, IdleTimeoutFromLastHitWithNotification) {
  add_ok(cs1, {{"Timeout-Idle", "10"}, {"Flags", "SendAsync"}, {"Cdest-ID", "cd1"}});
  const uint64_t t0 = hal.now;
  EXPECT_EQ(hal.timer_at, t0 + 10'000'000'000ull);  // one Hal timer for the earliest deadline
  auto rule = srv.criteria()[0].rule;
  hal.advance_to(t0 + 6'000'000'000ull);
  srv.account_hit(rule, 100);
  hal.advance_to(t0 + 10'000'000'000ull);
  srv.on_timer();  // deadline moved by the hit: still alive, timer re-armed
  EXPECT_EQ(srv.active_criteria(), 1u);
  EXPECT_EQ(hal.timer_at, t0 + 16'000'000'000ull);
  hal.advance_to(t0 + 16'000'000'000ull);
  srv.on_timer();
  EXPECT_EQ(srv.active_criteria(), 0u);
  auto n = take_notes("secret1");
  ASSERT_EQ(n.size(), 2u);
  const Message& m = n[0].second;
  EXPECT_EQ(m.status, 390);
  EXPECT_EQ(m.reason, "Criterion Timeout Delete");
  EXPECT_EQ(m.get("Criteria-ID").value_or(""), "1");
  EXPECT_EQ(m.get("Cdest-ID").value_or(""), "cd1");
  EXPECT_EQ(m.get("Timeout-Idle").value_or(""), "10");
  EXPECT_EQ(m.get("Remaining-Idle").value_or(""), "0");
  auto s = cs_stats("cs1");
  EXPECT_EQ(s.counters.criteria_deleted_timeout_idle, 1u);
  EXPECT_EQ(s.counters.notification_timeout, 1u);
  EXPECT_EQ(cls.rules(), 0u);
}

TEST_F(ServerTest, TotalTimeoutWithoutSendAsyncIsQuiet) {
  add_ok(cs1, {{"Timeout-Total", "5"}, {"Timeout-Idle", "100"}, {"Cdest-ID", "cd1"}});
  auto rule = srv.criteria()[0].rule;
  for (int i = 1; i <= 5; ++i) {
    hal.advance(1'000'000'000ull);
    srv.account_hit(rule, 10);  // hits do not extend Timeout-Total
    if (hal.timer_due()) srv.on_timer();
  }
  EXPECT_EQ(srv.active_criteria(), 0u);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_deleted_timeout_total, 1u);
  EXPECT_TRUE(take_notes("secret1").empty());
}

TEST_F(ServerTest, PacketsAndBytesTimeouts) {
  add_ok(cs1, {{"Timeout-Packets", "3"}, {"Flags", "SendAsync"}, {"Cdest-ID", "cd1"}});
  add_ok(cs1, {{"Timeout-Bytes", "1000"}, {"Cdest-ID", "cd2"}});
  add_ok(cs1, {{"Timeout-Packets", "1"}, {"Flags", "Static"}, {"Cdest-ID", "cd1"}});  // static ignores timeouts
  auto c = srv.criteria();
  const uint64_t v0 = srv.criteria_version();
  srv.account_hit(c[0].rule, 1);
  srv.account_hit(c[0].rule, 1);
  EXPECT_NE(srv.criterion_for_rule(c[0].rule), nullptr);
  srv.account_hit(c[0].rule, 1);  // the third packet is counted (and copied), then deleted
  EXPECT_EQ(srv.criterion_for_rule(c[0].rule), nullptr);
  EXPECT_EQ(srv.criteria_version(), v0 + 1);
  srv.account_hit(c[1].rule, 999);
  EXPECT_NE(srv.criterion_for_rule(c[1].rule), nullptr);
  srv.account_hit(c[1].rule, 1);
  EXPECT_EQ(srv.criterion_for_rule(c[1].rule), nullptr);
  for (int i = 0; i < 5; ++i) srv.account_hit(c[2].rule, 1);
  EXPECT_NE(srv.criterion_for_rule(c[2].rule), nullptr);
  srv.account_hit(c[0].rule, 1);  // unknown rule now: ignored
  auto s = cs_stats("cs1");
  EXPECT_EQ(s.counters.criteria_deleted_packets, 1u);
  EXPECT_EQ(s.counters.criteria_deleted_bytes, 1u);
  EXPECT_EQ(s.static_criteria_active, 1u);
  EXPECT_EQ(s.dynamic_criteria_active, 0u);
  auto n = take_notes("secret1");
  ASSERT_EQ(n.size(), 2u);  // only the SendAsync one, to both targets
  EXPECT_EQ(n[0].second.get("Remaining-Packets").value_or(""), "0");
  // Per content destination: the copies counted (hits alone do not; a copy is reported
  // separately by the pipeline, once per destination per packet), and the criteria left.
  for (const auto& x : srv.criteria()) traffic(x.rule, 10);
  for (auto& d : srv.content_destination_stats()) {
    if (d.group != "g1") continue;
    if (d.id == "cd1") {
      EXPECT_EQ(d.matched_packets, 1u);
      EXPECT_EQ(d.matched_bytes, 10u);
      EXPECT_EQ(d.criteria, 1u);
    }
    if (d.id == "cd2") {
      EXPECT_EQ(d.matched_bytes, 0u);
      EXPECT_EQ(d.criteria, 0u);
    }
  }
}

TEST_F(ServerTest, RefreshPacketsCountsAgain) {
  uint32_t id = add_ok(cs1, {{"Timeout-Packets", "2"}, {"Cdest-ID", "cd1"}});
  auto rule = srv.criteria()[0].rule;
  srv.account_hit(rule, 1);
  EXPECT_EQ(request(cs1, "REFRESH", {{"Criteria-ID", std::to_string(id)}, {"Timeout-Packets", "2"}}).status, 200);
  srv.account_hit(rule, 1);
  EXPECT_EQ(srv.active_criteria(), 1u);
  srv.account_hit(rule, 1);
  EXPECT_EQ(srv.active_criteria(), 0u);
}

TEST_F(ServerTest, DuplicatesDroppedPeriodic) {
  add_ok(cs1, kIdle);
  srv.duplicates_dropped("cs1");
  srv.duplicates_dropped("cs1");
  auto n = take_notes("secret1");
  ASSERT_EQ(n.size(), 2u);  // first drop: notified at once (both targets)
  EXPECT_EQ(n[0].second.status, 598);
  EXPECT_EQ(n[0].second.get("X-Duplicates-Dropped").value_or(""), "1");
  hal.advance(29'000'000'000ull);
  srv.duplicates_dropped("cs1");
  EXPECT_TRUE(take_notes("secret1").empty());
  hal.advance(1'000'000'000ull);  // g-duplicates-dropped-periodicity 30 s
  srv.duplicates_dropped("cs1");
  n = take_notes("secret1");
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].second.get("X-Duplicates-Dropped").value_or(""), "3");
  srv.duplicates_dropped("nobody");
  auto s = cs_stats("cs1");
  EXPECT_EQ(s.counters.duplicates_dropped, 4u);
  EXPECT_EQ(s.counters.notification_duplicates_dropped, 2u);
}

TEST_F(ServerTest, CongestionSoftThenHardDeletesLowestPriorityNewest) {
  // cd2: soft 8k, clear 4k, hard 16k, target 12k (bit/s, 10-s average).
  add_ok(cs1, {{"Priority", "1"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});  // total 11
  add_ok(cs1, {{"Priority", "9"}, {"Flags", "Static"}, {"Cdest-ID", "cd2"}});       // total 19
  add_ok(csa, {{"Priority", "20"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});  // total 20
  auto c = srv.criteria();
  // 12 kB over the first second => 12 kB * 8 / 10 s = 9.6 kbit/s > soft 8k
  traffic(c[0].rule, 4000);
  traffic(c[1].rule, 4000);
  traffic(c[2].rule, 4000);
  hal.advance(1'000'000'000ull);
  traffic(c[0].rule, 1);  // a new second triggers the evaluation
  auto n1 = take_notes("secret1");
  ASSERT_EQ(n1.size(), 2u);
  EXPECT_EQ(n1[0].second.status, 580);
  EXPECT_EQ(n1[0].second.get("Cdest-ID").value_or(""), "cd2");
  EXPECT_EQ(n1[0].second.get("Alert-Bandwidth").value_or(""), "8000");
  EXPECT_EQ(n1[0].second.get("Max-Bandwidth").value_or(""), "16000");
  EXPECT_EQ(srv.active_criteria(), 3u);
  // Push past the hard limit: 25 kB total => 20 kbit/s > 16k; must shed to < 12k.
  traffic(c[2].rule, 8000);
  traffic(c[1].rule, 5000);
  hal.advance(1'000'000'000ull);
  traffic(c[0].rule, 1);
  // Victims in order: csrc_a's (prio 20, 9.6 kbit/s) -> est 10.4k < 12k: stop.
  EXPECT_EQ(srv.active_criteria(), 2u);
  auto na = take_notes("secret");  // (csrc_a's 580 was discarded with the first take_notes)
  ASSERT_EQ(na.size(), 1u);
  EXPECT_EQ(na[0].second.status, 680);
  EXPECT_EQ(na[0].second.reason, "Criterion Congestion Delete");
  EXPECT_EQ(na[0].second.get("Criteria-ID").value_or(""), std::to_string(c[2].criteria_id));
  EXPECT_EQ(cs_stats("csrc_a").counters.criteria_deleted_congestion, 1u);
  EXPECT_TRUE(take_notes("secret1").empty());  // cs1 was not touched and already told of congestion
  for (auto& d : srv.content_destination_stats())
    if (d.id == "cd2" && d.group == "g1") {
      EXPECT_EQ(d.congestion_notifications, 3u);
      EXPECT_TRUE(d.soft_congested);
    }
  // Quiet for 10 s: the soft condition clears on the next evaluation; a new episode notifies again.
  hal.advance(11'000'000'000ull);
  srv.check_congestion();
  bool seen = false;
  for (auto& d : srv.content_destination_stats()) {
    if (d.id == "cd2" && d.group == "g1") {
      seen = true;
      EXPECT_FALSE(d.soft_congested);
      EXPECT_EQ(d.soft_cleared, 1u);
    }
  }
  EXPECT_TRUE(seen);
  take_notes("secret1");
  traffic(c[0].rule, 12000);  // 9.6 kbit/s > soft 8k: a new episode
  hal.advance(1'000'000'000ull);
  srv.check_congestion();
  auto again = take_notes("secret1");
  ASSERT_EQ(again.size(), 2u) << "a new soft episode notifies again (both of cs1's targets)";
  EXPECT_EQ(again[0].second.status, 580);
}

// Reference §2.7: the destination's average is computed over its *active* criteria. After a
// hard-limit deletion the deleted criterion's traffic no longer counts, so the next evaluation
// deletes nothing more; the soft episode clears below soft-limit-clear and a new one notifies.
TEST_F(ServerTest, CongestionCountsOnlyActiveCriteriaAndSoftEpisodesRepeat) {
  add_ok(cs1, {{"Priority", "1"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});
  add_ok(cs1, {{"Priority", "9"}, {"Flags", "Static"}, {"Cdest-ID", "cd2"}});
  add_ok(csa, {{"Priority", "20"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd2"}});
  auto c = srv.criteria();
  traffic(c[0].rule, 4000);
  traffic(c[1].rule, 5000);
  traffic(c[2].rule, 16000);  // 25 kB => 20 kbit/s > hard 16k
  hal.advance(1'000'000'000ull);
  srv.check_congestion();  // deletes csrc_a's criterion: 9 kB left => 7.2 kbit/s
  EXPECT_EQ(srv.active_criteria(), 2u);
  for (int i = 0; i < 3; ++i) {
    hal.advance(1'000'000'000ull);
    srv.check_congestion();  // the deleted criterion's 12.8 kbit/s no longer counts
  }
  EXPECT_EQ(srv.active_criteria(), 2u);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_deleted_congestion, 0u);
  auto cd2 = [&] {
    for (auto& d : srv.content_destination_stats())
      if (d.id == "cd2" && d.group == "g1") return d;
    return dfc::dtcp::ContentDestinationStats{};
  };
  EXPECT_EQ(cd2().soft_episodes, 1u);
  EXPECT_TRUE(cd2().soft_congested);  // 7.2k: above soft-limit-clear (4k)
  take_notes("secret1");
  hal.advance(11'000'000'000ull);
  srv.check_congestion();
  EXPECT_FALSE(cd2().soft_congested);
  EXPECT_EQ(cd2().soft_cleared, 1u);
  traffic(c[0].rule, 12000);  // 9.6 kbit/s > soft 8k again
  hal.advance(1'000'000'000ull);
  srv.check_congestion();
  EXPECT_EQ(cd2().soft_episodes, 2u);
  auto n = take_notes("secret1");
  ASSERT_EQ(n.size(), 2u);  // cs1 has two notification targets
  EXPECT_EQ(n[0].second.status, 580);
  EXPECT_EQ(n[1].second.status, 580);
}

TEST_F(ServerTest, CountersSnapshotVisit) {
  add_ok(cs1, kIdle);
  request(cs1, "LIST");
  std::map<std::string, uint64_t> fields;
  cs_stats("cs1").counters.visit([&](const char* k, uint64_t v) { fields[k] = v; });
  EXPECT_EQ(fields.at("add_requests"), 1u);
  EXPECT_EQ(fields.at("list_requests"), 1u);
  EXPECT_EQ(fields.at("requests"), 2u);
  EXPECT_EQ(fields.size(), 44u);
  std::map<std::string, uint64_t> g;
  srv.counters().visit([&](const char* k, uint64_t v) { g[k] = v; });
  EXPECT_EQ(g.at("control_packets"), 2u);
  auto s = cs_stats("cs1");
  EXPECT_EQ(s.add_request_peak_rate, 1u);
  EXPECT_TRUE(s.has_sequence_number);
  EXPECT_EQ(s.group, "g1");
}

}  // namespace
