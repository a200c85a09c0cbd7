// The scoreboard's time windows on synthetic event streams: when an ADD, DELETE or REFRESH
// takes effect, timeouts (total, idle, packets, bytes) and the 390/680/599 notifications that
// remove criteria, each with its ambiguity window (docs/scoreboard.md "Time").
#include <gtest/gtest.h>

#include <string>

#include "scoreboard_bench.hpp"

using namespace sbtest;

TEST(Scoreboard, AddTakesEffectAfterItInIngressOrder) {
  Bench b;
  Packet before = b.packet(50 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.add(100 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 7);
  Packet during = b.packet(105 * kUs, flow("10.0.0.1", "10.0.0.2"));  // before the reply: either way
  Packet after = b.packet(200 * kUs, flow("10.0.0.1", "10.0.0.2"));
  b.copy(after, "cd1");
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.ambiguous_packets, 1u);
  (void)during;

  Bench f;  // a copy of a packet that came before the ADD fails
  Packet p = f.packet(50 * kUs, flow("10.0.0.1", "10.0.0.2"));
  f.add(100 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 7);
  f.copy(p, "cd1");
  EXPECT_FALSE(f.finish().pass);

  Bench rej;  // a rejected ADD installs nothing
  rej.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n", 0, 433);
  rej.copy(rej.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
  EXPECT_FALSE(rej.finish().pass);
}

// The card model reports a packet when it is done with it, with the time a core took it and
// the time it was done: the lookup happened somewhere in between, so an ADD handled in that
// interval may or may not apply (ambiguous), one handled after it cannot.
TEST(Scoreboard, PacketIsDecidedBetweenTakenAndDone) {
  auto run = [](uint64_t done_ps) {
    Bench b;
    Packet p = dfc::tb::build_packet(flow("10.0.0.1", "10.0.0.2"), b.next_id);
    p.id = b.next_id++;
    p.t_arrival_ps = 50 * kUs;
    b.add(100 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 7);
    b.sb.on_packet(p, 60 * kUs, done_ps);  // taken at 60 us (waited in the ring), done at done_ps
    b.copy(p, "cd1", done_ps - p.t_arrival_ps);
    return b.finish();
  };
  const auto waited = run(112 * kUs);  // its lookup may have come after the ADD (100 us)
  EXPECT_TRUE(waited.pass);
  EXPECT_EQ(waited.ambiguous_packets, 1u);
  EXPECT_FALSE(run(90 * kUs).pass) << "done before the ADD arrived: the copy cannot be right";
}

// A request takes effect from when a core took it (on_request_taken), not from its arrival:
// a packet the card was done with before that is judged on the criteria before the ADD.
TEST(Scoreboard, ARequestTakesEffectWhenACoreTookIt) {
  const std::string params = "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic;
  auto run = [&](bool report_taken, bool copy_early) {
    Bench b;
    const std::string req = b.request("ADD", "cs1", params);
    b.sb.on_request(100 * kUs, "cs1", req);
    Packet p = dfc::tb::build_packet(flow("10.0.0.1", "10.0.0.2"), b.next_id);
    p.id = b.next_id++;
    p.t_arrival_ps = 104 * kUs;
    b.sb.on_packet(p, 104 * kUs, 108 * kUs);  // done before the control core took the ADD
    if (copy_early) b.copy(p, "cd1", 3 * kUs);
    if (report_taken) b.sb.on_request_taken(100 * kUs, "cs1", req, 110 * kUs);
    b.sb.on_reply(120 * kUs, "cs1", Bench::reply(200, b.seq["cs1"], "Criteria-ID: 7\r\n"));
    b.copy(b.packet(130 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
    return b.finish();
  };
  const auto arrival = run(false, false);
  EXPECT_TRUE(arrival.pass);
  EXPECT_EQ(arrival.ambiguous_packets, 1u) << "from its arrival, the ADD may have applied to the packet";
  const auto taken = run(true, false);
  EXPECT_TRUE(taken.pass);
  EXPECT_EQ(taken.ambiguous_packets, 0u) << "done before the core took the ADD: decided without it";
  EXPECT_EQ(taken.requests_taken_later, 1u);
  EXPECT_FALSE(run(true, true).pass) << "a copy of a packet done before the ADD was taken cannot be right";
  EXPECT_TRUE(run(false, true).pass) << "without the take time the copy is excused";
}

TEST(Scoreboard, DeleteStopsCopiesAndChecksCount) {
  auto run = [](bool copy_after, const std::string& count) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 11);
    b.add(1 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd2\r\nTimeout-Total: 60\r\n", 12);
    b.copy(b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
    // Cdest selector without Static: the static criterion stays; count 0
    b.exchange(150 * kUs, "DELETE", "cs1", "Cdest-ID: cd1\r\n", 200, "Criteria-Count: 0\r\n");
    b.exchange(200 * kUs, "DELETE", "cs1", "Criteria-ID: 11-12\r\nFlags: Static\r\n", 200,
               "Criteria-Count: " + count + "\r\n");
    Packet p = b.packet(300 * kUs, flow("10.0.0.1", "10.0.0.2"));
    if (copy_after) b.copy(p, "cd1");
    return b.finish();
  };
  // packet at 100us: both criteria match; only cd1 copied -> cd2 missing. Fix the pass case:
  auto good = [] {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 11);
    b.copy(b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
    b.exchange(200 * kUs, "DELETE", "cs1", "Criteria-ID: 11\r\nFlags: Static\r\n", 200, "Criteria-Count: 1\r\n");
    b.packet(300 * kUs, flow("10.0.0.1", "10.0.0.2"));
    return b.finish();
  }();
  EXPECT_TRUE(good.pass);
  EXPECT_EQ(good.coverage["dtcp"]["reply_status"]["DELETE 200"], 1);
  EXPECT_FALSE(run(true, "2").pass);   // copy after the delete
  EXPECT_FALSE(run(false, "1").pass);  // wrong Criteria-Count (and cd2 missing at 100us)
  auto r = run(false, "2");
  EXPECT_FALSE(r.pass);  // the cd2 copy at 100us is missing
  EXPECT_EQ(r.missing_copies, 1u);
}

TEST(Scoreboard, RefreshReplacesTimeouts) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Total: 1\r\n", 1);
  b.exchange(kS / 2, "REFRESH", "cs1", "Criteria-ID: 1\r\nTimeout-Total: 2\r\n", 200, "Criteria-Count: 1\r\n");
  b.copy(b.packet(2 * kS, flow("10.0.0.1", "10.0.0.2")), "cd1");  // alive until 2.5 s
  b.packet(3 * kS, flow("10.0.0.1", "10.0.0.2"));
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["dtcp"]["methods"]["REFRESH"], 1);
}

TEST(Scoreboard, TimeoutPacketsAndBytesAreExact) {
  for (bool extra : {false, true}) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Packets: 2\r\n", 1);
    // 110 IP bytes each: the bytes criterion goes after the 3rd packet
    b.add(1 * kUs, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd2\r\nTimeout-Bytes: 221\r\n", 2);
    for (int i = 0; i < 4; ++i) {
      Packet p = b.packet((100 + 10 * static_cast<uint64_t>(i)) * kUs, flow("10.0.0.1", "10.0.0.2"));
      if (i < 2 || (extra && i == 2)) b.copy(p, "cd1");
      if (i < 3) b.copy(p, "cd2");
    }
    auto r = b.finish();
    EXPECT_EQ(r.pass, !extra);
    EXPECT_EQ(r.ambiguous_packets, 0u);
    EXPECT_EQ(r.coverage["timeouts"]["predicted_packets"], 1);
    EXPECT_EQ(r.coverage["timeouts"]["predicted_bytes"], 1);
  }
}

// The card counts a hit while it handles the packet: with Timeout-Packets 2, packet B (the
// second hit) is taken at 110 us and done at 130 us; packet C, taken at 112 us and done at
// 115 us, is judged before B is counted here, but on the card B may have run the count out
// before C's lookup. C without a copy is excused (count_in_flight); when B was taken only after
// C was done, C's copy was due.
TEST(Scoreboard, AHitStillInTheCardMayRunTheCountOut) {
  auto run = [](uint64_t b_taken, bool c_copied) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Packets: 2\r\n", 1);
    auto pkt = [&](uint64_t arrival, uint64_t taken, uint64_t done, bool copied) {
      Packet p = dfc::tb::build_packet(flow("10.0.0.1", "10.0.0.2"), b.next_id);
      p.id = b.next_id++;
      p.t_arrival_ps = arrival;
      b.sb.on_packet(p, taken, done);
      if (copied) b.copy(p, "cd1", done - arrival);
    };
    pkt(100 * kUs, 100 * kUs, 101 * kUs, true);             // A: the first hit
    pkt(111 * kUs, 112 * kUs, 115 * kUs, c_copied);         // C (reported when done: before B)
    pkt(b_taken - kUs, b_taken, 130 * kUs, true);           // B: the second hit
    pkt(200 * kUs, 200 * kUs, 201 * kUs, false);            // after both: gone
    return b.finish();
  };
  const auto in_flight = run(110 * kUs, false);
  EXPECT_TRUE(in_flight.pass);
  EXPECT_EQ(in_flight.ambiguous_packets, 1u);
  ASSERT_EQ(in_flight.excused.size(), 1u) << in_flight.excused.dump();
  EXPECT_EQ(in_flight.excused[0]["reason"], "count_in_flight");
  EXPECT_EQ(in_flight.excused[0]["window_ps"][0], 112 * kUs);
  EXPECT_EQ(in_flight.excused[0]["window_ps"][1], 115 * kUs + 20 * kUs) << "done + the longest handling (B's)";
  EXPECT_TRUE(run(110 * kUs, true).pass) << "or C was looked up first: its copy is right too";
  const auto later = run(116 * kUs, false);
  EXPECT_FALSE(later.pass) << "B was taken after C was done: C's copy was due";
  EXPECT_EQ(later.missing_copies, 1u);
}

