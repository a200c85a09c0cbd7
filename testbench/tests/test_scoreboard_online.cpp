// The scoreboard over many packets: online checking keeps only the window and reaches the
// end-of-run verdict, a packet id reported twice is an error, and 20 000 packets stay fast.
#include <gtest/gtest.h>

#include <string>

#include "scoreboard_bench.hpp"

using namespace sbtest;

TEST(Scoreboard, DuplicatePacketIdsAreReported) {
  Bench b;
  Packet p = b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.sb.on_packet(p);
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("reported twice"), std::string::npos);
}

// Online: packets are checked as the ingress time passes them by the lag and forgotten; the
// verdict equals the end-of-run one, and what is pending stays bounded by the window.
TEST(Scoreboard, OnlineCheckingKeepsOnlyTheWindow) {
  for (bool online : {false, true}) {
    Bench b;
    if (online) b.sb.set_online(2 * kMs);
    b.add(0, "cs1", "Source-Address: 10.0.0.0/24\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    b.add(0, "cs2", "Dest-Address: 10.1.0.1\r\nProtocol: 17\r\nCdest-ID: cd2\r\n" + kStatic, 2);
    for (int i = 0; i < 20000; ++i) {
      Packet p = b.packet(kMs + static_cast<uint64_t>(i) * kUs,
                          flow("10.0." + std::to_string(i % 2) + "." + std::to_string(1 + i % 200), "10.1.0.1"));
      if (i % 2 == 0) b.copy(p, "cd1");
      if (i != 7777) b.copy(p, "cd2");  // one missing copy, found online too
    }
    auto r = b.finish();
    EXPECT_FALSE(r.pass);
    EXPECT_EQ(r.missing_copies, 1u);
    EXPECT_EQ(r.matched_copies, 10000u + 19999u);
    if (online) EXPECT_LE(b.sb.pending_peak(), 2100u);  // 2 ms of 1 us spacing, not 20000
    else EXPECT_EQ(b.sb.pending_peak(), 20000u);
  }
}

TEST(Scoreboard, ManyPacketsAreFast) {
  Bench b;
  for (int i = 0; i < 50; ++i)
    b.add(static_cast<uint64_t>(i) * kUs, "cs1",
          "Source-Address: 10.0." + std::to_string(i) + ".0/24\r\nCdest-ID: cd" + std::to_string(1 + i % 4) +
              "\r\n" + kStatic,
          static_cast<uint64_t>(i + 1));
  for (int i = 0; i < 20000; ++i) {
    const int net = i % 64;
    Packet p = b.packet(kMs + static_cast<uint64_t>(i) * kUs,
                        flow("10.0." + std::to_string(net) + "." + std::to_string(1 + i % 200), "10.1.0.1"));
    if (net < 50) b.copy(p, "cd" + std::to_string(1 + net % 4));
  }
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.matched_copies, r.predicted_copies);
}

// -----------------------------------------------------------------------------------------------
// A card whose replies come long after the request (the firmware image on the instruction-set
// simulators answers 2-30 ms late, longer than the 2 ms lag). Events are reported in time order
// as the harness does: the request, the packets after it, the reply when the card sends it.
namespace {
const std::string kHost = "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n";

struct SlowCard {
  Bench b;
  uint64_t t = 0;  // the stream's time: every event before it has been reported
  explicit SlowCard(ScoreboardConfig c = config()) : b(c) { b.sb.set_online(2 * kMs); }
  // Packets every 100 us up to `until`; matching ones (to 10.0.0.2) copied while copied(t).
  template <class F>
  void traffic(uint64_t until, F copied, bool matching = true) {
    for (; t < until; t += 100 * kUs) {
      Packet p = b.packet(t, flow("10.0.0.1", matching ? "10.0.0.2" : "10.0.0.9"));
      if (copied(t)) b.copy(p, "cd1");
    }
  }
  void request(uint64_t at, const std::string& method, const std::string& params, const std::string& cs = "cs1") {
    b.sb.on_request(at, cs, b.request(method, cs, params));
  }
  void reply(uint64_t at, const std::string& params, const std::string& cs = "cs1") {
    b.sb.on_reply(at, cs, Bench::reply(200, b.seq[cs], params));
  }
};
}  // namespace

