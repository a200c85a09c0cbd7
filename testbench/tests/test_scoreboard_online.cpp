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
