// Every criteria form of ADD, end to end: DTCP filter text -> MatchTerms -> classifier driver
// -> reference classifier (FakeHal) -> matching rule ids. Plus the pure term semantics.
#include "dtcp_test_util.hpp"

using namespace dtcp_test;

namespace {

class CriteriaTest : public ServerTest {
 protected:
  // Adds a criterion with these filters; returns its id.
  uint32_t add(const KV& f) {
    KV kv = f;
    kv.push_back({"Timeout-Idle", "600"});
    kv.push_back({"Cdest-ID", "cd1"});
    return add_ok(cs1, kv);
  }
  bool hit(uint32_t id, const dfc::fw::FlowKey& k) {
    auto m = matches(k);
    return std::find(m.begin(), m.end(), id) != m.end();
  }
};

TEST_F(CriteriaTest, Ipv4SinglePrefixRangeOpenRangeListWildcard) {
  uint32_t single = add({{"Source-Address", "10.0.0.7"}});
  uint32_t prefix = add({{"Source-Address", "10.1.0.0/16"}});
  uint32_t hostbits = add({{"Source-Address", "10.2.3.4/24"}});  // host bits ignored
  uint32_t range = add({{"Dest-Address", "10.1.1.1-10.1.1.10"}});
  uint32_t open_hi = add({{"Dest-Address", "200.0.0.0-*"}});
  uint32_t open_lo = add({{"Dest-Address", "*-1.0.0.0"}});
  uint32_t list = add({{"Source-Address", "10.5.0.1, 10.6.0.0/24,10.7.0.1-10.7.0.3"}});
  uint32_t star = add({{"Source-Address", "*"}});
  const char* any = "172.16.0.1";
  EXPECT_TRUE(hit(single, v4("10.0.0.7", any, 6, 1, 2)));
  EXPECT_FALSE(hit(single, v4("10.0.0.8", any, 6, 1, 2)));
  EXPECT_TRUE(hit(prefix, v4("10.1.255.255", any, 17, 1, 2)));
  EXPECT_FALSE(hit(prefix, v4("10.2.0.0", any, 17, 1, 2)));
  EXPECT_TRUE(hit(hostbits, v4("10.2.3.200", any, 1)));
  EXPECT_FALSE(hit(hostbits, v4("10.2.4.1", any, 1)));
  EXPECT_TRUE(hit(range, v4(any, "10.1.1.1", 6, 1, 2)));
  EXPECT_TRUE(hit(range, v4(any, "10.1.1.10", 6, 1, 2)));
  EXPECT_FALSE(hit(range, v4(any, "10.1.1.11", 6, 1, 2)));
  EXPECT_FALSE(hit(range, v4(any, "10.1.1.0", 6, 1, 2)));
  EXPECT_TRUE(hit(open_hi, v4(any, "255.255.255.255", 6, 1, 2)));
  EXPECT_TRUE(hit(open_hi, v4(any, "200.0.0.0", 6, 1, 2)));
  EXPECT_FALSE(hit(open_hi, v4(any, "199.255.255.255", 6, 1, 2)));
  EXPECT_TRUE(hit(open_lo, v4(any, "0.0.0.0", 6, 1, 2)));
  EXPECT_TRUE(hit(open_lo, v4(any, "1.0.0.0", 6, 1, 2)));
  EXPECT_FALSE(hit(open_lo, v4(any, "1.0.0.1", 6, 1, 2)));
  EXPECT_TRUE(hit(list, v4("10.5.0.1", any, 6, 1, 2)));
  EXPECT_TRUE(hit(list, v4("10.6.0.99", any, 6, 1, 2)));
  EXPECT_TRUE(hit(list, v4("10.7.0.3", any, 6, 1, 2)));
  EXPECT_FALSE(hit(list, v4("10.7.0.4", any, 6, 1, 2)));
  EXPECT_TRUE(hit(star, v4("1.2.3.4", any, 50)));
  EXPECT_TRUE(hit(star, v6("2001:db8::1", "::1", 6, 1, 2)));  // `*` matches any family
}

TEST_F(CriteriaTest, Ipv6Forms) {
  uint32_t single = add({{"Dest-Address", "affe::1:1"}});
  uint32_t prefix = add({{"Source-Address", "7234:5678:ABCD:EF12:3456:78AB:ABC8:1235/112"}});
  uint32_t range = add({{"Dest-Address", "2001:db8::10-2001:db8::20"}});
  uint32_t open = add({{"Dest-Address", "fe80::-*"}});
  uint32_t mixed = add({{"Source-Address", "10.0.0.1, 2001:db8::/32"}});
  EXPECT_TRUE(hit(single, v6("::2", "affe::1:1", 17, 1, 2)));
  EXPECT_FALSE(hit(single, v6("::2", "affe::1:2", 17, 1, 2)));
  EXPECT_FALSE(hit(single, v4("0.0.0.2", "0.1.0.1", 17, 1, 2)));  // v4 packet never matches a v6 entry
  EXPECT_TRUE(hit(prefix, v6("7234:5678:abcd:ef12:3456:78ab:abc8:ffff", "::1", 6, 1, 2)));
  EXPECT_FALSE(hit(prefix, v6("7234:5678:abcd:ef12:3456:78ab:abc9:0", "::1", 6, 1, 2)));
  EXPECT_TRUE(hit(range, v6("::1", "2001:db8::15", 6, 1, 2)));
  EXPECT_FALSE(hit(range, v6("::1", "2001:db8::21", 6, 1, 2)));
  EXPECT_TRUE(hit(open, v6("::1", "ffff::1", 6, 1, 2)));
  EXPECT_FALSE(hit(open, v6("::1", "fe7f::1", 6, 1, 2)));
  EXPECT_TRUE(hit(mixed, v4("10.0.0.1", "1.1.1.1", 6, 1, 2)));
  EXPECT_TRUE(hit(mixed, v6("2001:db8:1::5", "::1", 6, 1, 2)));
  EXPECT_FALSE(hit(mixed, v6("2001:db9::5", "::1", 6, 1, 2)));
}

TEST_F(CriteriaTest, ProtocolPortsAndPortProtocolInterplay) {
  uint32_t proto = add({{"Protocol", "6,17"}});
  uint32_t dport = add({{"Dest-Port", "53"}});                   // Protocol wildcard: any port-carrying packet
  uint32_t tcp80 = add({{"Protocol", "6"}, {"Dest-Port", "80-81"}});
  uint32_t sport = add({{"Source-Port", "1024-*"}});
  uint32_t mix = add({{"Protocol", "1,17"}, {"Dest-Port", "53"}});  // ICMP entry pruned
  const char* a = "1.1.1.1";
  const char* b = "2.2.2.2";
  EXPECT_TRUE(hit(proto, v4(a, b, 6, 1, 2)));
  EXPECT_TRUE(hit(proto, v4(a, b, 17, 1, 2)));
  EXPECT_FALSE(hit(proto, v4(a, b, 1)));
  EXPECT_TRUE(hit(dport, v4(a, b, 17, 9, 53)));
  EXPECT_TRUE(hit(dport, v4(a, b, 6, 9, 53)));
  EXPECT_FALSE(hit(dport, v4(a, b, 6, 53, 9)));
  EXPECT_FALSE(hit(dport, v4(a, b, 50)));           // no ports: a port criterion never matches
  dfc::fw::FlowKey frag = v4(a, b, 17, 9, 53);
  frag.has_ports = false;                           // non-first fragment: ports unknown
  frag.frag_nonfirst = true;
  frag.sport = frag.dport = 0;
  EXPECT_FALSE(hit(dport, frag));
  EXPECT_TRUE(hit(tcp80, v4(a, b, 6, 9, 81)));
  EXPECT_FALSE(hit(tcp80, v4(a, b, 17, 9, 80)));
  EXPECT_FALSE(hit(tcp80, v4(a, b, 6, 9, 82)));
  EXPECT_TRUE(hit(sport, v4(a, b, 6, 65535, 1)));
  EXPECT_FALSE(hit(sport, v4(a, b, 6, 1023, 1)));
  EXPECT_TRUE(hit(mix, v4(a, b, 17, 1, 53)));
  EXPECT_FALSE(hit(mix, icmp4(a, b, 8, 0)));
}

TEST_F(CriteriaTest, IcmpTypeAndCode) {
  uint32_t echo = add({{"ICMP-Type", "8"}});
  uint32_t unreach = add({{"Protocol", "1"}, {"ICMP-Type", "3"}, {"ICMP-Code", "0-3,13"}});
  const char* a = "1.1.1.1";
  const char* b = "2.2.2.2";
  EXPECT_TRUE(hit(echo, icmp4(a, b, 8, 0)));
  EXPECT_FALSE(hit(echo, icmp4(a, b, 0, 0)));
  EXPECT_FALSE(hit(echo, v4(a, b, 6, 8, 8)));  // TCP never matches an ICMP criterion
  EXPECT_TRUE(hit(unreach, icmp4(a, b, 3, 13)));
  EXPECT_TRUE(hit(unreach, icmp4(a, b, 3, 2)));
  EXPECT_FALSE(hit(unreach, icmp4(a, b, 3, 4)));
  EXPECT_FALSE(hit(unreach, icmp4(a, b, 4, 0)));
}

TEST_F(CriteriaTest, NegationSemantics) {
  // "!a" alone: everything but a.  "!a,b": b (and never a).  "a,!b" with b inside a: a minus b.
  uint32_t not_one = add({{"Source-Address", "!10.0.0.1"}});
  uint32_t minus = add({{"Source-Address", "10.0.0.0/24, !10.0.0.128/25"}});
  uint32_t not_port = add({{"Protocol", "6"}, {"Dest-Port", "!22, !23"}});
  uint32_t not_proto = add({{"Protocol", "!6"}});
  uint32_t two_fields = add({{"Source-Address", "!10.0.0.1"}, {"Dest-Address", "!10.0.0.2"}});
  const char* o = "9.9.9.9";
  EXPECT_FALSE(hit(not_one, v4("10.0.0.1", o, 6, 1, 2)));
  EXPECT_TRUE(hit(not_one, v4("10.0.0.2", o, 6, 1, 2)));
  EXPECT_TRUE(hit(not_one, v6("2001:db8::1", "::1", 6, 1, 2)));  // v4 exclusion does not touch v6
  EXPECT_TRUE(hit(minus, v4("10.0.0.127", o, 1)));
  EXPECT_FALSE(hit(minus, v4("10.0.0.128", o, 1)));
  EXPECT_FALSE(hit(minus, v4("10.0.1.1", o, 1)));
  EXPECT_TRUE(hit(not_port, v4(o, o, 6, 1, 80)));
  EXPECT_FALSE(hit(not_port, v4(o, o, 6, 1, 22)));
  EXPECT_FALSE(hit(not_port, v4(o, o, 6, 1, 23)));
  EXPECT_FALSE(hit(not_port, v4(o, o, 17, 1, 80)));
  EXPECT_TRUE(hit(not_proto, v4(o, o, 17, 1, 2)));
  EXPECT_FALSE(hit(not_proto, v4(o, o, 6, 1, 2)));
  EXPECT_TRUE(hit(two_fields, v4("1.1.1.1", "2.2.2.2", 6, 1, 2)));
  EXPECT_FALSE(hit(two_fields, v4("10.0.0.1", "2.2.2.2", 6, 1, 2)));
  EXPECT_FALSE(hit(two_fields, v4("1.1.1.1", "10.0.0.2", 6, 1, 2)));
}

TEST_F(CriteriaTest, CrossProductAndPriorityOrder) {
  uint32_t cp = add({{"Source-Address", "10.0.0.1,10.0.0.2"}, {"Dest-Address", "10.1.0.1,10.1.0.2"}, {"Protocol", "6,17"}});
  auto c = srv.criteria();
  EXPECT_EQ(c.back().terms, 8u);
  EXPECT_TRUE(hit(cp, v4("10.0.0.2", "10.1.0.1", 17, 1, 2)));
  EXPECT_FALSE(hit(cp, v4("10.0.0.2", "10.1.0.3", 17, 1, 2)));
  // Lower total priority first: cs2 (minimum-priority 0) Priority 5 beats cs1 (min 10) Priority 1.
  uint32_t hi = add_ok(cs2, {{"Priority", "5"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}});
  uint32_t lo = add_ok(cs1, {{"Priority", "1"}, {"Timeout-Idle", "60"}, {"Cdest-ID", "cd1"}});
  auto m = matches(v4("10.0.0.2", "10.1.0.1", 17, 1, 2));
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], hi);  // priority 5
  EXPECT_EQ(m[1], cp);  // priority 11, added before lo
  EXPECT_EQ(m[2], lo);  // priority 11
  auto* mc = srv.criterion_for_rule(srv.criteria()[0].rule);
  ASSERT_NE(mc, nullptr);
  EXPECT_EQ(mc->csource_id, "cs1");
  EXPECT_EQ(mc->cdest_id, "cd1");
  EXPECT_EQ(srv.criterion_for_rule(123456), nullptr);
}

