// The scoreboard's control plane and configuration: replies matched to requests, the status
// it predicts itself (433), its own reader of the Junos configuration and capture groups with
// their own destinations and max-duplicates.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "scoreboard_bench.hpp"

using namespace sbtest;

TEST(Scoreboard, ListContinuationRepliesAreNotMistakenForOtherReplies) {
  Bench b;
  b.sb.on_request(0, "cs1", b.request("LIST", "cs1", "Flags: Both\r\n"));
  b.sb.on_reply(5 * kUs, "cs1", Bench::reply(200, 1, "Criteria-Count: 2\r\nCriteria-Num: 1\r\n"));
  b.sb.on_request(8 * kUs, "cs1", b.request("ADD", "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic));
  b.sb.on_reply(9 * kUs, "cs1", Bench::reply(200, 1, "Criteria-Count: 2\r\nCriteria-Num: 2\r\n"));  // LIST part 2
  b.sb.on_reply(20 * kUs, "cs1", Bench::reply(200, 2, "Criteria-ID: 3\r\n"));
  b.copy(b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["dtcp"]["reply_status"]["LIST 200"], 1);
  EXPECT_EQ(r.coverage["dtcp"]["reply_status"]["ADD 200"], 1);
}

TEST(Scoreboard, ReplyMatchedBySeqAndUnparsableCriterionReported) {
  Bench b;
  // The ADD the card accepts but the model cannot parse is reported, not silently ignored.
  b.add(0, "cs1", "Source-Address: 10.0.0.999\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("model cannot parse"), std::string::npos);

  Bench s;  // replies arrive out of order: matched by Seq
  // (the first is refused with 432, as the reference predicts: 10.0.0.999 is no address)
  const std::string a1 = s.request("ADD", "cs1", "Source-Address: 10.0.0.999\r\nCdest-ID: cd1\r\n" + kStatic);
  const std::string a2 = s.request("ADD", "cs1", "Source-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic);
  s.sb.on_request(0, "cs1", a1);
  s.sb.on_request(1 * kUs, "cs1", a2);
  s.sb.on_reply(5 * kUs, "cs1", Bench::reply(200, 2, "Criteria-ID: 2\r\n"));
  s.sb.on_reply(6 * kUs, "cs1", Bench::reply(432, 1, ""));
  s.copy(s.packet(100 * kUs, flow("10.0.0.2", "10.0.0.3")), "cd2");
  s.packet(101 * kUs, flow("10.0.0.1", "10.0.0.3"));
  EXPECT_TRUE(s.finish().pass);

  Bench f;  // a forged request reusing the Seq of a later genuine one gets no reply of its own
  const std::string forged = f.request("ADD", "cs1", "Source-Address: 10.0.0.9\r\nCdest-ID: cd1\r\n" + kStatic);
  f.seq["cs1"] = 0;
  const std::string genuine = f.request("ADD", "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic);
  f.sb.on_request(0, "cs1", forged);
  f.sb.on_request(100 * kUs, "cs1", genuine);
  f.sb.on_reply(110 * kUs, "cs1", Bench::reply(200, 1, "Criteria-ID: 1\r\n"));
  f.copy(f.packet(200 * kUs, flow("10.0.0.1", "10.0.0.3")), "cd1");
  f.packet(201 * kUs, flow("10.0.0.9", "10.0.0.3"));
  EXPECT_TRUE(f.finish().pass);
}

// The reference predicts 433 for an ADD with no timeout and no Static; a card answering 200 fails.
TEST(Scoreboard, AddWithoutTimeoutAnswered200Fails) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n", 1);
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors[0].find("433"), std::string::npos) << r.errors[0];
  Bench ok;  // the same ADD answered 433 changes nothing and is no error
  ok.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n", 1, 433);
  EXPECT_TRUE(ok.finish().pass);
}

TEST(ScoreboardConfig, ReadsJunosTextItself) {
  const std::string text = R"(/* two groups, the same destination id in both */
services {
    dynamic-flow-capture {
        g-max-duplicates 5;
        capture-group a {
            interfaces dfc-0/0/0;
            max-duplicates 2;
            control-source cs1 {
                source-addresses [ 10.36.41.1 10.36.41.9 ];
                service-port 2400;
                notification-targets { 10.36.41.1 port 2100; }
                shared-key "key of cs1";  # comment
                minimum-priority 7;
            }
            content-destination cd1 { address 10.36.70.1; ttl 44; hard-limit 300k; soft-limit 1m; }
        }
        capture-group b {
            control-source cs2 { service-port 2401; shared-key k2; }
            content-destination cd1 { address 10.36.70.2; }
            content-destination v6 { address 2001:db8::1; }
        }
    }
})";
  const ScoreboardConfig c = ScoreboardConfig::parse(text);
  ASSERT_EQ(c.cdests.size(), 2u);  // the IPv6 destination is skipped (copies are IPv4-in-IP)
  const auto& a1 = c.cdests.at("a/cd1");
  EXPECT_EQ(a1.address, 0x0a244601u);
  EXPECT_EQ(a1.ttl, 44);
  EXPECT_EQ(a1.hard_limit, 300000u);
  EXPECT_EQ(a1.soft_limit, 1000000u);
  EXPECT_EQ(c.cdests.at("b/cd1").address, 0x0a244602u);
  EXPECT_EQ(c.cdests.at("b/cd1").ttl, 255);
  const auto& s1 = c.csources.at("cs1");
  EXPECT_EQ(s1.minimum_priority, 7u);
  EXPECT_EQ(s1.group, "a");
  EXPECT_EQ(s1.service_port, 2400);
  EXPECT_EQ(s1.shared_key, "key of cs1");
  EXPECT_EQ(s1.source_addresses, (std::vector<uint32_t>{0x0a242901u, 0x0a242909u}));
  ASSERT_EQ(s1.notification_targets.size(), 1u);
  EXPECT_EQ(s1.notification_targets[0].second, 2100);
  EXPECT_TRUE(s1.has_notification_targets);
  EXPECT_FALSE(c.csources.at("cs2").has_notification_targets);
  EXPECT_EQ(c.max_duplicates_of("a"), 2u);
  EXPECT_EQ(c.max_duplicates_of("b"), 5u);  // g-max-duplicates
  EXPECT_EQ(c.cdest_key("cs1", "cd1"), "a/cd1");
  EXPECT_EQ(c.cdest_key("cs2", "cd1"), "b/cd1");
  EXPECT_EQ(c.cdest_key("cs2", "cd9"), "");
  try {
    ScoreboardConfig::parse("dynamic-flow-capture {\n capture-group a {\n max-duplicates x;\n }\n}\n");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ScoreboardConfig::parse("dynamic-flow-capture { capture-group a { "), std::runtime_error);
}

// Each capture group's cd1 is its own destination, and max-duplicates applies per group.
TEST(Scoreboard, CaptureGroupsHaveTheirOwnDestinationsAndLimits) {
  ScoreboardConfig c = ScoreboardConfig::parse(R"(dynamic-flow-capture {
    capture-group a { max-duplicates 1;
      control-source cs1 { service-port 1; shared-key k; }
      content-destination cd1 { address 10.9.0.1; } content-destination cd2 { address 10.9.0.2; } }
    capture-group b { max-duplicates 2;
      control-source cs2 { service-port 2; shared-key k; minimum-priority 5; }
      content-destination cd1 { address 10.9.1.1; } content-destination cd2 { address 10.9.1.2; } } })");
  Bench b(c);
  b.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic, 2);  // loses in group a
  b.add(0, "cs2", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(0, "cs2", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic, 2);
  Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  for (const char* k : {"a/cd1", "b/cd1", "b/cd2"}) {
    Packet cp = ipip(p, k, c);
    cp.cdest_id = std::string(k).substr(2);  // the card names the group's own id
    b.sb.on_copy(cp, 110 * kUs);
  }
  b.sb.on_copy_drops({{"copies_max_duplicates", 1}});
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.matched_copies, 3u);
  {
    Bench w(c);  // a copy to group b's cd1 for a criterion of group a is wrong
    w.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    Packet q = w.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
    Packet cp = ipip(q, "b/cd1", c);
    cp.cdest_id = "cd1";
    w.sb.on_copy(cp, 110 * kUs);
    auto rw = w.finish();
    EXPECT_FALSE(rw.pass);
    EXPECT_EQ(rw.unexpected_copies, 1u);
    EXPECT_EQ(rw.missing_copies, 1u);
  }
}

