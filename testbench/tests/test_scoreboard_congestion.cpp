// The reference's own congestion prediction (docs/scoreboard.md "Congestion"): a card 580/680
// that should not have happened, one that should have and did not, and a deletion of the wrong
// criteria each fail; the right ones pass. Rates: a 128-byte Ethernet frame (FCS included) is a
// 110-byte IP datagram, i.e. 88 bit/s of 10-s average per copy.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scoreboard_bench.hpp"

using namespace sbtest;

namespace {

constexpr double kBitsPerCopy = 110 * 8 / 10.0;  // 88

// n packets from src, 1 ms apart from t0, each copied to cd1.
void burst(Bench& b, uint64_t t0, int n, const std::string& src) {
  for (int i = 0; i < n; ++i) b.copy(b.packet(t0 + static_cast<uint64_t>(i) * kMs, flow(src, "10.0.0.99")), "cd1");
}

// cd1: soft-limit 5 kbit/s (clear 2 kbit/s); cs1 and cs2 both have a criterion to it.
struct Soft {
  Bench b;
  explicit Soft(double soft = 5000, double clear = 2000, bool online = false) : b(cfg(soft, clear)) {
    if (online) b.sb.set_online(2 * kMs);  // as the harness does
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    b.add(kUs, "cs2", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 2);
  }
  static ScoreboardConfig cfg(double soft, double clear) {
    ScoreboardConfig c = config();
    c.cdests["cd1"].soft_limit = static_cast<uint64_t>(soft), c.cdests["cd1"].soft_limit_clear = static_cast<uint64_t>(clear);
    return c;
  }
  void note(uint64_t t, const std::string& cs) { b.notify(t, cs, 580, "Cdest-ID: cd1\r\nAverage-Bandwidth: 8800\r\n"); }
  Scoreboard::Result finish(uint64_t end = 4 * kS) {
    b.sb.on_end(end);
    return b.finish();
  }
};

}  // namespace

TEST(ScoreboardCongestion, SoftCrossingIsPredictedAndNotifiedToEverySource) {
  Soft s;
  burst(s.b, 100 * kMs, 100, "10.0.0.1");  // 8.8 kbit/s from 0.1 s on
  s.note(kS + 20 * kUs, "cs1");            // the card's 1-s evaluation
  s.note(kS + 30 * kUs, "cs2");
  auto r = s.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["congestion"]["580"]["predicted"], 2);
  EXPECT_EQ(r.coverage["congestion"]["580"]["matched"], 2);
  EXPECT_EQ(r.coverage["congestion"]["580"]["ambiguous"], 0);
  EXPECT_NEAR(r.coverage["congestion"]["destinations"]["cd1"]["peak_rate_bps"].get<double>(), 100 * kBitsPerCopy, 1);
}

TEST(ScoreboardCongestion, MissingSoftNotificationFails) {
  Soft none;  // the rate is above soft-limit for the whole of second 1: a 580 was due by 3 s
  burst(none.b, 100 * kMs, 100, "10.0.0.1");
  auto r = none.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_TRUE(has_error(r, "missing 580"));
  EXPECT_EQ(r.coverage["congestion"]["580"]["missing"], 2);

  Soft one;  // one of the two sources is not told
  burst(one.b, 100 * kMs, 100, "10.0.0.1");
  one.note(kS + 20 * kUs, "cs1");
  auto r1 = one.finish();
  EXPECT_FALSE(r1.pass);
  EXPECT_TRUE(has_error(r1, "control source cs2 has criteria to it"));

  Soft early_end;  // the run ended before the notification was due: nothing to judge
  burst(early_end.b, 100 * kMs, 100, "10.0.0.1");
  EXPECT_TRUE(early_end.finish(kS + 500 * kMs).pass);
}

TEST(ScoreboardCongestion, UnexpectedSoftNotificationFails) {
  Soft low;  // 0.88 kbit/s against a 5 kbit/s soft-limit
  burst(low.b, 100 * kMs, 10, "10.0.0.1");
  low.note(kS + 20 * kUs, "cs1");
  low.note(kS + 30 * kUs, "cs2");
  auto r = low.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_TRUE(has_error(r, "unexpected Congestion"));
  EXPECT_EQ(r.coverage["congestion"]["580"]["unexpected"], 1);

  Soft again;  // a second 580 while the rate never fell below soft-limit-clear
  burst(again.b, 100 * kMs, 100, "10.0.0.1");
  again.note(kS + 20 * kUs, "cs1");
  again.note(kS + 30 * kUs, "cs2");
  again.note(2 * kS + 20 * kUs, "cs1");
  auto r2 = again.finish();
  EXPECT_FALSE(r2.pass);
  EXPECT_TRUE(has_error(r2, "still congested"));

  Soft stranger;  // cs1 has no criterion to cd2 (no limit there either)
  burst(stranger.b, 100 * kMs, 100, "10.0.0.1");
  stranger.note(kS + 20 * kUs, "cs1");
  stranger.note(kS + 30 * kUs, "cs2");
  stranger.b.notify(kS + 40 * kUs, "cs1", 580, "Cdest-ID: cd2\r\n");
  EXPECT_FALSE(stranger.finish().pass);
}

