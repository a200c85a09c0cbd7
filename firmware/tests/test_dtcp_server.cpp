// DTCP server: authentication, Seq window, control-source rules, every method and status code.
#include <fstream>
#include <regex>
#include <sstream>

#include "dtcp_test_util.hpp"

using namespace dtcp_test;
namespace code = dfc::dtcp::code;

namespace {

const KV kBasic{{"Dest-Address", "192.0.2.1"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}};

TEST_F(ServerTest, AddReplyIsSignedMirroredAndTimestamped) {
  hal.epoch_ms = 1767225600000ull;  // 2026-01-01 00:00:00.000 UTC
  hal.advance_to(3'723'456'000'000ull);  // +1h 2m 3.456s
  Message r = request(cs1, "ADD", {{"Dest-Address", "192.0.2.1"}, {"Timeout-Idle", "600"}, {"Priority", "2"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.first_line, "DTCP/0.7 200 OK");
  EXPECT_EQ(r.get("Criteria-ID").value_or(""), "1");
  EXPECT_EQ(r.get("Timestamp").value_or(""), "2026-01-01 01:02:03.456");
  // parameter order: results, Timestamp, Seq (ABNF), Authentication-Info last
  ASSERT_EQ(r.params.size(), 3u);
  EXPECT_EQ(r.params[0].name, "Criteria-ID");
  EXPECT_EQ(r.params[1].name, "Timestamp");
  EXPECT_EQ(r.params[2].name, "Seq");
  auto crit = srv.criteria();
  ASSERT_EQ(crit.size(), 1u);
  EXPECT_EQ(crit[0].priority, 12u);  // Priority 2 + minimum-priority 10
  EXPECT_EQ(cls.rules(), 1u);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_added, 1u);
  EXPECT_EQ(cs_stats("cs1").counters.response_successful, 1u);
  EXPECT_EQ(hal.worked(dfc::Hal::Work::ControlOp), 1u) << "one request dispatched";
  EXPECT_GT(hal.worked(dfc::Hal::Work::ControlByte), 0u);
  EXPECT_EQ(hal.worked(dfc::Hal::Work::ControlMessage), 1u) << "one reply built";
  EXPECT_EQ(hal.cycles, 0u) << "the server declares its work, it carries no cycle constants";
}

// The image's HAL hands a request over where the DMA wrote it (Packet::in_place, `data` empty):
// the server parses and authenticates it there, and the bytes declared are the request's.
TEST_F(ServerTest, ARequestReadInPlaceIsAnsweredAsTheSameRequestOwned) {
  const std::string bytes =
      build(cs1, "ADD", {{"Dest-Address", "192.0.2.1"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}}, ++seq_of(cs1));
  Packet p = datagram(cs1, bytes);
  p.data.clear();
  p.in_place = reinterpret_cast<const uint8_t*>(bytes.data());
  p.in_place_len = bytes.size();
  srv.on_datagram(p);
  auto replies = collect(cs1);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].first_line, "DTCP/0.7 200 OK");
  EXPECT_EQ(srv.criteria().size(), 1u);
  EXPECT_GE(hal.worked(dfc::Hal::Work::ControlByte), bytes.size());
  // A corrupted byte in the frame is what the server reads, not a stale copy: silent, counted.
  std::string bad = build(cs1, "ADD", {{"Dest-Address", "192.0.2.2"}, {"Timeout-Idle", "600"}, {"Cdest-ID", "cd1"}}, ++seq_of(cs1));
  bad[bad.find("192.0.2.2")] = '8';
  Packet q = datagram(cs1, "not these bytes");
  q.in_place = reinterpret_cast<const uint8_t*>(bad.data());
  q.in_place_len = bad.size();
  srv.on_datagram(q);
  EXPECT_TRUE(collect(cs1).empty());
  EXPECT_EQ(srv.criteria().size(), 1u);
}