// Requests the card dropped at ingress (its control receive ring was full): the firmware never
// saw them, so the reference must not act on them, owe no reply for them, nor use their Seq.
namespace {

ScoreboardConfig keyed_cs1() {
  ScoreboardConfig c = config();
  c.csources["cs1"].shared_key = "key-one";  // the Seq window is judged
  return c;
}

}  // namespace

TEST(ScoreboardDroppedRequests, DroppedAddIsNotInstalledAndOwesNoReply) {
  for (bool online : {false, true}) {
    SCOPED_TRACE(online ? "online" : "batch");
    Bench b(keyed_cs1());
    if (online) b.sb.set_online(2 * kMs);
    const std::string dropped = b.request("ADD", "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic);
    b.sb.on_request(0, "cs1", dropped);
    b.sb.on_request_dropped(0, "cs1", dropped, "rx_ring_full");
    b.add(100 * kUs, "cs1", "Source-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic, 1);
    for (uint64_t t = 1 * kMs; t < 6 * kMs; t += kMs) {
      b.packet(t, flow("10.0.0.1", "10.0.0.3"));  // the dropped ADD's flow: no copy
      b.copy(b.packet(t + 10 * kUs, flow("10.0.0.2", "10.0.0.3")), "cd2");
    }
    auto r = b.finish();
    EXPECT_TRUE(r.pass);
    EXPECT_FALSE(has_error(r, "missing reply"));
    EXPECT_EQ(r.dropped_requests, 1u);
    const auto& dr = r.coverage["dtcp"]["dropped_requests"];
    EXPECT_EQ(dr["count"], 1);
    EXPECT_EQ(dr["by_reason"]["rx_ring_full"], 1);
    EXPECT_EQ(dr["by_method"]["ADD"], 1);
    ASSERT_EQ(dr["first"].size(), 1u);
    EXPECT_NE(dr["first"][0].get<std::string>().find("Seq 1"), std::string::npos) << dr["first"][0];
    EXPECT_EQ(r.coverage["dtcp"]["methods"]["ADD"], 1);  // only the ADD the card saw
    EXPECT_EQ(r.to_json()["dropped_requests"], 1);
  }
  Bench on(keyed_cs1());  // a copy for the dropped ADD's flow is unexpected
  const std::string dropped = on.request("ADD", "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic);
  on.sb.on_request(0, "cs1", dropped);
  on.sb.on_request_dropped(0, "cs1", dropped, "rx_ring_full");
  on.copy(on.packet(1 * kMs, flow("10.0.0.1", "10.0.0.3")), "cd1");
  auto r = on.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.unexpected_copies, 1u);
}

TEST(ScoreboardDroppedRequests, DroppedDeleteLeavesTheCriterionInForce) {
  for (bool online : {false, true}) {
    SCOPED_TRACE(online ? "online" : "batch");
    Bench b;
    if (online) b.sb.set_online(2 * kMs);
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    b.copy(b.packet(500 * kUs, flow("10.0.0.1", "10.0.0.3")), "cd1");
    const std::string del = b.request("DELETE", "cs1", "Criteria-ID: 1\r\n");
    b.sb.on_request(1 * kMs, "cs1", del);
    b.sb.on_request_dropped(1 * kMs, "cs1", del, "ingress_buffer_full");
    for (uint64_t t = 2 * kMs; t < 6 * kMs; t += kMs) b.copy(b.packet(t, flow("10.0.0.1", "10.0.0.3")), "cd1");
    auto r = b.finish();
    EXPECT_TRUE(r.pass);
    EXPECT_EQ(r.matched_copies, 5u);
    EXPECT_EQ(r.missing_copies, 0u);
    EXPECT_FALSE(has_error(r, "missing reply"));
    EXPECT_EQ(r.coverage["dtcp"]["dropped_requests"]["by_method"]["DELETE"], 1);
  }
}

// The card never saw the dropped request's Seq: the same request sent again is answered (it
// is not a replay), and the reply goes to the request the card saw.
TEST(ScoreboardDroppedRequests, DroppedRequestUsesNoSeq) {
  Bench b(keyed_cs1());
  b.sb.set_online(2 * kMs);
  const std::string add = b.request("ADD", "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic);
  b.sb.on_request(0, "cs1", add);
  b.sb.on_request_dropped(0, "cs1", add, "rx_ring_full");
  b.sb.on_request(500 * kUs, "cs1", add);  // sent again, unchanged
  b.sb.on_reply(510 * kUs, "cs1", Bench::reply(200, 1, "Criteria-ID: 1\r\n"));
  for (uint64_t t = 1 * kMs; t < 5 * kMs; t += kMs) b.copy(b.packet(t, flow("10.0.0.1", "10.0.0.3")), "cd1");
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_FALSE(has_error(r, "already used"));
  EXPECT_EQ(r.coverage["dtcp"]["reply_status"]["ADD 200"], 1);
  EXPECT_EQ(r.coverage["dtcp"]["reply_status"].count("ADD no_reply"), 0u);
}

// A drop the scoreboard cannot take back is reported, never ignored: one naming no request,
// and one that comes after the online replay already acted on the request.
TEST(ScoreboardDroppedRequests, UnmatchedOrLateDropIsAnError) {
  {
    Bench b;
    b.sb.on_request_dropped(0, "cs1", b.request("NOOP", "cs1", ""), "rx_ring_full");
    auto r = b.finish();
    EXPECT_FALSE(r.pass);
    EXPECT_TRUE(has_error(r, "never reported as a request"));
  }
  {
    // Unanswered, the NOOP holds the online check until the reply limit; then it is replayed
    // (as unanswered) and a drop reported after that cannot be taken back.
    ScoreboardConfig c = config();
    c.reply_limit_ps = 3 * kMs;
    Bench b(c);
    b.sb.set_online(2 * kMs);
    const std::string noop = b.request("NOOP", "cs1", "");
    b.sb.on_request(0, "cs1", noop);
    for (uint64_t t = 1 * kMs; t < 8 * kMs; t += kMs) b.packet(t);
    b.sb.on_request_dropped(0, "cs1", noop, "rx_ring_full");
    auto r = b.finish();
    EXPECT_FALSE(r.pass);
    EXPECT_TRUE(has_error(r, "after the scoreboard had replayed it"));
    EXPECT_FALSE(has_error(r, "missing reply"));  // reported once, as the late drop
  }
}
