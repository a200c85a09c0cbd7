// DTCP message framing (reference §1.4) and the sequence window (§1.7).
#include <gtest/gtest.h>

#include "dfc/dtcp/hmac.hpp"
#include "dfc/dtcp/message.hpp"
#include "dfc/dtcp/seq_window.hpp"

using namespace dfc::dtcp;

TEST(DtcpMessage, ParsesRequestLineAndParams) {
  auto m = parse_message("LIST DTCP/0.7\r\nCsource-ID :  cs1  \r\nFLAGS: Both\r\nSeq: 5\r\nAuthentication-Info: ab\r\n\r\n");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->first_line_ok);
  EXPECT_FALSE(m->is_status);
  EXPECT_EQ(m->method, "LIST");
  ASSERT_TRUE(m->version);
  EXPECT_EQ(m->version->major, 0);
  EXPECT_EQ(m->version->minor, 7);
  EXPECT_EQ(m->get("csource-id").value_or(""), "cs1");
  EXPECT_EQ(m->get("Flags").value_or(""), "Both");
  EXPECT_EQ(m->auth, "ab");
  EXPECT_TRUE(m->bad_lines.empty());
}

TEST(DtcpMessage, BareLfAndTrailingWhitespaceTolerated) {
  auto m = parse_message("NOOP   DTCP/0.7 \t\nCsource-ID: a \nSeq: 1\t\nAuthentication-Info: x\n\n");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->first_line_ok);
  EXPECT_EQ(m->get("Seq").value_or(""), "1");
  EXPECT_EQ(m->signed_len, std::string("NOOP   DTCP/0.7 \t\nCsource-ID: a \nSeq: 1\t\n").size());
}

TEST(DtcpMessage, AuthLastEverythingAfterIgnored) {
  auto m = parse_message("NOOP DTCP/0.7\r\nSeq: 1\r\nAuthentication-Info: x\r\nCsource-ID: evil\r\n\r\n");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->find("Csource-ID"));
}

TEST(DtcpMessage, DuplicateFirstWins) {
  auto m = parse_message("NOOP DTCP/0.7\r\nSeq: 1\r\nseq: 2\r\n\r\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get("SEQ").value_or(""), "1");
  EXPECT_FALSE(m->has_auth);
}

TEST(DtcpMessage, BadLinesCollected) {
  auto m = parse_message("NOOP DTCP/0.7\r\nno colon here\r\n: novalue\r\nSeq: 1\r\n\r\n");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->bad_lines.size(), 2u);
  EXPECT_EQ(m->bad_lines[0], "no colon here");
}

TEST(DtcpMessage, StatusLine) {
  auto m = parse_message("DTCP/0.6 431 Unknown Criteria ID\r\nCriteria-ID: 55331\r\n\r\n");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_status);
  EXPECT_EQ(m->status, 431);
  EXPECT_EQ(m->reason, "Unknown Criteria ID");
}

TEST(DtcpMessage, EmptyAndMalformed) {
  EXPECT_FALSE(parse_message(""));
  EXPECT_FALSE(parse_message("\r\nNOOP DTCP/0.7\r\n"));
  auto m = parse_message("NOOP DTCP/x\r\n\r\n");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->version);
  auto m2 = parse_message("NOOP\r\n\r\n");
  ASSERT_TRUE(m2);
  EXPECT_FALSE(m2->first_line_ok);
}

TEST(DtcpMessage, Escapes) {
  EXPECT_EQ(unescape("a\\032b").value_or("?"), "a b");
  EXPECT_EQ(unescape("\\044").value_or("?"), ",");
  EXPECT_FALSE(unescape("\\25"));
  EXPECT_FALSE(unescape("\\256"));
  EXPECT_FALSE(unescape("x\\"));
  EXPECT_EQ(escape("a b,c\\"), "a\\032b\\044c\\092");
  EXPECT_EQ(unescape(escape("x\ty")).value_or("?"), "x\ty");
}

TEST(DtcpMessage, BuilderSignsAndRoundTrips) {
  auto b = MessageBuilder::status(Version{0, 7}, 200, "OK");
  b.add("Criteria-ID", uint64_t{7}).add("Seq", uint64_t{9});
  std::string s = b.signed_text("key");
  auto m = parse_and_verify(s, "key");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->get("criteria-id").value_or(""), "7");
}

// ---- Seq window ----------------------------------------------------------------------------
using R = SeqWindow::Result;

TEST(DtcpSeq, FirstAcceptedThenWindowEdges) {
  SeqWindow w;
  EXPECT_EQ(w.check_and_record(1000), R::Accepted);  // first Seq from a source: accepted
  EXPECT_EQ(w.check_and_record(1000), R::Duplicate);
  EXPECT_EQ(w.check_and_record(1256), R::Accepted);  // +256 exactly
  EXPECT_EQ(w.highest(), 1256u);
  EXPECT_EQ(w.check_and_record(1513), R::TooFarAhead);  // +257
  EXPECT_EQ(w.check_and_record(1000), R::Duplicate);  // -256 exactly, seen
  EXPECT_EQ(w.check_and_record(1001), R::Accepted);   // -255, unseen
  EXPECT_EQ(w.check_and_record(999), R::Stale);       // -257
}

TEST(DtcpSeq, NegativeWindowRemembersSeen) {
  SeqWindow w;
  EXPECT_EQ(w.check_and_record(500), R::Accepted);
  EXPECT_EQ(w.check_and_record(600), R::Accepted);
  EXPECT_EQ(w.check_and_record(500), R::Duplicate);  // seen, still inside -256
  EXPECT_EQ(w.check_and_record(344), R::Accepted);   // -256, unseen
  EXPECT_EQ(w.check_and_record(344), R::Duplicate);
  EXPECT_EQ(w.check_and_record(343), R::Stale);      // -257
  EXPECT_EQ(w.check_and_record(599), R::Accepted);   // reordered, unseen
  EXPECT_EQ(w.highest(), 600u);                      // negative accepts do not move the window
  EXPECT_EQ(w.check_and_record(856), R::Accepted);   // +256 shifts the seen bits
  EXPECT_EQ(w.check_and_record(600), R::Duplicate);  // now exactly -256 and seen
  EXPECT_EQ(w.check_and_record(599), R::Stale);
}

TEST(DtcpSeq, Rollover) {
  SeqWindow w;
  const uint64_t top = ~0ull;
  EXPECT_EQ(w.check_and_record(top - 10), R::Accepted);
  EXPECT_EQ(w.check_and_record(5), R::AcceptedRollover);  // +16 across 2^64
  EXPECT_EQ(w.highest(), 5u);
  EXPECT_EQ(w.check_and_record(top - 10), R::Duplicate);  // still in -256 and seen
  EXPECT_EQ(w.check_and_record(top - 3), R::Accepted);    // unseen, in -256 across the wrap
  EXPECT_EQ(w.check_and_record(top - 300), R::Stale);
  SeqWindow v;
  EXPECT_EQ(v.check_and_record(1ull << 63), R::Accepted);
  EXPECT_EQ(v.check_and_record(3), R::Stale);  // wrap without MSB all-ones: rejected
  v.reset();
  EXPECT_EQ(v.check_and_record(3), R::Accepted);  // operator reset
}
