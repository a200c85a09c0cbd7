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