TEST(ScoreboardCongestion, NewEpisodeAfterTheRateClears) {
  Soft s;
  burst(s.b, 100 * kMs, 100, "10.0.0.1");
  s.note(kS + 20 * kUs, "cs1");
  s.note(kS + 30 * kUs, "cs2");
  burst(s.b, 12 * kS, 100, "10.0.0.1");  // second 0 left the window at 10 s: below clear
  s.note(13 * kS + 20 * kUs, "cs1");
  s.note(13 * kS + 30 * kUs, "cs2");
  auto r = s.finish(16 * kS);
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["congestion"]["580"]["matched"], 4);
  EXPECT_EQ(r.coverage["congestion"]["destinations"]["cd1"]["soft_onsets"], 2);

  Soft silent;  // the second episode is not notified
  burst(silent.b, 100 * kMs, 100, "10.0.0.1");
  silent.note(kS + 20 * kUs, "cs1");
  silent.note(kS + 30 * kUs, "cs2");
  burst(silent.b, 12 * kS, 100, "10.0.0.1");
  EXPECT_FALSE(silent.finish(16 * kS).pass);
}

TEST(ScoreboardCongestion, RateWithinTheBandIsAmbiguousEitherWay) {
  const double soft = 100 * kBitsPerCopy * 1.01;  // the reference's rate is 1 % under the limit
  Soft with(soft, soft / 2);
  burst(with.b, 100 * kMs, 100, "10.0.0.1");
  with.note(kS + 20 * kUs, "cs1");
  with.note(kS + 30 * kUs, "cs2");
  auto r = with.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["congestion"]["580"]["ambiguous"], 2);
  EXPECT_EQ(r.coverage["congestion"]["580"]["predicted"], 0);

  Soft without(soft, soft / 2);
  burst(without.b, 100 * kMs, 100, "10.0.0.1");
  EXPECT_TRUE(without.finish().pass);
}

namespace {
// cd1: hard-limit 20 kbit/s. Four criteria, one source address each, 100 copies each in second
// 0 (8.8 kbit/s each, 35.2 kbit/s in all). Total priorities: A cs1#1 1, B cs1#2 5, C cs2#3 6
// (cs2's minimum-priority 5 + 1), D cs1#4 6 and newer than C. Documented order: D, C, B, A.
struct Hard {
  Bench b;
  explicit Hard(double target, uint64_t d_after_c = kMs, int packets = 100, bool online = false) : b(cfg(target)) {
    if (online) b.sb.set_online(2 * kMs);
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    b.add(kMs, "cs1", "Source-Address: 10.0.0.2\r\nCdest-ID: cd1\r\nPriority: 5\r\n" + kStatic, 2);
    b.add(2 * kMs, "cs2", "Source-Address: 10.0.0.3\r\nCdest-ID: cd1\r\n" + kStatic, 3);
    b.add(2 * kMs + d_after_c, "cs1", "Source-Address: 10.0.0.4\r\nCdest-ID: cd1\r\nPriority: 6\r\n" + kStatic, 4);
    for (int i = 0; i < packets; ++i)  // in time order (online checking relies on it)
      for (uint64_t k = 0; k < 4; ++k) {
        const std::string src = "10.0.0." + std::to_string(k + 1);
        b.copy(b.packet(100 * kMs + static_cast<uint64_t>(i) * kMs + k * 10 * kUs, flow(src, "10.0.0.99")), "cd1");
      }
  }
  static ScoreboardConfig cfg(double target) {
    ScoreboardConfig c = config();
    c.cdests["cd1"].hard_limit = 20000, c.cdests["cd1"].hard_limit_target = static_cast<uint64_t>(target);
    return c;
  }
  void del(uint64_t t, const std::string& cs, const std::string& ids) {
    b.notify(t, cs, 680, "Cdest-ID: cd1\r\nCriteria-ID: " + ids + "\r\n");
  }
  Scoreboard::Result finish() {
    b.sb.on_end(4 * kS);
    return b.finish();
  }
};
}  // namespace

TEST(ScoreboardCongestion, HardPurgeIsPredictedInTheDocumentedOrder) {
  Hard h(25000);  // without D 26.4 kbit/s, without C too 17.6 kbit/s < 25 kbit/s: delete D and C
  h.del(kS + 20 * kUs, "cs1", "4");
  h.del(kS + 30 * kUs, "cs2", "3");
  auto r = h.finish();
  EXPECT_TRUE(r.pass);
  const auto& c = r.coverage["congestion"]["680"];
  EXPECT_EQ(c["predicted"], 2);
  EXPECT_EQ(c["matched"], 2);
  EXPECT_EQ(c["criteria_predicted"], 2);
  EXPECT_EQ(c["criteria_deleted"], 2);
}