TEST_F(ServerTest, DraftPublishedAddAcceptedByteForByte) {
  std::ifstream f(std::string(DFC_SHARED_DATA) + "/vectors/dtcp-draft-add-published.msg", std::ios::binary);
  if (!f) GTEST_SKIP() << "shared data not found at " << DFC_SHARED_DATA << "/vectors (DFC_SHARED_DATA)";
  std::ostringstream ss;
  ss << f.rdbuf();
  Src a{"csrc_a", "secret", "10.0.0.3"};
  deliver(a, ss.str());
  auto replies = collect(a);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].first_line, "DTCP/0.6 200 OK");  // replies with the request's version
  EXPECT_EQ(replies[0].get("Seq").value_or(""), "3827443");
  auto c = srv.criteria();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].send_async);
  EXPECT_EQ(c[0].priority, 2u);
  EXPECT_EQ(c[0].timeout_idle, 600u);
  // Dest-Address 10.1.1.1-10.1.1.10, Protocol 6,17, Dest-Port 53, source 192.168.10.4
  EXPECT_EQ(matches(v4("192.168.10.4", "10.1.1.5", 17, 999, 53)), std::vector<uint32_t>{c[0].criteria_id});
  EXPECT_EQ(matches(v4("192.168.10.4", "10.1.1.10", 6, 999, 53)).size(), 1u);
  EXPECT_TRUE(matches(v4("192.168.10.4", "10.1.1.11", 6, 999, 53)).empty());
  EXPECT_TRUE(matches(v4("192.168.10.4", "10.1.1.5", 6, 999, 54)).empty());
  // The same bytes again: a replay, silently dropped.
  deliver(a, ss.str());
  EXPECT_TRUE(collect(a).empty());
  EXPECT_EQ(cs_stats("csrc_a").counters.response_invalid_sequence_number, 1u);
}

TEST_F(ServerTest, SilentDropsAreCounted) {
  // Unknown control source.
  Src ghost{"ghost", "secret1", "10.0.0.1"};
  deliver(ghost, build(ghost, "NOOP", {}, 1));
  // Wrong key.
  Src badkey{"cs1", "wrong", "10.0.0.1"};
  deliver(badkey, build(badkey, "NOOP", {}, ++seq1));
  // Source address not in source-addresses.
  Src badip{"cs1", "secret1", "10.0.0.77"};
  deliver(badip, build(badip, "NOOP", {}, ++seq1));
  // Wrong service port.
  deliver(cs1, build(cs1, "NOOP", {}, ++seq1), 2401);
  // Missing Authentication-Info, missing Seq, not DTCP at all, a status line.
  deliver(cs1, "NOOP DTCP/0.7\r\nCsource-ID: cs1\r\nSeq: 2000\r\n\r\n");
  deliver(cs1, dfc::dtcp::sign("NOOP DTCP/0.7\r\nCsource-ID: cs1\r\n", "secret1"));
  deliver(cs1, "");
  deliver(cs1, dfc::dtcp::sign("DTCP/0.7 200 OK\r\nCsource-ID: cs1\r\nSeq: 3000\r\n", "secret1"));
  // Tampered after signing.
  std::string t = build(cs1, "ADD", kBasic, ++seq1);
  t.replace(t.find("192.0.2.1"), 9, "192.0.2.2");
  deliver(cs1, t);
  EXPECT_TRUE(hal.sent.empty());
  const auto& g = srv.counters();
  EXPECT_EQ(g.unknown_control_source, 1u);
  EXPECT_EQ(g.bad_authentication, 3u);
  EXPECT_EQ(g.unauthorized_control_source, 2u);
  EXPECT_EQ(g.bad_sequence, 1u);
  EXPECT_EQ(g.not_dtcp, 2u);
  auto s = cs_stats("cs1");
  EXPECT_EQ(s.counters.response_invalid_authentication, 3u);
  EXPECT_EQ(s.counters.unauthorized_source, 2u);
  EXPECT_EQ(s.counters.response_invalid_sequence_number, 1u);
  EXPECT_EQ(s.counters.requests, 0u);
  EXPECT_EQ(srv.active_criteria(), 0u);
  // The second configured source address is accepted.
  Src alt{"cs1", "secret1", "10.0.0.5"};
  deliver(alt, build(alt, "NOOP", {}, ++seq1));
  EXPECT_EQ(collect(alt).size(), 1u);
}

