// The traffic generator: line-rate pacing, size mixes, flows, match fraction, determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "report/stats.hpp"
#include "stimulus/traffic.hpp"

using namespace dfc;
using namespace dfc::tb;

TEST(Traffic, TenGigabitLineRateWith64ByteFramesIs14_88Mpps) {
  TrafficSpec s = TrafficSpec::parse("rate=10g,size=64,packets=1001");
  auto pk = generate_traffic(s);
  ASSERT_EQ(pk.size(), 1001u);
  const double secs = double(pk.back().t_arrival_ps - pk.front().t_arrival_ps) / 1e12;
  EXPECT_NEAR(1000 / secs / 1e6, 14.88, 0.01);
  EXPECT_EQ(pk[0].data.size(), 60u);  // 64-byte frame without the FCS
}

TEST(Traffic, OfferedLoadScalesTheRate) {
  for (const char* rate : {"1g", "40g", "100g"}) {
    auto pk = generate_traffic(TrafficSpec::parse(std::string("rate=") + rate + ",load=0.5,packets=101"));
    const double secs = double(pk.back().t_arrival_ps) / 1e12;
    const double bps = std::stod(rate) * 1e9;
    EXPECT_NEAR(100 / secs, 0.5 * bps / (84 * 8), 0.5 * bps / (84 * 8) * 1e-3) << rate;
  }
}

TEST(Traffic, ImixIsSevenFourOne) {
  auto pk = generate_traffic(TrafficSpec::parse("size=imix,packets=12000,seed=3"));
  std::map<size_t, int> n;
  for (auto& p : pk) n[p.data.size() + 4]++;
  EXPECT_NEAR(n[64] / 12000.0, 7 / 12.0, 0.02);
  EXPECT_NEAR(n[594] / 12000.0, 4 / 12.0, 0.02);
  EXPECT_NEAR(n[1518] / 12000.0, 1 / 12.0, 0.02);
}

TEST(Traffic, Rfc6985GenomeCyclesItsLetters) {
  auto pk = generate_traffic(TrafficSpec::parse("size=genome:agd,packets=6"));
  const size_t want[] = {64, 1518, 512, 64, 1518, 512};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(pk[i].data.size() + 4, want[i]);
  EXPECT_THROW(TrafficSpec::parse("size=genome:ax"), std::invalid_argument);
}

TEST(Traffic, MatchFractionDrawsFlowsFromTheTemplate) {
  auto pk = generate_traffic(TrafficSpec::parse(
      "packets=4000,flows=100,match=0.3,match-src=192.168.10.4,match-dst=10.1.1.1-10.1.1.10,match-proto=17,match-dport=53"));
  int matching = 0;
  for (auto& p : pk) {
    const uint8_t* ip = p.data.data() + 14;
    if ((p.data[12] << 8 | p.data[13]) != 0x0800) continue;
    const bool m = ip[12] == 192 && ip[13] == 168 && ip[14] == 10 && ip[15] == 4 && ip[16] == 10 && ip[19] >= 1 &&
                   ip[19] <= 10 && ip[9] == 17 && ((ip[22] << 8) | ip[23]) == 53;
    matching += m;
  }
  EXPECT_NEAR(matching / 4000.0, 0.3, 0.06);
}

TEST(Traffic, LocalityRepeatsRecentFlowsAndIpv6MixApplies) {
  auto count_flows = [](const std::vector<Packet>& pk) {
    std::set<std::vector<uint8_t>> f;
    for (auto& p : pk) f.insert(std::vector<uint8_t>(p.data.begin() + 14 + 12, p.data.begin() + 14 + 24));  // addresses + ports
    return f.size();
  };
  auto local = generate_traffic(TrafficSpec::parse("packets=2000,flows=1000,locality=0.95"));
  auto spread = generate_traffic(TrafficSpec::parse("packets=2000,flows=1000,locality=0"));
  EXPECT_LT(count_flows(local), count_flows(spread) / 3);
  auto mixed = generate_traffic(TrafficSpec::parse("packets=2000,flows=200,ipv6=0.5"));
  int v6 = 0;
  for (auto& p : mixed) v6 += (p.data[12] << 8 | p.data[13]) == 0x86dd;
  EXPECT_NEAR(v6 / 2000.0, 0.5, 0.15);
}

// order=sweep visits every flow: packets = flows gives exactly that many distinct flows, where
// random draws give about 1 - 1/e of them.
TEST(Traffic, SweepOrderTouchesEveryFlow) {
  auto count_flows = [](const std::vector<Packet>& pk) {
    std::set<std::vector<uint8_t>> f;
    for (auto& p : pk) f.insert(std::vector<uint8_t>(p.data.begin() + 14 + 12, p.data.begin() + 14 + 24));
    return f.size();
  };
  EXPECT_EQ(count_flows(generate_traffic(TrafficSpec::parse("packets=3000,flows=3000,order=sweep"))), 3000u);
  EXPECT_NEAR(count_flows(generate_traffic(TrafficSpec::parse("packets=3000,flows=3000,order=random"))), 1896, 80);
  EXPECT_THROW(TrafficSpec::parse("order=backwards"), std::invalid_argument);
}

TEST(Traffic, SameSeedSameTrafficAndBadSpecsAreRejected) {
  auto a = generate_traffic(TrafficSpec::parse("packets=50,flows=10,seed=9,size=imix"));
  auto b = generate_traffic(TrafficSpec::parse("packets=50,flows=10,seed=9,size=imix"));
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].data, b[i].data);
  EXPECT_THROW(TrafficSpec::parse("rate=fast"), std::invalid_argument);
  EXPECT_THROW(TrafficSpec::parse("bogus=1"), std::invalid_argument);
  EXPECT_THROW(TrafficSpec::parse("load=2"), std::invalid_argument);
  EXPECT_THROW(TrafficSpec::parse("match=0.5"), std::invalid_argument);  // no template
  EXPECT_THROW(TrafficSpec::parse("size=12"), std::invalid_argument);
}