TEST(ScoreboardCongestion, HardPurgeOfTheWrongCriteriaFails) {
  Hard wrong(25000);  // B instead of D: B comes after D and C
  wrong.del(kS + 20 * kUs, "cs1", "2");
  wrong.del(kS + 30 * kUs, "cs2", "3");
  auto r = wrong.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_TRUE(has_error(r, "but kept cs1#4"));

  Hard few(25000);  // D only: the estimate stays above the target
  few.del(kS + 20 * kUs, "cs1", "4");
  auto r2 = few.finish();
  EXPECT_FALSE(r2.pass);
  EXPECT_TRUE(has_error(r2, "too few deleted"));

  Hard many(25000);  // D, C and B: below the target before B
  many.del(kS + 20 * kUs, "cs1", "4,2");
  many.del(kS + 30 * kUs, "cs2", "3");
  auto r3 = many.finish();
  EXPECT_FALSE(r3.pass);
  EXPECT_TRUE(has_error(r3, "too many deleted"));
}

TEST(ScoreboardCongestion, MissingOrUnexpectedPurgeFails) {
  Hard none(25000);
  auto r = none.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_TRUE(has_error(r, "missing 680"));
  EXPECT_EQ(r.coverage["congestion"]["680"]["missing"], 1);

  Hard low(25000, kMs, 40);  // 4 x 40 copies: 14.1 kbit/s, under the hard limit
  low.del(kS + 20 * kUs, "cs1", "4");
  auto r2 = low.finish();
  EXPECT_FALSE(r2.pass);
  EXPECT_TRUE(has_error(r2, "unexpected CongestionDelete"));
}

TEST(ScoreboardCongestion, TiedCriteriaMayBeDeletedInEitherOrder) {
  // Target 30 kbit/s: deleting one 8.8 kbit/s criterion is enough. D was added 1 us after C,
  // while C's ADD was still being handled (reply 10 us later): the card may have numbered them
  // either way, so deleting C instead of D is accepted.
  Hard tie(30000, kUs);
  tie.del(kS + 20 * kUs, "cs2", "3");
  auto r = tie.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["congestion"]["680"]["tie_resolved"], 1);

  Hard apart(30000, kMs);  // D added 1 ms after C's reply: D is newer, C must stay
  apart.del(kS + 20 * kUs, "cs2", "3");
  EXPECT_FALSE(apart.finish().pass);
}

TEST(ScoreboardCongestion, DeletedCriteriaNoLongerCountAndStopCopying) {
  // After the purge the remaining rate (A, B: 17.6 kbit/s) stays under the hard limit: no
  // further 680 is due although the 10-s window still holds the deleted criteria's copies.
  Hard h(25000);
  h.del(kS + 20 * kUs, "cs1", "4");
  h.del(kS + 30 * kUs, "cs2", "3");
  h.b.packet(2 * kS, flow("10.0.0.4", "10.0.0.99"));  // D is gone: no copy expected
  Packet p = h.b.packet(2 * kS + kMs, flow("10.0.0.1", "10.0.0.99"));
  h.b.copy(p, "cd1");
  EXPECT_TRUE(h.finish().pass);
}

TEST(ScoreboardCongestion, OnlineCheckingPredictsTheSame) {
  // The harness's online mode: packets are checked and forgotten as the run goes, the
  // notifications are queued at their times; the verdicts equal the end-of-run ones.
  Soft ok(5000, 2000, true);
  burst(ok.b, 100 * kMs, 100, "10.0.0.1");
  ok.note(kS + 20 * kUs, "cs1");
  ok.note(kS + 30 * kUs, "cs2");
  auto r = ok.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["congestion"]["580"]["matched"], 2);

  Hard wrong(25000, kMs, 100, true);
  wrong.del(kS + 20 * kUs, "cs1", "2");
  wrong.del(kS + 30 * kUs, "cs2", "3");
  EXPECT_FALSE(wrong.finish().pass);

  Hard none(25000, kMs, 100, true);
  auto r3 = none.finish();
  EXPECT_FALSE(r3.pass);
  EXPECT_TRUE(has_error(r3, "missing 680"));
}

TEST(ScoreboardCongestion, NoPurgeIsDueWhenNoSourceToBeToldHasTargets) {
  // cs1 and cs2 without notification targets: the card deletes silently, no 680 can come.
  ScoreboardConfig c = Hard::cfg(25000);
  c.csources["cs1"].has_notification_targets = false;
  c.csources["cs2"].has_notification_targets = false;
  Bench b(c);
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  burst(b, 100 * kMs, 300, "10.0.0.1");  // 26.4 kbit/s
  b.sb.on_end(4 * kS);
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["congestion"]["680"]["missing"], 0);
}