// ADD at 1 ms answered at 9 ms; the card installed it at 5 ms. The online check waits for the
// reply (without it the ADD would be replayed unanswered and every later copy be unexpected):
// packets in [request, reply] are excused and listed either way, later ones must be copied.
TEST(ScoreboardSlowReplies, AnAddAnsweredLateHoldsTheCheckUntilItsReply) {
  for (const uint64_t lost : {uint64_t{0}, 7 * kMs, 12 * kMs}) {
    SlowCard s;
    s.traffic(kMs, [](uint64_t) { return false; });
    s.request(kMs, "ADD", kHost + kStatic);
    auto card = [&](uint64_t t) { return t >= 5 * kMs && t != lost; };
    s.traffic(9 * kMs, card);
    s.reply(9 * kMs, "Criteria-ID: 1\r\n");
    s.traffic(20 * kMs, card);
    auto r = s.b.finish();
    if (lost == 12 * kMs) {  // a copy missing after the reply is a failure
      EXPECT_FALSE(r.pass);
      EXPECT_EQ(r.missing_copies, 1u);
      EXPECT_EQ(r.unexpected_copies, 0u);
      continue;
    }
    EXPECT_TRUE(r.pass) << "lost " << lost;
    EXPECT_EQ(r.ambiguous_packets, 81u);  // 1.0 .. 9.0 ms: the install window, not the lag
    EXPECT_EQ(r.excused.size(), lost ? 41u : 40u);  // 1.0 .. 4.9 ms taken as not yet installed (+ 7 ms)
    for (const auto& e : r.excused) {
      EXPECT_EQ(e["reason"], "install_window");
      EXPECT_EQ(e["window_ps"][0], kMs);
      EXPECT_EQ(e["window_ps"][1], 9 * kMs);  // ends at the reply the card sent
    }
    EXPECT_EQ(r.coverage["online"]["held_by_requests"], 1u);
    EXPECT_GE(r.coverage["online"]["hold_peak_ps"].get<uint64_t>(), 7 * kMs);  // request .. last arrival before the reply
  }
}

// DELETE at 5 ms answered at 13 ms; the card removed the criterion at 9 ms. A copy after the
// reply is a failure; so is one missing before the request.
TEST(ScoreboardSlowReplies, ADeleteAnsweredLateIsJudgedOverRequestToReply) {
  for (const uint64_t wrong : {uint64_t{0}, 3 * kMs, 15 * kMs}) {
    SlowCard s;
    s.request(0, "ADD", kHost + kStatic);
    s.reply(10 * kUs, "Criteria-ID: 1\r\n");
    auto card = [&](uint64_t t) { return (t < 9 * kMs) != (t == wrong); };
    s.t = 100 * kUs;
    s.traffic(5 * kMs, card);
    s.request(5 * kMs, "DELETE", "Criteria-ID: 1\r\n" + kStatic);
    s.traffic(13 * kMs, card);
    s.reply(13 * kMs, "Criteria-Count: 1\r\n");
    s.traffic(20 * kMs, card);
    auto r = s.b.finish();
    EXPECT_EQ(r.pass, wrong == 0) << "wrong " << wrong;
    EXPECT_EQ(r.missing_copies, wrong == 3 * kMs ? 1u : 0u);
    EXPECT_EQ(r.unexpected_copies, wrong == 15 * kMs ? 1u : 0u);
    if (wrong) continue;
    EXPECT_EQ(r.ambiguous_packets, 81u);  // 5.0 .. 13.0 ms
    ASSERT_EQ(r.excused.size(), 40u);     // 5.0 .. 8.9 ms taken as still in force
    EXPECT_EQ(r.excused[0]["reason"], "removal_window");
    EXPECT_EQ(r.excused[0]["window_ps"][1], 13 * kMs);
  }
}

// REFRESH at 100 us (Timeout-Packets 3 -> 1000) answered at 8 ms; the matching packets come
// after the reply. Judged at its arrival, unanswered, the REFRESH would change nothing and the
// fourth copy be unexpected; judged with its reply, all ten are due, and a missing one fails.
TEST(ScoreboardSlowReplies, ARefreshAnsweredLateAppliesFromItsReply) {
  for (const bool lose : {false, true}) {
    SlowCard s;
    s.request(0, "ADD", kHost + "Timeout-Packets: 3\r\n");
    s.reply(10 * kUs, "Criteria-ID: 1\r\n");
    s.request(100 * kUs, "REFRESH", "Criteria-ID: 1\r\nTimeout-Packets: 1000\r\n");
    s.t = 200 * kUs;
    s.traffic(8 * kMs, [](uint64_t) { return false; }, false);
    s.reply(8 * kMs, "Criteria-Count: 1\r\n");
    s.traffic(10 * kMs, [](uint64_t) { return false; }, false);
    s.traffic(11 * kMs, [&](uint64_t t) { return !(lose && t == 10500 * kUs); });
    s.traffic(20 * kMs, [](uint64_t) { return false; }, false);
    auto r = s.b.finish();
    EXPECT_EQ(r.pass, !lose);
    EXPECT_EQ(r.matched_copies, lose ? 9u : 10u);
    EXPECT_EQ(r.missing_copies, lose ? 1u : 0u);
    EXPECT_EQ(r.unexpected_copies, 0u);
  }
}

