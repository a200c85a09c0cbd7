// The scoreboard predicts every answer of the card itself (scoreboard_answers.cpp): each reply
// status from its own reading of the configuration and the request, silence for requests the
// card must drop, and the 130/131/598/599 notifications. A wrong, missing or unexpected answer
// fails, naming the request and both answers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scoreboard_bench.hpp"

using namespace sbtest;
namespace ref = dfc::tb::ref;

namespace {

// A configuration with keys: the security layer (signature, Seq window) is judged.
ScoreboardConfig keyed() {
  ScoreboardConfig c = config();
  c.csources["cs1"].shared_key = "key-one";
  c.csources["cs1"].notification_targets = {{0x0a000001, 9000}};
  c.csources["cs2"].shared_key = "key-two";
  c.csources["cs2"].notification_targets = {{0x0a000002, 9000}};
  return c;
}

std::string signed_request(const std::string& first_line, const std::string& params, const std::string& key) {
  const std::string body = first_line + "\r\n" + params;
  return body + "Authentication-Info: " + ref::hex(ref::hmac_sha1(key, body)) + "\r\n\r\n";
}

}  // namespace

TEST(ScoreboardAnswers, HmacSha1MatchesRfc2202) {
  EXPECT_EQ(ref::hex(ref::hmac_sha1(std::string(20, '\x0b'), "Hi There")), "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(ref::hex(ref::hmac_sha1("Jefe", "what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(ref::hex(ref::hmac_sha1(std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

// Each fault of dtcp-conformance §4 is predicted: the card answering it passes, the card
// answering 200 instead fails with the request and both answers.
TEST(ScoreboardAnswers, EachStatusIsPredictedFromTheRequest) {
  struct Case {
    const char* method;
    std::string params;
    int code;
  };
  const std::vector<Case> cases = {
      {"ADD", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nPriority: 0\r\n" + kStatic, 400},
      {"ADD", "Dest-Address: 10.0.0.1\r\nthis is no parameter\r\nCdest-ID: cd1\r\n" + kStatic, 400},
      {"ADD", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nAction: Block\r\n" + kStatic, 501},
      {"ADD", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nColour: blue\r\n" + kStatic, 501},
      {"ADD", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd9\r\n" + kStatic, 430},
      {"ADD", "Dest-Address: 10.0.0.1\r\nProtocol: 1\r\nDest-Port: 80\r\nCdest-ID: cd1\r\n" + kStatic, 432},
      {"ADD", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n", 433},
      {"ADD", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Idle: 86401\r\n", 433},
      {"DELETE", "Criteria-ID: 7\r\n", 431},
      {"DELETE", "Criteria-ID: 7\r\nCdest-ID: cd1\r\n", 400},
      {"REFRESH", "Cdest-ID: cd1\r\n", 433},
      {"LIST", "Flags: Everything\r\n", 400},
      {"FROB", "", 501},
  };
  for (const auto& c : cases) {
    for (int answered : {c.code, 200}) {
      Bench b;
      b.exchange(0, c.method, "cs1", c.params, answered, answered == 200 && std::string(c.method) == "ADD" ? "Criteria-ID: 1\r\n" : "");
      b.packet(10 * kMs, flow("10.9.9.9", "10.9.9.8"));
      auto r = b.finish();
      EXPECT_EQ(r.pass, answered == c.code) << c.method << " " << c.params << " answered " << answered;
      if (answered != c.code) {
        EXPECT_TRUE(has_error(r, "wrong status")) << c.params;
        EXPECT_TRUE(has_error(r, "predicted " + std::to_string(c.code))) << c.params;
        EXPECT_TRUE(has_error(r, "answered 200")) << c.params;
      }
    }
  }
}

TEST(ScoreboardAnswers, WrongStatusMissingReplyAndVersionFail) {
  {
    Bench b;  // a well-formed ADD refused with 432
    b.exchange(0, "ADD", "cs1", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 432, "");
    auto r = b.finish();
    EXPECT_FALSE(r.pass);
    EXPECT_TRUE(has_error(r, "'ADD DTCP/0.7' Seq 1 from cs1")) << r.errors.at(0);
    ASSERT_EQ(r.coverage["answers"]["mismatches"].size(), 1u);
    EXPECT_EQ(r.coverage["answers"]["mismatches"][0]["seen"], "answered 432");
  }
  {
    Bench b;  // no reply at all, long before the run ends
    b.sb.on_request(0, "cs1", b.request("NOOP", "cs1", ""));
    b.packet(50 * kMs, flow("10.9.9.9", "10.9.9.8"));
    auto r = b.finish();
    EXPECT_FALSE(r.pass);
    EXPECT_TRUE(has_error(r, "missing reply"));
  }
  for (const char* version : {"DTCP/0.9", "DTCP/0.5"}) {
    Bench b;
    b.sb.on_request(0, "cs1", std::string("NOOP ") + version + "\r\nCsource-ID: cs1\r\nSeq: 1\r\n\r\n");
    b.sb.on_reply(5 * kUs, "cs1", Bench::reply(505, 1, ""));
    EXPECT_TRUE(b.finish().pass) << version;
    Bench w;
    w.sb.on_request(0, "cs1", std::string("NOOP ") + version + "\r\nCsource-ID: cs1\r\nSeq: 1\r\n\r\n");
    w.sb.on_reply(5 * kUs, "cs1", Bench::reply(200, 1, ""));
    EXPECT_FALSE(w.finish().pass) << version;
  }
}

// 431 follows the reference's own criteria: an id of this source in force is 200, another
// source's id or a deleted one is 431.
TEST(ScoreboardAnswers, UnknownCriteriaIdFollowsTheReferencesCriteria) {
  auto run = [](const std::string& who, uint64_t id, int answered) {
    Bench b;
    b.add(0, "cs1", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 4);
    b.exchange(1 * kMs, "LIST", who, "Criteria-ID: " + std::to_string(id) + "\r\n", answered, "");
    return b.finish().pass;
  };
  EXPECT_TRUE(run("cs1", 4, 200));
  EXPECT_FALSE(run("cs1", 4, 431));
  EXPECT_TRUE(run("cs2", 4, 431));  // another source's criterion is unknown to it
  EXPECT_FALSE(run("cs2", 4, 200));
  EXPECT_TRUE(run("cs1", 5, 431));
}

// `5-5` is a range (docs/dtcp-conformance.md): it selects what exists, so it is never unknown.
TEST(ScoreboardAnswers, ARangeOfOneIdIsNeverUnknown) {
  auto run = [](const std::string& ids, int answered) {
    Bench b;
    b.add(0, "cs1", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 4);
    b.exchange(1 * kMs, "LIST", "cs1", "Criteria-ID: " + ids + "\r\n", answered, "");
    return b.finish().pass;
  };
  EXPECT_TRUE(run("5-5", 200));
  EXPECT_FALSE(run("5-5", 431));
  EXPECT_TRUE(run("5", 431));
  EXPECT_TRUE(run("4-4", 200));
}

// With keys, the security layer is predicted: bad signature, replayed or stale Seq and an
// unknown control source get no reply; a reply to any of them fails.
TEST(ScoreboardAnswers, SilentDropsArePredicted) {
  const ScoreboardConfig c = keyed();
  auto run = [&](const std::string& bytes, bool answered) {
    Bench b(c);
    b.sb.on_request(0, "cs1", signed_request("NOOP DTCP/0.7", "Csource-ID: cs1\r\nSeq: 10\r\n", "key-one"));
    b.sb.on_reply(5 * kUs, "cs1", Bench::reply(200, 10, ""));
    b.sb.on_request(10 * kUs, "cs1", bytes);
    if (answered) b.sb.on_reply(15 * kUs, "cs1", Bench::reply(200, 11, ""));
    b.packet(10 * kMs, flow("10.9.9.9", "10.9.9.8"));
    return b.finish();
  };
  const std::string good = signed_request("NOOP DTCP/0.7", "Csource-ID: cs1\r\nSeq: 11\r\n", "key-one");
  EXPECT_TRUE(run(good, true).pass);
  EXPECT_FALSE(run(good, false).pass);
  std::string forged = good;
  forged[forged.find("Authentication-Info: ") + 21] ^= 1;  // one digest digit wrong
  const std::string replay = signed_request("NOOP DTCP/0.7", "Csource-ID: cs1\r\nSeq: 10\r\n", "key-one");
  const std::string stale = signed_request("NOOP DTCP/0.7", "Csource-ID: cs1\r\nSeq: 1000\r\n", "key-one");
  const std::string other_key = signed_request("NOOP DTCP/0.7", "Csource-ID: cs1\r\nSeq: 11\r\n", "key-two");
  for (const auto& bad : {forged, replay, stale, other_key}) {
    EXPECT_TRUE(run(bad, false).pass) << bad;
    const auto r = run(bad, true);
    EXPECT_FALSE(r.pass) << bad;
    EXPECT_TRUE(has_error(r, "unexpected reply")) << bad;
  }
}

TEST(ScoreboardAnswers, NotificationsArePredicted) {
  const ScoreboardConfig c = keyed();
  auto noop = [&](bool send_async, bool notified) {
    Bench b(c);
    b.sb.on_request(0, "cs1", signed_request("NOOP DTCP/0.7", std::string(send_async ? "Flags: SendAsync\r\n" : "") +
                                                                  "Csource-ID: cs1\r\nSeq: 1\r\n", "key-one"));
    b.sb.on_reply(5 * kUs, "cs1", Bench::reply(200, 1, ""));
    if (notified) b.notify(6 * kUs, "cs1", 131, "");
    return b.finish();
  };
  EXPECT_TRUE(noop(true, true).pass);
  EXPECT_FALSE(noop(true, false).pass);  // missing 131
  EXPECT_FALSE(noop(false, true).pass);  // unexpected 131
  {
    Bench b(c);  // a rollover (2^64-1 -> 0) is announced with 130
    b.sb.on_request(0, "cs1", signed_request("NOOP DTCP/0.7", "Csource-ID: cs1\r\nSeq: 18446744073709551615\r\n", "key-one"));
    b.sb.on_reply(5 * kUs, "cs1", Bench::reply(200, 18446744073709551615ull, ""));
    b.sb.on_request(10 * kUs, "cs1", signed_request("NOOP DTCP/0.7", "Csource-ID: cs1\r\nSeq: 0\r\n", "key-one"));
    b.sb.on_reply(15 * kUs, "cs1", Bench::reply(200, 0, ""));
    auto r = b.finish();
    EXPECT_FALSE(r.pass);
    EXPECT_TRUE(has_error(r, "missing notification: 130 to cs1"));
  }
  for (bool both : {true, false}) {  // a restart reaches every source's targets
    Bench b(c);
    b.notify(kMs, "cs1", 599, "Alert-Info: restart\r\n");
    if (both) b.notify(kMs + kUs, "cs2", 599, "Alert-Info: restart\r\n");
    EXPECT_EQ(b.finish().pass, both);
  }
  {
    Bench b(c);  // DuplicatesDropped with no drop the reference predicts
    b.notify(kMs, "cs1", 598, "X-Duplicates-Dropped: 1\r\n");
    auto r = b.finish();
    EXPECT_FALSE(r.pass);
    EXPECT_TRUE(has_error(r, "unexpected notification: 598 to cs1"));
  }
  {
    Bench b(c);  // a code the card never sends
    b.notify(kMs, "cs1", 551, "");
    EXPECT_FALSE(b.finish().pass);
  }
}

// Two criteria to two destinations, max-duplicates 1: every packet drops one copy, so each
// source whose criterion lost must be told (598), once per periodicity.
TEST(ScoreboardAnswers, DuplicatesDroppedIsDueAfterACertainDrop) {
  ScoreboardConfig c = keyed();
  c.max_duplicates = 1;
  auto run = [&](bool notified) {
    Bench b(c);
    b.add(0, "cs1", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd1\r\n" + kStatic, 1);
    b.add(0, "cs2", "Dest-Address: 10.0.0.2\r\nCdest-ID: cd2\r\n" + kStatic, 2);  // prio 6: loses
    b.copy(b.packet(100 * kUs, flow("10.0.0.1", "10.0.0.2")), "cd1");
    if (notified) b.notify(110 * kUs, "cs2", 598, "X-Duplicates-Dropped: 1\r\n");
    b.packet(20 * kMs, flow("10.9.9.9", "10.9.9.8"));
    b.sb.on_copy_drops({{"copies_max_duplicates", 1}});
    return b.finish();
  };
  EXPECT_TRUE(run(true).pass);
  const auto r = run(false);
  EXPECT_FALSE(r.pass);
  EXPECT_TRUE(has_error(r, "missing notification: 598 to cs2"));
}

TEST(ScoreboardAnswers, PredictedAndSeenAreListedPerCode) {
  Bench b;
  b.add(0, "cs1", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\n" + kStatic, 1);
  b.exchange(kUs * 100, "ADD", "cs1", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd9\r\n" + kStatic, 430, "");
  auto r = b.finish();
  ASSERT_TRUE(r.pass);
  const auto& rep = r.coverage["answers"]["replies"];
  EXPECT_EQ(rep["200"]["predicted"], 1);
  EXPECT_EQ(rep["200"]["seen"], 1);
  EXPECT_EQ(rep["430"]["predicted"], 1);
  EXPECT_EQ(rep["430"]["seen"], 1);
}

// REFRESH may not leave a dynamic criterion without any timeout (433, nothing changed).
TEST(ScoreboardAnswers, RefreshThatLeavesNoTimeoutIs433) {
  auto run = [](const std::string& refresh, int answered) {
    Bench b;
    b.add(0, "cs1", "Dest-Address: 10.0.0.1\r\nCdest-ID: cd1\r\nTimeout-Idle: 60\r\n", 3);
    b.exchange(kMs, "REFRESH", "cs1", "Criteria-ID: 3\r\n" + refresh, answered,
               answered == 200 ? "Criteria-Count: 1\r\n" : "");
    return b.finish().pass;
  };
  EXPECT_TRUE(run("Timeout-Idle: 0\r\n", 433));
  EXPECT_FALSE(run("Timeout-Idle: 0\r\n", 200));
  EXPECT_TRUE(run("Timeout-Idle: 0\r\nTimeout-Total: 30\r\n", 200));
  EXPECT_FALSE(run("Timeout-Idle: 0\r\nTimeout-Total: 30\r\n", 433));
}

// Criteria capacity (scoreboard_capacity.cpp): 550 (500 in DTCP/0.6) is predicted from the
// reference's own criteria in force and the configured limits, not taken from the card.
namespace {

const std::string kOneEntry = "Cdest-ID: cd1\r\n" + kStatic;  // + Dest-Address: one entry per address

std::string dest(int i) { return "Dest-Address: 10.0.0." + std::to_string(i) + "\r\n"; }

ScoreboardConfig depth(uint64_t d, bool two_sources = true) {
  ScoreboardConfig c = config();
  if (!two_sources) c.csources.erase("cs2");
  c.classifier_depth = d;
  return c;
}

}  // namespace

// Two control sources, 8 entries, 50 %: cs1 may hold 4 entries. Its fifth is 550 (the card
// answering 200 is a missing 550), while cs2's first still fits (550 there is a wrong 550).
TEST(ScoreboardAnswers, PerSourceShareIsPredicted) {
  auto run = [](int fifth, int other, bool online = false) {
    Bench b(depth(8));
    if (online) b.sb.set_online(2 * kMs);
    for (int i = 1; i <= 4; ++i) b.add(i * kUs * 100, "cs1", dest(i) + kOneEntry, static_cast<uint64_t>(i));
    b.add(kMs, "cs1", dest(5) + kOneEntry, 5, fifth);
    b.add(2 * kMs, "cs2", dest(6) + kOneEntry, 6, other);
    return b.finish();
  };
  const auto ok = run(550, 200);
  EXPECT_TRUE(ok.pass);
  EXPECT_EQ(ok.coverage["answers"]["capacity"]["full"], 1);
  EXPECT_EQ(ok.coverage["answers"]["capacity"]["fits"], 5);
  EXPECT_EQ(ok.coverage["answers"]["replies"]["550"]["predicted"], 1);
  const auto missing = run(200, 200);
  EXPECT_FALSE(missing.pass);
  EXPECT_TRUE(has_error(missing, "missing 550: 'ADD DTCP/0.7' Seq 5 from cs1"));
  EXPECT_TRUE(has_error(missing, "predicted 550"));
  EXPECT_TRUE(has_error(missing, "answered 200"));
  EXPECT_TRUE(run(550, 200, true).pass);
  EXPECT_TRUE(has_error(run(200, 200, true), "missing 550: 'ADD DTCP/0.7' Seq 5 from cs1"));
  const auto wrong = run(550, 550);
  EXPECT_FALSE(wrong.pass);
  EXPECT_TRUE(has_error(wrong, "wrong 550: 'ADD DTCP/0.7' Seq 1 from cs2"));
  EXPECT_TRUE(has_error(wrong, "predicted 200"));
}

// A deletion the reference saw frees the share; entries are counted per term (two
// destination addresses: two entries); a single source may use the whole table.
TEST(ScoreboardAnswers, TableAndShareFollowTheReferencesCriteria) {
  auto after_delete = [](int answered) {
    Bench b(depth(8));
    for (int i = 1; i <= 4; ++i) b.add(i * kUs * 100, "cs1", dest(i) + kOneEntry, static_cast<uint64_t>(i));
    b.exchange(kMs, "DELETE", "cs1", "Criteria-ID: 2\r\nFlags: Static\r\n", 200, "Criteria-Count: 1\r\n");
    b.add(2 * kMs, "cs1", dest(5) + kOneEntry, 5, answered);
    return b.finish().pass;
  };
  EXPECT_TRUE(after_delete(200));
  EXPECT_FALSE(after_delete(550));
  auto alone = [](int answered) {  // one source, 4 entries: 1 + 2 fit, then 2 more do not
    Bench b(depth(4, false));
    b.add(0, "cs1", dest(1) + kOneEntry, 1);
    b.add(kMs, "cs1", "Dest-Address: 10.0.0.2,10.0.0.3\r\n" + kOneEntry, 2);
    b.add(2 * kMs, "cs1", "Dest-Address: 10.0.1.0/24,10.0.2.0/24\r\n" + kOneEntry, 3, answered);
    return b.finish().pass;
  };
  EXPECT_TRUE(alone(550));
  EXPECT_FALSE(alone(200));
}

// Too many terms is 550 whatever the table (33 x 32 = 1056 > 1024); DTCP/0.6 answers 500.
TEST(ScoreboardAnswers, TooManyTermsIs550And500InDtcp06) {
  std::string src = "Source-Address: ", dst = "Dest-Address: ";
  for (int i = 0; i < 33; ++i) src += (i ? "," : "") + std::string("10.1.0.") + std::to_string(i);
  for (int i = 0; i < 32; ++i) dst += (i ? "," : "") + std::string("10.2.0.") + std::to_string(i);
  const std::string params = src + "\r\n" + dst + "\r\n" + kOneEntry;
  for (int answered : {550, 200}) {
    Bench b;  // classifier depth not told: only the term limit is certain
    b.add(0, "cs1", params, 1, answered);
    const auto r = b.finish();
    EXPECT_EQ(r.pass, answered == 550);
  }
  for (int answered : {500, 550, 200}) {
    Bench b;
    b.sb.on_request(0, "cs1", "ADD DTCP/0.6\r\n" + params + "Csource-ID: cs1\r\nSeq: 1\r\n\r\n");
    b.sb.on_reply(10 * kUs, "cs1", Bench::reply(answered, 1, answered == 200 ? "Criteria-ID: 1\r\n" : ""));
    const auto r = b.finish();
    EXPECT_EQ(r.pass, answered == 500) << answered;
    if (answered != 500) {
      EXPECT_TRUE(has_error(r, "missing 500: 'ADD DTCP/0.6'")) << answered;
    }
  }
}

// A criterion that may time out between the ADD's arrival and its reply leaves the share open:
// 200 and 550 both pass, and the coverage says why. Without the classifier depth, as before.
TEST(ScoreboardAnswers, CapacityLeftOpenByTimingOrUnknownDepth) {
  // Online, the ADD is predicted while the check waits for its reply, and again once the
  // reply's time is known (packets arrive in between).
  auto run = [](int answered, uint64_t d, bool online = false) {
    Bench b(depth(d));
    if (online) b.sb.set_online(2 * kMs);
    b.add(0, "cs1", dest(1) + "Cdest-ID: cd1\r\nTimeout-Total: 1\r\n", 1);
    for (int i = 2; i <= 4; ++i) b.add(i * kUs * 100, "cs1", dest(i) + kOneEntry, static_cast<uint64_t>(i));
    b.sb.on_request(kS - 50 * kUs, "cs1", b.request("ADD", "cs1", dest(5) + kOneEntry));
    for (uint64_t t = kS - 40 * kUs; t < kS + 40 * kUs; t += 10 * kUs) b.packet(t, flow("10.9.9.9", "10.9.9.8"));
    b.sb.on_reply(kS + 50 * kUs, "cs1", Bench::reply(answered, b.seq["cs1"], answered == 200 ? "Criteria-ID: 5\r\n" : ""));
    b.packet(kS + 20 * kMs, flow("10.9.9.9", "10.9.9.8"));
    return b.finish();
  };
  for (uint64_t d : {uint64_t{8}, uint64_t{0}})
    for (int answered : {200, 550})
      for (bool online : {false, true}) {
        const auto r = run(answered, d, online);
        EXPECT_TRUE(r.pass) << d << " " << answered << " online " << online;
        const auto& cap = r.coverage["answers"]["capacity"];
        EXPECT_EQ(cap[d ? "either" : "unknown_depth"], d ? 1 : 5) << cap.dump();
        if (d) {
          EXPECT_NE(cap["either_why"].dump().find("may expire or be deleted before the reply"), std::string::npos);
        }
      }
  EXPECT_FALSE(run(550, 16).pass);  // with room for it either way, 550 is wrong
  EXPECT_FALSE(run(550, 16, true).pass);
}

// In force at the ADD's arrival, but its Timeout-Total falls before the (slow) reply: the card
// may have handled the ADD after it expired, so the share is open; with a fast reply it is not.
TEST(ScoreboardAnswers, ACriterionExpiringBeforeTheReplyLeavesTheShareOpen) {
  auto run = [](int answered, uint64_t reply_delay) {
    Bench b(depth(8));
    b.add(0, "cs1", dest(1) + "Cdest-ID: cd1\r\nTimeout-Total: 1\r\n", 1);
    for (int i = 2; i <= 4; ++i) b.add(i * kUs * 100, "cs1", dest(i) + kOneEntry, static_cast<uint64_t>(i));
    b.add(kS - 5 * kMs, "cs1", dest(5) + kOneEntry, 5, answered, reply_delay);
    b.packet(kS + 20 * kMs, flow("10.9.9.9", "10.9.9.8"));
    return b.finish();
  };
  EXPECT_TRUE(run(200, 10 * kMs).pass);
  EXPECT_TRUE(run(550, 10 * kMs).pass);
  EXPECT_TRUE(run(550, 10 * kUs).pass);
  const auto r = run(200, 10 * kUs);
  EXPECT_FALSE(r.pass);
  EXPECT_TRUE(has_error(r, "missing 550"));
}
