// The scoreboard's criteria-capacity prediction (550) against the real card: the firmware on
// the fake HAL with a small classifier, two control sources filling their shares, every
// request and reply fed to the scoreboard as the host feeds it. The card's answers must pass
// the scoreboard's own prediction (told only the classifier depth), and an answer changed on
// the way (a 550 turned into 200, a 200 into 550) must fail as a missing or wrong 550.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "checker/scoreboard.hpp"
#include "dfc/config/config.hpp"
#include "dfc/dtcp/hmac.hpp"
#include "dfc/fw/firmware.hpp"
#include "fake_hal.hpp"

namespace capacity_test {

const char* kConfig = R"(services { dynamic-flow-capture {
  capture-group g {
    interfaces dfc-0/0/0;
    control-source cs1 { service-port 2400; shared-key "k1"; }
    control-source cs2 { service-port 2401; shared-key "k2"; }
    content-destination d1 { address 10.9.0.1; }
  }
} })";

constexpr uint32_t kDepth = 16;  // 50 % share: 8 entries per source

struct Rig {
  dfc::config::DfcConfig cfg = dfc::config::parse_config(kConfig, "capacity.conf");
  dfc::test::FakeHal hal{kDepth};
  std::unique_ptr<dfc::fw::Firmware> fw;
  std::unique_ptr<dfc::tb::Scoreboard> sb;
  uint64_t seq = 10;
  std::vector<int> statuses;
  // Rewrites a reply on its way to the scoreboard (a wrong card), by request index.
  std::function<std::string(size_t, const std::string&)> tamper;

  Rig() {
    dfc::tb::ScoreboardConfig c = dfc::tb::ScoreboardConfig::parse(kConfig);
    c.classifier_depth = kDepth;
    sb = std::make_unique<dfc::tb::Scoreboard>(c);
    hal.advance_to(1'000'000'000ull);
    fw = std::make_unique<dfc::fw::Firmware>(cfg, hal);
  }
  uint64_t now_ps() const { return hal.now * 1000; }

  int request(const std::string& method, const std::string& cs, const std::string& params) {
    const bool one = cs == "cs1";
    const std::string text = dfc::dtcp::sign(method + " DTCP/0.7\r\n" + params + "Csource-ID: " + cs +
                                                 "\r\nSeq: " + std::to_string(++seq) + "\r\n",
                                             one ? "k1" : "k2");
    dfc::Packet p;
    p.unit = dfc::Unit::Control;
    p.data.assign(text.begin(), text.end());
    p.src_ip = "10.0.0.50";
    p.src_port = 5000;
    p.dst_ip = "192.0.2.1";
    p.dst_port = one ? 2400 : 2401;
    p.t_arrival_ps = now_ps();
    sb->on_request(now_ps(), cs, text);
    fw->on_packet(p);
    int status = -1;
    for (const auto& r : hal.sent)
      if (r.unit == dfc::Unit::Control && r.dst_port == 5000) {
        std::string s(r.data.begin(), r.data.end());
        status = std::stoi(s.substr(s.find(' ') + 1, 3));
        if (tamper) s = tamper(statuses.size(), s);
        sb->on_reply(now_ps() + 1'000'000, cs, s);
      }
    statuses.push_back(status);
    hal.sent.clear();
    hal.advance(1'000'000);
    return status;
  }
  int add(const std::string& cs, const std::string& dst) {
    return request("ADD", cs, "Cdest-ID: d1\r\nDest-Address: " + dst + "\r\nFlags: Static\r\n");
  }
  // cs1 fills its share (one entry, then two, then one per ADD) until the card refuses; then
  // cs2 adds, cs1 deletes one and adds again.
  void run() {
    for (int i = 1; i <= 8; ++i) add("cs1", "10.1.0." + std::to_string(i) + (i == 2 ? ",10.1.1.2" : ""));
    add("cs2", "10.2.0.1");
    request("DELETE", "cs1", "Criteria-ID: 1\r\nFlags: Static\r\n");
    add("cs1", "10.1.0.9");
  }
  dfc::tb::Scoreboard::Result finish() {
    auto r = sb->finish();
    for (const auto& e : r.errors) std::cout << "  [scoreboard] " << e << "\n";
    return r;
  }
};

TEST(ScoreboardCapacity, TheCardsAnswersPassAndChangedOnesFail) {
  Rig good;
  good.run();
  // The card: cs1's 8th ADD would be its 9th entry (ADD 2 takes two): 550; cs2's fits; after
  // the delete, cs1 fits again.
  const std::vector<int> want = {200, 200, 200, 200, 200, 200, 200, 550, 200, 200, 200};
  EXPECT_EQ(good.statuses, want);
  const auto r = good.finish();
  EXPECT_TRUE(r.pass);
  EXPECT_EQ(r.coverage["answers"]["capacity"]["full"], 1) << r.coverage["answers"]["capacity"].dump();
  EXPECT_EQ(r.coverage["answers"]["capacity"]["fits"], 9) << r.coverage["answers"]["capacity"].dump();

  auto changed = [](size_t at, int to) {
    Rig rig;
    rig.tamper = [at, to](size_t i, const std::string& s) {
      if (i != at) return s;
      std::string t = s;
      t.replace(t.find(' ') + 1, 3, std::to_string(to));
      if (to == 200) t.insert(t.find("\r\n") + 2, "Criteria-ID: 99\r\n");
      return t;
    };
    rig.run();
    return rig.finish();
  };
  const auto missing = changed(7, 200);
  EXPECT_FALSE(missing.pass);
  bool named = false;
  for (const auto& e : missing.errors) named = named || e.find("missing 550: 'ADD DTCP/0.7' Seq 18 from cs1") == 0;
  EXPECT_TRUE(named);
  const auto wrong = changed(8, 550);
  EXPECT_FALSE(wrong.pass);
  named = false;
  for (const auto& e : wrong.errors) named = named || e.find("wrong 550: 'ADD DTCP/0.7' Seq 19 from cs2") == 0;
  EXPECT_TRUE(named);
}

}  // namespace capacity_test