TEST(Traffic, NonIpMplsAndFragmentsKeepTheIpStreamOfTheSeed) {
  using namespace dfc::tb;
  const auto base = generate_traffic(TrafficSpec::parse("packets=2000,flows=50,seed=3"));
  const auto mixed = generate_traffic(TrafficSpec::parse("packets=2000,flows=50,seed=3,nonip=0.1,mpls=0.05,frag=0.2"));
  ASSERT_EQ(base.size(), mixed.size());
  size_t arp = 0, mpls = 0, first = 0, nonfirst = 0, same = 0;
  for (size_t i = 0; i < mixed.size(); ++i) {
    const auto& d = mixed[i].data;
    EXPECT_EQ(mixed[i].t_arrival_ps, base[i].t_arrival_ps);
    const uint16_t et = static_cast<uint16_t>(d[12] << 8 | d[13]);
    if (et == 0x0806) {
      ++arp;
      EXPECT_EQ(d.size(), base[i].data.size());
      continue;
    }
    if (et == 0x8847) {
      ++mpls;
      EXPECT_EQ(d.size(), base[i].data.size() + 4);
      EXPECT_EQ(d[16] & 0x01, 1);  // bottom of stack
      EXPECT_TRUE(std::equal(d.begin() + 18, d.end(), base[i].data.begin() + 14));  // the IP packet unchanged
      continue;
    }
    ASSERT_EQ(et, 0x0800);
    const uint16_t fo = static_cast<uint16_t>(d[20] << 8 | d[21]);
    if (fo == 0) {
      ++same;
      EXPECT_EQ(d, base[i].data);
    } else if ((fo & 0x1fff) == 0) {
      ++first;
      EXPECT_EQ(fo, 0x2000);
    } else {
      ++nonfirst;
      EXPECT_EQ(fo & 0x1fff, 1480 / 8);
    }
    // header checksum still valid
    uint32_t s = 0;
    for (size_t k = 14; k < 34; k += 2) s += static_cast<uint32_t>(d[k] << 8 | d[k + 1]);
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    EXPECT_EQ(s, 0xffffu);
  }
  EXPECT_NEAR(double(arp), 200, 60);
  EXPECT_NEAR(double(mpls), 100, 45);
  EXPECT_GT(first, 100u);
  EXPECT_GT(nonfirst, 100u);
  EXPECT_GT(same, 1000u);
  EXPECT_THROW(TrafficSpec::parse("nonip=0.7,mpls=0.5"), std::invalid_argument);
  EXPECT_THROW(TrafficSpec::parse("frag=2"), std::invalid_argument);
}

// Counts are whole numbers in range and every number is finite: packets=-5 used to wrap to 2^64
// (a run that never ended) and load=nan passed every range check.
TEST(Traffic, CountsAndNumbersOutOfRangeAreErrorsNotCasts) {
  for (const char* bad : {"packets=-5", "packets=1.5", "packets=1e30", "flows=-1", "flows=5e9", "seed=-3",
                          "seed=0.5", "load=nan", "rate=inf", "match=nan", "match-dport=-1", "match-dport=70000",
                          "match-sport=1e30", "match-dst=10.1.1.300", "match-src=10.0.0.0/8-2001:db8::1"}) {
    try {
      TrafficSpec::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("traffic spec"), std::string::npos) << bad << ": " << e.what();
    }
  }
  for (const char* good : {"packets=0", "packets=1e5", "flows=4294967295", "seed=9007199254740992", "match-dport=65535"})
    EXPECT_NO_THROW(TrafficSpec::parse(good)) << good;
  EXPECT_EQ(TrafficSpec::parse("packets=2.5k").packets, 2500u);
}

// The lazy generator (what run and serve pull from) yields exactly generate_traffic's packets.
TEST(Traffic, LazyGeneratorEqualsTheWholeTimeline) {
  const auto spec = TrafficSpec::parse("packets=3000,flows=40,locality=0.8,size=imix,ipv6=0.3,nonip=0.05,frag=0.1,seed=5");
  const auto all = generate_traffic(spec);
  TrafficGenerator g(spec);
  Packet p;
  size_t i = 0;
  while (g.next(p)) {
    ASSERT_LT(i, all.size());
    EXPECT_EQ(p.id, all[i].id);
    EXPECT_EQ(p.t_arrival_ps, all[i].t_arrival_ps);
    EXPECT_EQ(p.data, all[i].data);
    ++i;
  }
  EXPECT_EQ(i, all.size());
  EXPECT_FALSE(g.next(p));
}

// Time series stay within their bucket budget for any run length and keep every event.
TEST(Traffic, TimeSeriesIsBoundedAndKeepsTheTotal) {
  TimeSeries ts(1'000'000, 400);
  const uint64_t n = 200000;
  for (uint64_t i = 0; i < n; ++i) ts.add("x", i * 50'000'000ull);  // 10 s of simulated time
  const auto j = ts.to_json(0, n * 50'000'000ull);
  EXPECT_LE(j["t_s"].size(), 400u);
  double total = 0;
  for (const auto& v : j["series"]["x"]) total += v.get<double>() * j["bucket_s"].get<double>();
  EXPECT_NEAR(total, double(n), 1e-6 * double(n));
}