TEST(Scoreboard, EarlyPacketTimeoutIsCaughtDespiteItsNotification) {
  // A card deleting a Timeout-Packets 3 criterion after 2 packets (and saying so with a 390
  // right away) must fail: the 390 opens no ambiguity window for packet/byte timeouts.
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Packets: 3\r\nFlags: SendAsync\r\n", 1);
  for (int i = 0; i < 3; ++i) {
    Packet p = b.packet((100 + 20 * static_cast<uint64_t>(i)) * kUs, flow("10.0.0.1", "10.0.0.2"));
    if (i < 2) b.copy(p, "cd1");
  }
  b.notify(125 * kUs, "cs1", 390, "Criteria-ID: 1\r\n");
  auto r = b.finish();
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.missing_copies, 1u);
  EXPECT_EQ(r.ambiguous_packets, 0u);
}

TEST(Scoreboard, TimeoutTotalAmbiguityWindow) {
  // Timeout-Total 1 s from the ADD at t=0: deadline 1 s, window +-1 ms.
  auto run = [](uint64_t t_pkt, bool copied) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Total: 1\r\n", 1);
    Packet p = b.packet(t_pkt, flow("10.0.0.1", "10.0.0.2"));
    if (copied) b.copy(p, "cd1");
    return b.finish();
  };
  EXPECT_TRUE(run(kS / 2, true).pass);
  EXPECT_FALSE(run(kS / 2, false).pass);
  EXPECT_TRUE(run(kS - kMs / 2, true).pass);
  EXPECT_TRUE(run(kS - kMs / 2, false).pass);
  EXPECT_TRUE(run(kS + kMs / 2, true).pass);
  EXPECT_TRUE(run(kS + kMs / 2, false).pass);
  EXPECT_EQ(run(kS + kMs / 2, false).ambiguous_packets, 1u);
  EXPECT_FALSE(run(kS + 2 * kMs, true).pass);
  EXPECT_TRUE(run(kS + 2 * kMs, false).pass);
}