TEST_F(ServerTest, SeqWindowEdges) {
  auto send = [&](uint64_t seq) {
    deliver(cs1, build(cs1, "NOOP", {}, seq));
    return collect(cs1).size();
  };
  EXPECT_EQ(send(1000), 1u);  // first Seq of a source: accepted
  EXPECT_EQ(send(1256), 1u);  // +256
  EXPECT_EQ(send(1513), 0u);  // +257 from 1256
  EXPECT_EQ(send(1000), 0u);  // -256 but already seen
  EXPECT_EQ(send(1001), 1u);  // -255 unseen: accepted (reordering)
  EXPECT_EQ(send(1001), 0u);  // duplicate
  EXPECT_EQ(send(999), 0u);   // stale (-257)
  EXPECT_EQ(send(1256), 0u);  // duplicate of the highest
  auto s = cs_stats("cs1");
  EXPECT_EQ(s.sequence_number, 1256u);
  EXPECT_EQ(s.counters.response_invalid_sequence_number, 5u);
  // Operator reset: any number accepted again.
  srv.reset_sequence("cs1");
  EXPECT_EQ(send(7), 1u);
}

TEST_F(ServerTest, SeqRolloverSendsNotification) {
  const uint64_t top = ~0ull;
  deliver(cs1, build(cs1, "NOOP", {}, top - 1));
  EXPECT_EQ(collect(cs1).size(), 1u);
  EXPECT_TRUE(take_notes("secret1").empty());
  deliver(cs1, build(cs1, "NOOP", {}, 3));  // +5 across 2^64
  EXPECT_EQ(collect(cs1).size(), 1u);
  auto n = take_notes("secret1");
  ASSERT_EQ(n.size(), 2u);  // both notification targets
  EXPECT_EQ(n[0].second.status, 130);
  EXPECT_EQ(n[0].first.dst_ip, "10.0.0.1");
  EXPECT_EQ(n[0].first.dst_port, 2100);
  EXPECT_EQ(n[1].first.dst_ip, "10.0.0.9");
  EXPECT_EQ(cs_stats("cs1").counters.notification_rollover, 1u);
  EXPECT_FALSE(n[0].second.find("Seq"));  // notifications carry no Seq
  EXPECT_TRUE(n[0].second.find("Timestamp"));
}