// The hold is bounded: a request the card never answers stops holding the check at the reply
// limit (its missing reply is then an error, and so is a reply that comes after the check gave
// up), or once hold_max_packets packets wait behind it; one the card reports dropped, or that
// the reference predicts no reply for (unknown control source), holds nothing.
TEST(ScoreboardSlowReplies, AnUnansweredRequestHoldsTheCheckOnlyUpToItsLimits) {
  enum Case { Never, LateReply, Cap, Dropped, Silent };
  for (const Case k : {Never, LateReply, Cap, Dropped, Silent}) {
    ScoreboardConfig c = config();
    c.reply_limit_ps = 5 * kMs;
    if (k == Cap) c.hold_max_packets = 40;
    SlowCard s(c);
    const std::string cs = k == Silent ? "cs9" : "cs1";
    const std::string add = s.b.request("ADD", cs, kHost + kStatic);
    s.b.sb.on_request(kMs, cs, add);
    if (k == Dropped) s.b.sb.on_request_dropped(kMs, cs, add, "rx_ring_full");
    s.t = kMs;
    s.traffic(15 * kMs, [](uint64_t) { return false; }, false);
    if (k == LateReply) s.reply(15 * kMs, "Criteria-ID: 1\r\n");
    s.traffic(30 * kMs, [](uint64_t) { return false; }, false);
    auto r = s.b.finish();
    const uint64_t peak = s.b.sb.pending_peak();
    SCOPED_TRACE(k);
    // 100-us packets: the 5-ms limit holds ~50, the cap 40, the 2-ms lag alone ~20
    const bool in_range = k == Never || k == LateReply ? peak >= 50 && peak <= 52
                          : k == Cap                   ? peak >= 39 && peak <= 41
                                                       : peak <= 22;
    EXPECT_TRUE(in_range) << peak;
    EXPECT_EQ(has_error(r, "missing reply"), k == Never || k == Cap);
    EXPECT_EQ(has_error(r, "after the online check had stopped waiting"), k == LateReply);
    EXPECT_EQ(r.coverage["online"]["held_by_requests"], (k == Dropped || k == Silent) ? 0u : 1u);
  }
}

// REFRESH of a Timeout-Packets 3 criterion at 1 ms, answered 431 at 9 ms: the three matching
// packets taken before the reply ran its count out before the card handled the request. The
// reference takes the criterion as possibly expiring over [request, reply] (200 or 431), the
// 431 says it had expired: gone after the reply, so a copy then is still a failure.
TEST(ScoreboardSlowReplies, ACriterionThatExpiresBeforeTheCardHandlesARefreshIsNotFound) {
  for (const bool extra : {false, true}) {
    SlowCard s;
    s.request(0, "ADD", kHost + "Timeout-Packets: 3\r\n");
    s.reply(10 * kUs, "Criteria-ID: 1\r\n");
    s.t = 100 * kUs;
    s.traffic(kMs, [](uint64_t) { return false; }, false);
    s.request(kMs, "REFRESH", "Criteria-ID: 1\r\nTimeout-Packets: 100\r\n");
    s.traffic(1300 * kUs, [](uint64_t) { return true; });
    s.traffic(9 * kMs, [](uint64_t) { return false; }, false);
    s.b.sb.on_reply(9 * kMs, "cs1", Bench::reply(431, s.b.seq["cs1"], "Criteria-ID: 1\r\n"));
    s.traffic(9500 * kUs, [](uint64_t) { return false; }, false);
    s.traffic(10 * kMs, [&](uint64_t t) { return extra && t == 9700 * kUs; });
    s.traffic(15 * kMs, [](uint64_t) { return false; }, false);
    auto r = s.b.finish();
    EXPECT_EQ(r.pass, !extra);
    EXPECT_FALSE(has_error(r, "wrong status"));
    EXPECT_EQ(r.matched_copies, 3u);
    EXPECT_EQ(r.unexpected_copies, extra ? 1u : 0u);
  }
}