TEST(Scoreboard, TotalDeadlineSpansTheAddHandling) {
  // The reply comes 5 ms after the request (a busy card): the deadline lies in [1 s, 1.005 s].
  auto run = [](uint64_t t_pkt, bool copied) {
    Bench b;
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Total: 1\r\n", 1, 200, 5 * kMs);
    Packet p = b.packet(t_pkt, flow("10.0.0.1", "10.0.0.2"));
    if (copied) b.copy(p, "cd1");
    return b.finish();
  };
  EXPECT_TRUE(run(kS + 4 * kMs, true).pass);
  EXPECT_TRUE(run(kS + 4 * kMs, false).pass);
  EXPECT_FALSE(run(kS + 7 * kMs, true).pass);
  EXPECT_FALSE(run(kS - 2 * kMs, false).pass);
}

TEST(Scoreboard, TimeoutIdleCountsFromLastMatch) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Idle: 1\r\nFlags: SendAsync\r\n", 1);
  for (uint64_t t : {kS / 2, kS, 3 * kS / 2}) b.copy(b.packet(t, flow("10.0.0.1", "10.0.0.2")), "cd1");
  b.notify(5 * kS / 2, "cs1", 390, "Criteria-ID: 1\r\nCdest-ID: cd1\r\n");  // 1.5 s + 1 s
  b.packet(3 * kS, flow("10.0.0.1", "10.0.0.2"));
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["timeouts"]["notified_idle"], 1);

  Bench early;  // a 390 long before the deadline is an error; so is the copy it suppresses' absence
  early.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Idle: 10\r\nFlags: SendAsync\r\n", 1);
  early.notify(kS, "cs1", 390, "Criteria-ID: 1\r\n");
  EXPECT_FALSE(early.finish().pass);

  Bench silent;  // SendAsync, deadline long past, no 390: error
  silent.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Total: 1\r\nFlags: SendAsync\r\n", 1);
  silent.packet(3 * kS, flow("10.0.0.9", "10.0.0.2"));
  EXPECT_FALSE(silent.finish().pass);
}