TEST_F(ServerTest, VersionRules) {
  Message r = request(cs1, "NOOP", {}, "DTCP/0.6");
  EXPECT_EQ(r.first_line, "DTCP/0.6 200 OK");
  r = request(cs1, "NOOP", {}, "DTCP/0.8");
  EXPECT_EQ(r.status, 505);
  EXPECT_EQ(r.version_text, "DTCP/0.7");  // newer than the server: its highest version
  r = request(cs1, "NOOP", {}, "DTCP/0.5");
  EXPECT_EQ(r.status, 505);
  EXPECT_EQ(r.version_text, "DTCP/0.6");  // older than the server can handle: its lowest
  r = request(cs1, "NOOP", {}, "DTCP/1.0");
  EXPECT_EQ(r.status, 505);
  r = request(cs1, "NOOP", {}, "HTTP/1.1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.get("X-Request-Line").value_or(""), "NOOP HTTP/1.1");
  EXPECT_EQ(srv.counters().bad_command_line, 3u);
  EXPECT_EQ(cs_stats("cs1").counters.response_version_not_supported, 3u);
  // IPv6 filters need 0.7
  r = request(cs1, "ADD", {{"Dest-Address", "2001:db8::1"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}}, "DTCP/0.6");
  EXPECT_EQ(r.status, 432);
  EXPECT_EQ(r.first_line.substr(0, 8), "DTCP/0.6");
}

TEST_F(ServerTest, LenientFramingAndNames) {
  // Bare LF, upper-case names, trailing whitespace, X- parameters, escapes in ids.
  std::string m = "add   DTCP/0.7  \nDEST-ADDRESS:192.0.2.1 \nX-Vendor-Thing: whatever\ntimeout-idle :  60\t\n"
                  "CDEST-ID: c\\100\\049\nX-JTap-Cdest-Dest-Port: 1\nCsource-ID: cs\\049\nseq: 4242\n";
  deliver(cs1, dfc::dtcp::sign(m, "secret1"));
  auto r = collect(cs1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(srv.active_criteria(), 1u);
  EXPECT_EQ(srv.criteria()[0].cdest_id, "cd1");
}

TEST_F(ServerTest, Status400) {
  auto e = [&](const KV& kv, const std::string& method = "ADD") { return request(cs1, method, kv); };
  Message r = e({{"Dest-Address", "192.0.2.1"}, {"Timeout-Idle", "60"}});  // no Cdest-ID
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.reason, "Bad Request");
  EXPECT_EQ(r.get("X-Missing-Parameter").value_or(""), "Cdest-ID");
  r = e({{"Priority", "0"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.get("Priority").value_or(""), "0");
  r = e({{"Priority", "256"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 400);
  r = e({{"Flags", "Static,Bogus"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.get("Flags").value_or(""), "Static,Bogus");
  r = e({{"Flags", "Both"}, {"Cdest-ID", "cd1"}});  // a LIST flag in ADD
  EXPECT_EQ(r.status, 400);
  r = e({{"Criteria-ID", "5"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}});  // not an ADD parameter
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.get("Criteria-ID").value_or(""), "5");
  r = e({{"Timestamp", "2020-01-01 00:00:00.000"}}, "NOOP");  // reply-only parameter in a request
  EXPECT_EQ(r.status, 400);
  r = e({{"Cdest-ID", "cd 1"}, {"Timeout-Idle", "60"}});
  EXPECT_EQ(r.status, 400);
  r = e({}, "DELETE");  // neither selector
  EXPECT_EQ(r.status, 400);
  r = e({{"Criteria-ID", "1"}, {"Cdest-ID", "cd1"}}, "DELETE");  // both selectors
  EXPECT_EQ(r.status, 400);
  r = e({{"Criteria-ID", "x"}}, "DELETE");
  EXPECT_EQ(r.status, 400);
  r = e({{"Flags", "SendAsync"}}, "DELETE");
  EXPECT_EQ(r.status, 400);
  r = e({{"Flags", "Static"}}, "NOOP");
  EXPECT_EQ(r.status, 400);
  // A parameter line without a colon: 400 echoing the line.
  deliver(cs1, dfc::dtcp::sign("NOOP DTCP/0.7\r\nthis is junk\r\nCsource-ID: cs1\r\nSeq: " + std::to_string(++seq1) + "\r\n", "secret1"));
  auto rs = collect(cs1);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].status, 400);
  EXPECT_EQ(rs[0].get("X-Request-Line").value_or(""), "this is junk");
  EXPECT_EQ(cs_stats("cs1").counters.bad_request, 14u);
  EXPECT_EQ(srv.counters().bad_request, 14u);
  EXPECT_EQ(srv.active_criteria(), 0u);
}

TEST_F(ServerTest, Status430UnknownOrNotAllowedDestination) {
  Message r = request(cs1, "ADD", {{"Timeout-Idle", "60"}, {"Cdest-ID", "nope"}});
  EXPECT_EQ(r.status, 430);
  EXPECT_EQ(r.reason, "Unknown Content Destination");
  EXPECT_EQ(r.get("Cdest-ID").value_or(""), "nope");
  // cs2 may only use cd1: cd2 exists but is reported exactly like an unknown one.
  r = request(cs2, "ADD", {{"Timeout-Idle", "60"}, {"Cdest-ID", "cd2"}});
  EXPECT_EQ(r.status, 430);
  EXPECT_EQ(r.get("Cdest-ID").value_or(""), "cd2");
  EXPECT_EQ(request(cs2, "ADD", {{"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}}).status, 200);
  EXPECT_EQ(request(cs2, "DELETE", {{"Cdest-ID", "cd2"}}).status, 430);
  EXPECT_EQ(request(cs2, "LIST", {{"Cdest-ID", "cd2"}}).status, 430);
  EXPECT_EQ(request(cs2, "REFRESH", {{"Cdest-ID", "cd2"}, {"Timeout-Idle", "5"}}).status, 430);
  EXPECT_EQ(cs_stats("cs2").counters.response_unknown_content_dest, 4u);
  EXPECT_EQ(cs_stats("cs1").counters.response_unknown_content_dest, 1u);
}

TEST_F(ServerTest, Status431UnknownCriteriaIdEchoedNothingDeleted) {
  uint32_t a = add_ok(cs1, kBasic);
  Message r = request(cs1, "DELETE", {{"Criteria-ID", std::to_string(a) + ",55331"}});
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.reason, "Unknown Criteria ID");
  EXPECT_EQ(r.get("Criteria-ID").value_or(""), "55331");
  EXPECT_EQ(srv.active_criteria(), 1u);  // whole request failed
  EXPECT_EQ(request(cs1, "REFRESH", {{"Criteria-ID", "77"}, {"Timeout-Idle", "5"}}).status, 431);
  EXPECT_EQ(request(cs1, "LIST", {{"Criteria-ID", "77"}}).status, 431);
  EXPECT_EQ(cs_stats("cs1").counters.response_unknown_criteria_id, 3u);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_deletion_failed, 1u);
}

TEST_F(ServerTest, Status432ImproperFilter) {
  auto add = [&](const KV& f) {
    KV kv = f;
    kv.push_back({"Timeout-Idle", "60"});
    kv.push_back({"Cdest-ID", "cd1"});
    return request(cs1, "ADD", kv);
  };
  struct Case {
    KV f;
    std::string echoed;
  };
  const Case cases[] = {
      {{{"Source-Address", "10.0.0.256"}}, "Source-Address"},
      {{{"Dest-Address", "10.0.0.0/33"}}, "Dest-Address"},
      {{{"Dest-Address", "10.0.0.9-10.0.0.1"}}, "Dest-Address"},
      {{{"Dest-Address", "10.0.0.1-2001:db8::1"}}, "Dest-Address"},
      {{{"Protocol", "256"}}, "Protocol"},
      {{{"Dest-Port", "65536"}}, "Dest-Port"},
      {{{"Source-Port", "80-"}}, "Source-Port"},
      {{{"ICMP-Type", "x"}}, "ICMP-Type"},
      {{{"Dest-Port", "!*"}}, "Dest-Port"},
      {{{"Protocol", "1"}, {"Dest-Port", "53"}}, "Protocol"},       // ports need 6/17/132
      {{{"Protocol", "6"}, {"ICMP-Type", "8"}}, "Protocol"},        // ICMP needs 1/58
      {{{"Dest-Port", "53"}, {"ICMP-Code", "0"}}, "Dest-Port"},     // both: impossible (the port is blamed)
      {{{"Source-Address", "10.0.0.1"}, {"Dest-Address", "2001:db8::1"}}, "Dest-Address"},  // families never agree
  };
  for (const auto& c : cases) {
    Message r = add(c.f);
    EXPECT_EQ(r.status, 432) << c.f[0].second;
    EXPECT_EQ(r.reason, "Improper Filter Specification");
    EXPECT_TRUE(r.find(c.echoed)) << c.f[0].second << ": " << c.echoed << " not echoed";
    EXPECT_TRUE(r.find("X-Error-Info"));
  }
  EXPECT_EQ(srv.active_criteria(), 0u);
  EXPECT_EQ(cs_stats("cs1").counters.response_improper_criteria, std::size(cases));
}

TEST_F(ServerTest, Status433ImproperTimeout) {
  Message r = request(cs1, "ADD", {{"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 433);
  EXPECT_EQ(r.reason, "Improper Timeout Specification");
  r = request(cs1, "ADD", {{"Timeout-Idle", "0"}, {"Timeout-Packets", "0"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 433);
  EXPECT_EQ(r.get("Timeout-Idle").value_or(""), "0");
  r = request(cs1, "ADD", {{"Timeout-Total", "86401"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 433);
  EXPECT_EQ(r.get("Timeout-Total").value_or(""), "86401");
  r = request(cs1, "ADD", {{"Timeout-Bytes", "-1"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 433);
  EXPECT_EQ(request(cs1, "ADD", {{"Timeout-Total", "86400"}, {"Cdest-ID", "cd1"}}).status, 200);
  EXPECT_EQ(request(cs1, "ADD", {{"Flags", "STATIC"}, {"Cdest-ID", "cd1"}}).status, 200);  // static needs none
  uint32_t id = add_ok(cs1, kBasic);
  r = request(cs1, "REFRESH", {{"Criteria-ID", std::to_string(id)}});  // no timeout
  EXPECT_EQ(r.status, 433);
  r = request(cs1, "REFRESH", {{"Criteria-ID", std::to_string(id)}, {"Timeout-Idle", "0"}});  // would leave none
  EXPECT_EQ(r.status, 433);
  EXPECT_EQ(cs_stats("cs1").counters.response_improper_timeout, 6u);
}

TEST_F(ServerTest, Status501NotImplemented) {
  Message r = request(cs1, "ADD", {{"Action", "Block"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.reason, "Not Implemented");
  EXPECT_EQ(r.get("Action").value_or(""), "Block");
  EXPECT_EQ(request(cs1, "ADD", {{"Action", "Redirect"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}}).status, 501);
  EXPECT_EQ(request(cs1, "ADD", {{"Action", "copy"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}}).status, 200);
  r = request(cs1, "FROB");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.get("X-Not-Implemented").value_or(""), "FROB");
  r = request(cs1, "NOOP", {{"Frobnicate", "1"}});  // unknown non-X parameter
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.get("Frobnicate").value_or(""), "1");
  r = request(cs1, "ADD", {{"Timeout-Idle", "60"}, {"Cdest-ID", "cd1,cd2"}});  // one destination per ADD
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.get("Cdest-ID").value_or(""), "cd1,cd2");
  EXPECT_EQ(request(cs1, "ADD", {{"Timeout-Idle", "60"}, {"Cdest-ID", "cd1,cd2"}}, "DTCP/0.6").status, 400);
  EXPECT_EQ(request(cs1, "DELETE", {{"Criteria-ID", "!3"}}).status, 501);
  EXPECT_EQ(cs_stats("cs1").counters.response_not_implemented, 6u);
}

class SmallTableTest : public ServerTest {
 protected:
  // The whole table for one source: the per-source share is tested in test_dtcp_groups.cpp.
  SmallTableTest() : ServerTest(8, [] {
    dfc::dtcp::Server::Options o;
    o.max_source_share_percent = 0;
    return o;
  }()) {}
};

TEST_F(SmallTableTest, Status550WhenTableFullAnd500InDtcp06) {
  // A 3x3 cross product needs 9 entries: more than the 8-entry table.
  Message r = request(cs1, "ADD", {{"Source-Address", "10.0.0.1,10.0.0.2,10.0.0.3"}, {"Dest-Address", "10.1.0.1,10.1.0.2,10.1.0.3"},
                                   {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}});
  EXPECT_EQ(r.status, 550);
  EXPECT_EQ(r.reason, "Max Criteria Limit Exceeded");
  EXPECT_EQ(cls.rules(), 0u);
  EXPECT_EQ(cls.entries_used(), 0u);
  r = request(cs1, "ADD", {{"Source-Address", "10.0.0.1,10.0.0.2,10.0.0.3"}, {"Dest-Address", "10.1.0.1,10.1.0.2,10.1.0.3"},
                           {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}}, "DTCP/0.6");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.reason, "Server Internal Error");
  for (int i = 0; i < 8; ++i) add_ok(cs1, kBasic);
  EXPECT_EQ(request(cs1, "ADD", kBasic).status, 550);
  EXPECT_EQ(cs_stats("cs1").counters.response_max_criteria, 2u);
  EXPECT_EQ(cs_stats("cs1").counters.response_internal_error, 1u);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_addition_failed, 3u);
}

TEST_F(ServerTest, CriteriaIdsMonotonicAndNotReused) {
  uint32_t a = add_ok(cs1, kBasic), b = add_ok(cs2, kBasic), c = add_ok(cs1, kBasic);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(request(cs1, "DELETE", {{"Criteria-ID", std::to_string(c)}}).status, 200);
  EXPECT_GT(add_ok(cs1, kBasic), c);
}

TEST_F(ServerTest, DeleteByIdsRangesDestinationAndStaticRule) {
  uint32_t a = add_ok(cs1, kBasic);
  uint32_t b = add_ok(cs1, {{"Flags", "Static"}, {"Cdest-ID", "cd1"}});
  uint32_t c = add_ok(cs1, {{"Timeout-Idle", "60"}, {"Cdest-ID", "cd2"}});
  uint32_t d = add_ok(cs1, kBasic);
  const uint64_t v0 = srv.criteria_version();
  // The static one is skipped without Flags: Static, not an error.
  Message r = request(cs1, "DELETE", {{"Criteria-ID", std::to_string(b)}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "0");
  // Range: whatever exists.
  r = request(cs1, "DELETE", {{"Criteria-ID", std::to_string(a) + "-" + std::to_string(b) + ", 9000-9999"}});
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "1");  // a; b static
  // By destination.
  r = request(cs1, "DELETE", {{"Cdest-ID", "cd2"}});
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "1");
  r = request(cs1, "DELETE", {{"Cdest-ID", "cd2"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "0");
  // Open range + Static.
  r = request(cs1, "DELETE", {{"Criteria-ID", "*-" + std::to_string(d)}, {"Flags", "static"}});
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "2");
  EXPECT_EQ(srv.active_criteria(), 0u);
  EXPECT_EQ(cls.rules(), 0u);
  EXPECT_EQ(srv.criteria_version(), v0 + 4);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_deleted, 4u);
  (void)c;
}

// `2-2` is a range (docs/dtcp-conformance.md): it selects the criterion if this source has it and
// nothing otherwise, where the single id `2` must exist (431, nothing changed).
TEST_F(ServerTest, RangeOfOneIdSelectsWhatExists) {
  const uint32_t a = add_ok(cs1, kBasic);
  const std::string gone = std::to_string(a + 100);
  Message r = request(cs1, "DELETE", {{"Criteria-ID", gone}});
  EXPECT_EQ(r.status, 431);
  r = request(cs1, "DELETE", {{"Criteria-ID", gone + "-" + gone}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "0");
  r = request(cs1, "REFRESH", {{"Criteria-ID", gone + "-" + gone}, {"Timeout-Idle", "5"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "0");
  EXPECT_EQ(request(cs1, "LIST", {{"Criteria-ID", gone + "-" + gone}}).status, 200);
  EXPECT_EQ(request(cs1, "LIST", {{"Criteria-ID", gone}}).status, 431);
  const std::string id = std::to_string(a);
  r = request(cs1, "DELETE", {{"Criteria-ID", id + "-" + id}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "1");
  EXPECT_EQ(srv.active_criteria(), 0u);
}

TEST_F(ServerTest, IsolationBetweenControlSources) {
  uint32_t a = add_ok(cs1, kBasic);
  uint32_t s = add_ok(cs1, {{"Flags", "Static"}, {"Cdest-ID", "cd1"}});
  // cs2 can neither delete, refresh nor list cs1's criteria, by id, range or destination.
  EXPECT_EQ(request(cs2, "DELETE", {{"Criteria-ID", std::to_string(a)}}).status, 431);
  EXPECT_EQ(request(cs2, "DELETE", {{"Criteria-ID", "*"}, {"Flags", "Static"}}).get("Criteria-Count").value_or(""), "0");
  EXPECT_EQ(request(cs2, "DELETE", {{"Cdest-ID", "cd1"}, {"Flags", "Static"}}).get("Criteria-Count").value_or(""), "0");
  EXPECT_EQ(request(cs2, "REFRESH", {{"Criteria-ID", std::to_string(a)}, {"Timeout-Idle", "1"}}).status, 431);
  EXPECT_EQ(request(cs2, "REFRESH", {{"Criteria-ID", "0-*"}, {"Timeout-Idle", "1"}}).get("Criteria-Count").value_or(""), "0");
  EXPECT_EQ(request(cs2, "LIST", {{"Criteria-ID", std::to_string(s)}}).status, 431);
  Message l = request(cs2, "LIST", {{"Flags", "Both"}});
  EXPECT_EQ(l.status, 200);
  EXPECT_FALSE(l.find("Criteria-ID"));
  EXPECT_EQ(srv.active_criteria(), 2u);
  EXPECT_EQ(srv.criteria()[0].num_refresh, 0u);
}

TEST_F(ServerTest, RefreshReplacesRemainingTimeouts) {
  uint32_t a = add_ok(cs1, {{"Timeout-Total", "10"}, {"Cdest-ID", "cd1"}});
  uint32_t b = add_ok(cs1, {{"Timeout-Total", "10"}, {"Cdest-ID", "cd2"}});
  hal.advance(8'000'000'000ull);
  Message r = request(cs1, "REFRESH", {{"Criteria-ID", std::to_string(a) + "," + std::to_string(b)}, {"Timeout-Total", "10"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "2");
  hal.advance(5'000'000'000ull);  // 13 s after ADD, 5 s after REFRESH
  srv.on_timer();
  EXPECT_EQ(srv.active_criteria(), 2u);
  r = request(cs1, "REFRESH", {{"Cdest-ID", "cd2"}, {"Timeout-Idle", "3"}});  // adds an idle timeout
  EXPECT_EQ(r.get("Criteria-Count").value_or(""), "1");
  hal.advance(3'000'000'000ull);
  srv.on_timer();
  EXPECT_EQ(srv.active_criteria(), 1u);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_deleted_timeout_idle, 1u);
  hal.advance(2'000'000'000ull);
  srv.on_timer();
  EXPECT_EQ(srv.active_criteria(), 0u);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_deleted_timeout_total, 1u);
  EXPECT_EQ(cs_stats("cs1").counters.criteria_refreshed, 3u);
}

TEST_F(ServerTest, NoopAndSendAsync) {
  Message r = request(cs1, "NOOP");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(take_notes("secret1").empty());
  r = request(cs1, "NOOP", {{"Flags", "SendAsync"}});
  EXPECT_EQ(r.status, 200);
  auto n = take_notes("secret1");
  // target 10.0.0.1:2100 is not the request's port 5555, so both are notifications
  ASSERT_EQ(n.size(), 2u);
  for (auto& [p, m] : n) {
    EXPECT_EQ(m.status, 131);
    EXPECT_EQ(m.version_text, "DTCP/0.7");
    EXPECT_EQ(p.src_ip, "10.1.0.0");  // the card's control address (last request's destination)
    EXPECT_EQ(p.src_port, 2400);
  }
  EXPECT_EQ(n[0].first.dst_ip, "10.0.0.1");
  EXPECT_EQ(n[0].first.dst_port, 2100);
  EXPECT_EQ(n[1].first.dst_ip, "10.0.0.9");
  EXPECT_EQ(n[1].first.dst_port, 2101);
  // Notifications use the version the source last used.
  request(cs1, "NOOP", {{"Flags", "sendasync"}}, "DTCP/0.6");
  n = take_notes("secret1");
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].second.version_text, "DTCP/0.6");
  auto s = cs_stats("cs1");
  EXPECT_EQ(s.counters.notification_noop, 2u);
  EXPECT_EQ(s.counters.noop_success, 3u);
  EXPECT_EQ(s.counters.noop_requests, 3u);
}

TEST_F(ServerTest, RestartNotification) {
  srv.announce_restart("PIC restarted");
  auto n = take_notes("secret1");  // only cs1's two verify with secret1 ...
  size_t cs1_notes = 0;
  for (auto& [p, m] : n)
    if (m.status == 599) {
      ++cs1_notes;
      EXPECT_EQ(m.get("Alert-Info").value_or(""), "PIC restarted");
    }
  EXPECT_EQ(cs1_notes, 2u);
  EXPECT_EQ(cs_stats("cs2").counters.notification_restart, 1u);
}

TEST_F(ServerTest, TransmitQueueFullIsCounted) {
  hal.tx_full = true;
  deliver(cs1, build(cs1, "NOOP", {{"Flags", "SendAsync"}}, ++seq1));
  EXPECT_TRUE(hal.sent.empty());
  EXPECT_EQ(srv.counters().tx_dropped, 3u);  // the reply and two notifications
  EXPECT_EQ(cs_stats("cs1").counters.noop_success, 1u);
}

}  // namespace

// Deferred transmit (docs/firmware-concurrency.md rule 9): replies are built under the lock
// but neither priced nor sent until flush_transmit, which sends them in the order they were
// produced, at most max_messages per call.
TEST_F(ServerTest, DeferredTransmitKeepsOrderAndSendsOnlyWhenFlushed) {
  srv.set_deferred_transmit(true);
  const uint64_t s1 = ++seq1, s2 = ++seq1;
  deliver(cs1, build(cs1, "ADD", {{"Dest-Address", "192.0.2.1"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}}, s1));
  deliver(cs1, build(cs1, "NOOP", {}, s2));
  EXPECT_TRUE(hal.sent.empty()) << "nothing leaves before the flush";
  const uint64_t built_before = hal.worked(dfc::Hal::Work::ControlMessage);
  EXPECT_EQ(built_before, 0u) << "nothing is built (priced) before the flush";
  EXPECT_TRUE(srv.flush_transmit(1));
  ASSERT_EQ(hal.sent.size(), 1u) << "one message per call when limited";
  EXPECT_EQ(hal.worked(dfc::Hal::Work::ControlMessage), 1u) << "signing and building are paid at the flush";
  EXPECT_TRUE(srv.flush_transmit());
  EXPECT_FALSE(srv.flush_transmit()) << "nothing left";
  const auto replies = collect(cs1);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].get("Seq").value_or(""), std::to_string(s1)) << "the ADD's reply first";
  EXPECT_EQ(replies[1].get("Seq").value_or(""), std::to_string(s2));
}

TEST_F(ServerTest, ImmediateTransmitByDefault) {
  EXPECT_FALSE(srv.flush_transmit());
  Message r = request(cs1, "NOOP");
  EXPECT_EQ(r.first_line, "DTCP/0.7 200 OK");
}