// ---- pure translation (no server) -----------------------------------------------------------
TEST(DtcpTerms, NegatedEntriesBecomeExclusionTerms) {
  dfc::dtcp::CriteriaSpec s;
  std::string err;
  s.src = *dfc::dtcp::parse_ip_filter("10.0.0.0/8,!10.1.0.0/16", true, &err);
  s.dport = *dfc::dtcp::parse_int_filter("!22", 65535, &err);
  auto r = dfc::dtcp::build_terms(s);
  ASSERT_TRUE(r.error.empty());
  ASSERT_EQ(r.terms.size(), 3u);
  EXPECT_FALSE(r.terms[0].exclude);
  EXPECT_TRUE(r.terms[0].need_ports);
  EXPECT_TRUE(r.terms[1].exclude);
  EXPECT_TRUE(r.terms[2].exclude);
  EXPECT_TRUE(r.terms[2].need_ports);
  dfc::dtcp::HeaderFields h;
  h.src = *dfc::dtcp::parse_ipv4("10.2.0.1");
  h.has_ports = true;
  h.proto = 6;
  h.dport = 80;
  EXPECT_TRUE(dfc::dtcp::terms_match(r.terms, h));
  h.dport = 22;
  EXPECT_FALSE(dfc::dtcp::terms_match(r.terms, h));
  h.dport = 80;
  h.src = *dfc::dtcp::parse_ipv4("10.1.2.3");
  EXPECT_FALSE(dfc::dtcp::terms_match(r.terms, h));
}