TEST(Scoreboard, CongestionDeleteNotificationRemovesCriterion) {
  // cd1's hard limit (50 bit/s) is below one 110-byte packet's 10-s average (88 bit/s): the
  // reference predicts the deletion (tests of the prediction: test_scoreboard_congestion.cpp).
  auto run = [](uint64_t t_pkt, bool copied) {
    ScoreboardConfig cfg = config();
    cfg.cdests["cd1"].hard_limit = 50, cfg.cdests["cd1"].hard_limit_target = 40;
    Bench b(cfg);
    b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 4);
    b.copy(b.packet(kMs, flow("10.0.0.1", "10.0.0.2")), "cd1");
    b.notify(10 * kMs, "cs1", 680, "Cdest-ID: cd1\r\nCriteria-ID: 4\r\n");
    Packet p = b.packet(t_pkt, flow("10.0.0.1", "10.0.0.2"));
    if (copied) b.copy(p, "cd1");
    return b.finish();
  };
  EXPECT_TRUE(run(5 * kMs, true).pass);
  EXPECT_FALSE(run(5 * kMs, false).pass);
  EXPECT_TRUE(run(10 * kMs + kUs, true).pass);  // within the window: either way
  EXPECT_TRUE(run(10 * kMs + kUs, false).pass);
  EXPECT_FALSE(run(20 * kMs, true).pass);
  EXPECT_TRUE(run(20 * kMs, false).pass);
}

TEST(Scoreboard, RestartNotificationRemovesEveryCriterion) {
  Bench b;
  b.add(0, "cs1", "Source-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.add(1 * kUs, "cs2", "Source-Address: 10.0.0.1\r\nCdest-ID: cd2\r\n" + kStatic, 2);
  b.notify(10 * kMs, "cs1", 599, "Alert-Info: restart\r\n");
  b.notify(10 * kMs, "cs2", 599, "Alert-Info: restart\r\n");  // a restart tells every source
  Packet p = b.packet(5 * kMs, flow("10.0.0.1", "10.0.0.2"));
  b.copy(p, "cd1");
  b.copy(p, "cd2");
  b.packet(20 * kMs, flow("10.0.0.1", "10.0.0.2"));
  auto r = b.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["dtcp"]["notifications"]["599"], 2);
}
