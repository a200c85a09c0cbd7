// report.html from a crafted report.json: plots scale to the page (viewBox, width 100%), axis
// ticks fall on 1-2-5 steps, identical series stay visible, good-news zeros are not red, no
// JSON null shows, and the stall breakdown, the locks and the criteria tables are there.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report_html.hpp"
#include "report/stats.hpp"

namespace {
using nlohmann::json;
using namespace dfc::tb;

json crafted_report() {
  json r;
  r["scenario"] = {{"name", "crafted"}, {"profile", "ms400"}, {"classifier", "model"}};
  r["packets_in"] = 700000;
  r["offered_pps"] = 1857000.5;
  r["achieved_pps"] = nullptr;  // a field a run could not compute
  r["drops"] = {{"ingress_buffer_full", 0}, {"copies_tx_queue_full", 12}};
  // Offered and achieved identical (nothing dropped): both must stay visible. Peak 1.86M, the
  // value that gave ticks at 464.3k, 928.5k, ...
  json offered = json::array(), dropped = json::array(), t = json::array();
  for (int i = 0; i < 40; ++i) {
    t.push_back(0.0004 * i);
    offered.push_back(i == 0 ? 1.2e6 : 1.857e6 + 1000.0 * (i % 3));
    dropped.push_back(0.0);
  }
  r["timeseries"] = {{"bucket_s", 0.0004}, {"t_s", t},
                     {"series", {{"offered", offered}, {"achieved", offered}, {"dropped", dropped}}}};
  r["latency"] = {{"count", 10}, {"p50_us", 3.1}, {"p90_us", 4.7}, {"p99_us", 6.02}, {"max_us", 6.3},
                  {"mean_us", 3.3}, {"histogram", {{"edges_us", {2.913, 3.7, 4.487, 5.274, 6.061}},
                                                   {"counts", {3, 4, 2, 1}}}}};
  json t0 = {{"compute", 0.6}, {"memory", 0.2}, {"lock", 0.1}, {"classifier", 0.05}, {"idle", 0.05}};
  json t1 = {{"compute", 0.0}, {"memory", 0.0}, {"lock", 0.0}, {"classifier", 0.0}, {"idle", 1.0}};
  json c0 = t0;
  c0["role"] = "control";
  c0["threads"] = {{"t0", t0}, {"t1", t1}};
  json c1 = t1;
  c1["role"] = "data";
  c1["threads"] = {{"t0", t1}, {"t1", t0}};
  r["stalls"] = {{"core0", c0}, {"core1", c1}};
  r["locks"] = {{"criteria", {{"acquisitions", 1726}, {"contended", 82}, {"wait_s", 8.8e-6}}},
                {"classifier", {{"acquisitions", 0}, {"contended", 0}, {"wait_s", 0.0}}}};
  r["criteria"] = json::array();
  for (int i = 1; i <= 60; ++i)
    r["criteria"].push_back({{"criteria_id", i}, {"csource", "md1"}, {"cdest", "cd1"}, {"priority", 1},
                             {"static", true}, {"matching_packets", i == 42 ? 99999 : i}, {"matching_bytes", 64 * i},
                             {"classifier_entries", 1}});
  r["coverage"] = {{"timeouts", nullptr},
                   {"dtcp", {{"notifications", nullptr}, {"methods", {{"ADD", 60}}}}},
                   {"copy_drops_reported", {{"copies_max_duplicates", 0}}},
                   {"packets", {{"ipv4", 700000}, {"ipv6", 0}}}};
  return r;
}

// The numeric value of a tick label ("1.5M", "500k", "0.25", "0").
double label_value(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (*end == 'k') v *= 1e3;
  if (*end == 'M') v *= 1e6;
  return v;
}

// Each chart's tick labels of one axis ("tick-x" / "tick-y").
std::vector<std::vector<std::string>> axis_labels(const std::string& html, const std::string& cls) {
  std::vector<std::vector<std::string>> charts;
  const std::regex label("class='" + cls + "'[^>]*>([^<]*)<");
  size_t at = 0;
  while ((at = html.find("<svg", at)) != std::string::npos) {
    const size_t end = html.find("</svg>", at);
    const std::string svg = html.substr(at, end - at);
    std::vector<std::string> ls;
    for (std::sregex_iterator it(svg.begin(), svg.end(), label), e; it != e; ++it) ls.push_back((*it)[1]);
    if (!ls.empty()) charts.push_back(ls);
    at = end;
  }
  return charts;
}

// Consecutive labels differ by one step of 1, 2 or 5 times a power of ten, and each label is a
// multiple of it.
void expect_round_axis(const std::vector<std::string>& ls) {
  ASSERT_GE(ls.size(), 2u);
  const double step = label_value(ls[1]) - label_value(ls[0]);
  ASSERT_GT(step, 0) << ls[0] << " " << ls[1];
  const double p = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  const double m = step / p;
  EXPECT_TRUE(std::fabs(m - 1) < 1e-6 || std::fabs(m - 2) < 1e-6 || std::fabs(m - 5) < 1e-6) << "step " << step;
  for (size_t i = 0; i < ls.size(); ++i) {
    const double v = label_value(ls[i]);
    EXPECT_NEAR(v, label_value(ls[0]) + step * double(i), step * 1e-6) << ls[i];
    EXPECT_NEAR(v / step, std::round(v / step), 1e-6) << ls[i] << " is not a multiple of " << step;
  }
}

TEST(ReportHtml, NiceTicksAndLabels) {
  EXPECT_EQ(html::nice_ticks(0, 1.86e6), (std::vector<double>{0, 5e5, 1e6, 1.5e6, 2e6}));
  EXPECT_EQ(html::nice_ticks(0, 9.7), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  const auto t = html::nice_ticks(2.913, 6.061);
  EXPECT_LE(t.front(), 2.913);
  EXPECT_GE(t.back(), 6.061);
  EXPECT_EQ(html::nice_ticks(0, 0).size(), 6u) << "an all-zero axis still has a unit range";
  EXPECT_EQ(html::tick_label(1.5e6, 5e5, 2e6), "1.5M");
  EXPECT_EQ(html::tick_label(1e6, 5e5, 2e6), "1M");
  EXPECT_EQ(html::tick_label(0, 5e5, 2e6), "0");
  EXPECT_EQ(html::tick_label(500e3, 100e3, 900e3), "500k");
  EXPECT_EQ(html::tick_label(0.25, 0.05, 1), "0.25");
  EXPECT_EQ(html::cell_number(json(1250000)), "1&#8239;250&#8239;000");
  EXPECT_EQ(html::cell_number(json()), "&mdash;");
}

TEST(ReportHtml, PlotsScaleToThePageWithRoundTicks) {
  const std::string h = render_report_html(crafted_report());
  EXPECT_NE(h.find("viewBox='0 0 1000"), std::string::npos);
  EXPECT_NE(h.find("width='100%'"), std::string::npos);
  EXPECT_EQ(h.find("<svg width='640'"), std::string::npos) << "no fixed-size plot";
  const auto ys = axis_labels(h, "tick-y"), xs = axis_labels(h, "tick-x");
  ASSERT_EQ(ys.size(), 2u) << "throughput and the latency histogram";
  ASSERT_EQ(xs.size(), 2u);
  for (const auto& ls : ys) expect_round_axis(ls);
  for (const auto& ls : xs) expect_round_axis(ls);
  // The throughput axis: 0 .. 2M by 500k.
  EXPECT_EQ(ys[0], (std::vector<std::string>{"0", "0.5M", "1M", "1.5M", "2M"}));
  EXPECT_EQ(h.find("928.1k"), std::string::npos);
}

TEST(ReportHtml, IdenticalSeriesStayVisibleAndDistinct) {
  const std::string h = render_report_html(crafted_report());
  EXPECT_NE(h.find("achieved pps (= offered pps)"), std::string::npos) << "the legend says they coincide";
  // Three series, three colours, three stroke widths: none drawn exactly over another.
  const std::regex poly("<polyline fill='none' stroke='([^']*)' stroke-width='([^']*)'");
  std::vector<std::string> styles;
  for (std::sregex_iterator it(h.begin(), h.end(), poly), e; it != e; ++it) styles.push_back((*it)[1].str() + (*it)[2].str());
  ASSERT_EQ(styles.size(), 3u);
  EXPECT_NE(styles[0], styles[1]);
  EXPECT_NE(styles[1], styles[2]);
  EXPECT_NE(h.find("stroke-dasharray"), std::string::npos);
}

TEST(ReportHtml, GoodNewsZerosAreNeutralAndNoNull) {
  const std::string h = render_report_html(crafted_report());
  EXPECT_EQ(h.find("null"), std::string::npos);
  EXPECT_NE(h.find("none recorded"), std::string::npos) << "the null timeouts group";
  EXPECT_NE(h.find("<td>ingress_buffer_full</td><td class='zero'>0</td>"), std::string::npos);
  EXPECT_NE(h.find("<td>copies_tx_queue_full</td><td class='warn'>12</td>"), std::string::npos);
  EXPECT_EQ(h.find("<tr class='fail'><td>copies_max_duplicates</td>"), std::string::npos) << "no drops is good news";
  EXPECT_NE(h.find("<tr class='fail'><td>ipv6</td>"), std::string::npos) << "a coverage hole stays marked";
  EXPECT_NE(h.find("<td>achieved_pps</td><td>&mdash;</td>"), std::string::npos);
}

TEST(ReportHtml, StallBreakdownLocksAndCriteria) {
  const std::string h = render_report_html(crafted_report());
  EXPECT_NE(h.find("<h2>Stall breakdown</h2>"), std::string::npos);
  EXPECT_NE(h.find("core0 (control)"), std::string::npos);
  EXPECT_NE(h.find("core1 (data)"), std::string::npos);
  EXPECT_NE(h.find("<title>compute: 60.0 %</title>"), std::string::npos);
  EXPECT_NE(h.find("<title>lock: 10.0 %</title>"), std::string::npos);
  EXPECT_LT(h.find("core0 (control)"), h.find("core1 (data)"));
  // core0's bold bar, its threads t0 and t1 beneath, then core1.
  const size_t c0 = h.find("core0 (control)"), t1 = h.find(">t1<", c0), c1 = h.find("core1 (data)");
  EXPECT_LT(t1, c1);
  EXPECT_NE(h.find("<td>criteria</td><td>1&#8239;726</td><td class='warn'>82</td>"), std::string::npos);
  EXPECT_NE(h.find("<td>classifier</td><td>0</td><td class='zero'>0</td>"), std::string::npos);
  EXPECT_NE(h.find("8.8 us"), std::string::npos) << "the time waited";
  // The per-criterion table: the busiest first, 50 rows and a note on the rest.
  EXPECT_NE(h.find("<tr><td>42</td><td>md1</td>"), std::string::npos);
  EXPECT_LT(h.find("<tr><td>42</td>"), h.find("<tr><td>60</td>"));
  EXPECT_NE(h.find("10 more in report.json"), std::string::npos);
}

TEST(ReportHtml, EmptyStallsStillRenderTheSection) {
  json r = crafted_report();
  r["stalls"] = json::object();
  r["locks"] = json::object();
  const std::string h = render_report_html(r);
  EXPECT_NE(h.find("No per-core stall breakdown"), std::string::npos);
  EXPECT_NE(h.find("No hardware semaphore statistics"), std::string::npos);
}

}  // namespace