TEST(DtcpTerms, TooManyTermsReported) {
  dfc::dtcp::CriteriaSpec s;
  std::string err;
  s.sport = *dfc::dtcp::parse_int_filter("1,2,3,4,5,6,7,8,9,10,11", 65535, &err);
  s.dport = *dfc::dtcp::parse_int_filter("1,2,3,4,5,6,7,8,9,10,11", 65535, &err);
  auto r = dfc::dtcp::build_terms(s, 100);
  EXPECT_TRUE(r.too_many);
  EXPECT_TRUE(r.terms.empty());
}

TEST(DtcpTerms, FilterSyntax) {
  std::string err;
  EXPECT_FALSE(dfc::dtcp::parse_ip_filter("", true, &err));
  EXPECT_FALSE(dfc::dtcp::parse_ip_filter("1.2.3", true, &err));
  EXPECT_FALSE(dfc::dtcp::parse_ip_filter("1.2.3.4,", true, &err));
  EXPECT_FALSE(dfc::dtcp::parse_ip_filter("01234.1.1.1", true, &err));
  EXPECT_FALSE(dfc::dtcp::parse_ip_filter("*-*", true, &err));
  EXPECT_FALSE(dfc::dtcp::parse_ip_filter("::1", false, &err));
  EXPECT_EQ(err, "IPv6 needs DTCP/0.7");
  EXPECT_TRUE(dfc::dtcp::parse_ip_filter("::/0", true, &err));
  EXPECT_TRUE(dfc::dtcp::parse_ip_filter("0.0.0.0/0", true, &err));
  EXPECT_FALSE(dfc::dtcp::parse_int_filter("1-", 255, &err));
  EXPECT_FALSE(dfc::dtcp::parse_int_filter("99999999999999999999999", ~0ull, &err));
  auto e = dfc::dtcp::parse_int_filter("!5, 7-*, *-3, *", 255, &err);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 4u);
  EXPECT_TRUE((*e)[0].neg);
  EXPECT_EQ((*e)[1].hi, 255u);
  EXPECT_EQ((*e)[2].lo, 0u);
  EXPECT_TRUE((*e)[3].wildcard);
}

}  // namespace
