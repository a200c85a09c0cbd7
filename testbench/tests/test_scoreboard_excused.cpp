// The install/removal ambiguity windows are bounded by the card's own timing (the request's
// arrival to the reply's departure) and every packet they excuse is listed with its reason.
#include <gtest/gtest.h>

#include <string>

#include "scoreboard_bench.hpp"

using namespace sbtest;

namespace {
const std::string kCrit = "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic;

// ADD at 0, its reply 10 us later; one packet taken at t_pkt, copied or not.
Scoreboard::Result install_run(uint64_t t_pkt, bool copied, uint64_t slack = 0) {
  ScoreboardConfig c = config();
  c.install_slack_ps = slack;
  Bench b(c);
  b.add(0, "cs1", kCrit, 1, 200, 10 * kUs);
  Packet p = b.packet(t_pkt, flow("10.0.0.1", "10.0.0.2"));
  if (copied) b.copy(p, "cd1");
  return b.finish();
}
}  // namespace

TEST(ScoreboardExcused, CriteriaInstalledBeforeTrafficLeaveNothingAmbiguous) {
  Bench b;
  b.add(0, "cs1", kCrit, 1);
  b.add(1 * kUs, "cs2", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic, 2);
  for (uint64_t t = 100 * kUs; t < 2 * kMs; t += 37 * kUs) {
    Packet p = b.packet(t, flow("10.0.0.1", "10.0.0.2"));
    b.copy(p, "cd1");
    b.copy(p, "cd2");
  }
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.ambiguous_packets, 0u);
  EXPECT_TRUE(r.excused.empty());
}

TEST(ScoreboardExcused, ALostCopyOutsideTheInstallWindowFails) {
  EXPECT_TRUE(install_run(50 * kUs, true).pass);
  EXPECT_FALSE(install_run(50 * kUs, false).pass);
}

// Inside [request, reply] the card may or may not have installed the criterion: the lost copy
// is excused, and listed with its window.
TEST(ScoreboardExcused, ALostCopyBeforeTheReplyIsExcusedAndListed) {
  auto r = install_run(5 * kUs, false);
  EXPECT_TRUE(r.pass);
  ASSERT_EQ(r.excused.size(), 1u);
  EXPECT_EQ(r.excused[0]["reason"], "install_window");
  EXPECT_EQ(r.excused[0]["criterion"], "cs1#1");
  EXPECT_EQ(r.excused[0]["taken_as"], "not in force");
  EXPECT_EQ(r.excused[0]["window_ps"][0], 0u);
  EXPECT_EQ(r.excused[0]["window_ps"][1], 10 * kUs);
  EXPECT_TRUE(install_run(5 * kUs, true).excused.empty());  // the point estimate: in force
}

// The card installs before it replies: a packet taken after the reply left must be copied,
// whatever slack the harness gives the timeout bases.
TEST(ScoreboardExcused, ALostCopyAfterTheReplyFailsEvenWithSlack) {
  EXPECT_FALSE(install_run(11 * kUs, false).pass);
  EXPECT_FALSE(install_run(11 * kUs, false, 50 * kUs).pass);
  EXPECT_TRUE(install_run(11 * kUs, true, 50 * kUs).pass);
}

TEST(ScoreboardExcused, ACopyAfterTheDeleteReplyFails) {
  auto run = [](uint64_t t_pkt, bool copied) {
    ScoreboardConfig c = config();
    c.install_slack_ps = 50 * kUs;
    Bench b(c);
    b.add(0, "cs1", kCrit, 1);
    b.exchange(kMs, "DELETE", "cs1", "Criteria-ID: 1\r\nFlags: Static\r\n", 200, "Criteria-Count: 1\r\n", 10 * kUs);
    Packet p = b.packet(t_pkt, flow("10.0.0.1", "10.0.0.2"));
    if (copied) b.copy(p, "cd1");
    return b.finish();
  };
  EXPECT_TRUE(run(kMs + 5 * kUs, true).pass);    // inside [request, reply]: either way
  EXPECT_TRUE(run(kMs + 5 * kUs, false).pass);
  EXPECT_FALSE(run(kMs + 11 * kUs, true).pass);  // after the reply: gone
  EXPECT_TRUE(run(kMs + 11 * kUs, false).pass);
}
