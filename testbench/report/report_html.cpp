// report.html (render_report_html, stats.hpp): a self-contained page (inline SVG, no scripts)
// built from report.json alone, so any saved report renders the same.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <sstream>

#include "common/text.hpp"
#include "report/coverage_html.hpp"
#include "report/report_html.hpp"
#include "report/stats.hpp"

namespace dfc::tb {
using common::html_escape;
using nlohmann::json;

namespace html {

std::string cell_number(const json& v) {
  if (v.is_null()) return "&mdash;";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_string()) return html_escape(v.get<std::string>());
  if (!v.is_number()) return html_escape(v.dump());
  if (v.is_number_integer()) {
    // Groups of three digits, split by a narrow no-break space (no wrapping inside a number).
    const std::string d = v.is_number_unsigned() ? std::to_string(v.get<uint64_t>()) : std::to_string(v.get<int64_t>());
    const size_t lead = d[0] == '-' ? 1 : 0;
    std::string out = d.substr(0, lead);
    for (size_t i = lead; i < d.size(); ++i) {
      if (i > lead && (d.size() - i) % 3 == 0) out += "&#8239;";
      out += d[i];
    }
    return out;
  }
  const double x = v.get<double>();
  if (!std::isfinite(x)) return "&mdash;";
  std::ostringstream o;
  const double a = std::fabs(x);
  if (a >= 1e6) o << std::setprecision(3) << x / 1e6 << "M";
  else if (a >= 1e3) o << std::setprecision(3) << x / 1e3 << "k";
  else if (a == 0 || a >= 1e-3) o << std::setprecision(3) << x;
  else o << std::setprecision(2) << std::scientific << x;
  return o.str();
}

namespace {

// A duration in seconds with a unit that keeps it readable (ns .. s).
std::string seconds_text(double s) {
  if (!(s > 0)) return "0";
  std::ostringstream o;
  o << std::setprecision(3);
  if (s < 1e-6) o << s * 1e9 << " ns";
  else if (s < 1e-3) o << s * 1e6 << " us";
  else if (s < 1) o << s * 1e3 << " ms";
  else o << s << " s";
  return o.str();
}

double number_or(const json& obj, const char* key, double dflt = 0) {
  if (!obj.is_object()) return dflt;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : dflt;
}

// A counter of bad events: a zero is good news (neutral), anything else stands out.
std::string bad_count_cell(const json& v) {
  const bool zero = !v.is_number() || v.get<double>() == 0;
  return std::string("<td class='") + (zero ? "zero" : "warn") + "'>" + cell_number(v) + "</td>";
}

bool names_bad_event(std::string path) {
  path = common::lower(path);
  for (const char* w : {"drop", "missing", "unexpected", "ambigu", "uncertain", "unindexed", "no_reply", "error", "fail",
                        "mismatch", "diverg", "lost", "purge", "bad"})
    if (path.find(w) != std::string::npos) return true;
  return false;
}

json coverage_copy(const json& j, const std::string& path) {
  if (j.is_null()) return "none recorded";
  if (j.is_object()) {
    json out = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = coverage_copy(it.value(), path + "." + it.key());
    return out;
  }
  if (j.is_number() && j.get<double>() == 0 && names_bad_event(path)) return "0";
  return j;
}

}  // namespace

json coverage_for_html(const json& coverage) { return coverage_copy(coverage, ""); }

std::string locks_table(const json& locks) {
  std::ostringstream o;
  if (!locks.is_object() || locks.empty()) return "<p>No hardware semaphore statistics in this report.</p>";
  o << "<table><tr><th>lock</th><th>acquisitions</th><th>contended</th><th>contended share</th><th>time waited</th>"
       "<th>mean wait when contended</th></tr>";
  for (auto it = locks.begin(); it != locks.end(); ++it) {
    const json& l = it.value();
    const double acq = number_or(l, "acquisitions"), cont = number_or(l, "contended"), wait = number_or(l, "wait_s");
    o << "<tr><td>" << html_escape(it.key()) << "</td><td>" << cell_number(l.value("acquisitions", json())) << "</td>"
      << bad_count_cell(l.value("contended", json())) << "<td>"
      << (acq > 0 ? cell_number(json(std::round(1e3 * cont / acq) / 10)) + " %" : std::string("&mdash;"))
      << "</td><td>" << seconds_text(wait) << "</td><td>" << (cont > 0 ? seconds_text(wait / cont) : "&mdash;")
      << "</td></tr>";
  }
  o << "</table>";
  return o.str();
}

std::string caches_table(const json& caches) {
  if (!caches.is_object() || !caches.contains("l1")) return "<p>No cache statistics in this report.</p>";
  std::ostringstream o;
  o << "<table><tr><th>cache</th><th>hits</th><th>misses</th><th>miss rate</th></tr>";
  const auto row = [&](const std::string& name, const json& c) {
    o << "<tr><td>" << html_escape(name) << "</td><td>" << cell_number(c.value("hits", json())) << "</td><td>"
      << cell_number(c.value("misses", json())) << "</td><td>"
      << cell_number(json(std::round(1e3 * number_or(c, "miss_rate")) / 10)) << " %</td></tr>";
  };
  for (auto it = caches["l1"].begin(); it != caches["l1"].end(); ++it) row("L1 " + it.key(), it.value());
  if (caches.contains("l2")) row("L2 (shared)", caches["l2"]);
  o << "</table>";
  return o.str();
}

std::string criteria_table(const json& criteria, size_t max_rows) {
  if (!criteria.is_array() || criteria.empty()) return "<p>No criteria in this report.</p>";
  std::vector<const json*> rows;
  for (const auto& c : criteria)
    if (c.is_object()) rows.push_back(&c);
  std::stable_sort(rows.begin(), rows.end(), [](const json* a, const json* b) {
    return number_or(*a, "matching_packets") > number_or(*b, "matching_packets");
  });
  const char* cols[] = {"criteria_id", "csource", "cdest", "priority", "static", "matching_packets", "matching_bytes",
                        "classifier_entries"};
  std::ostringstream o;
  o << "<table><tr>";
  for (const char* c : cols) o << "<th>" << c << "</th>";
  o << "</tr>";
  for (size_t i = 0; i < rows.size() && i < max_rows; ++i) {
    o << "<tr>";
    for (const char* c : cols) o << "<td>" << cell_number(rows[i]->value(c, json())) << "</td>";
    o << "</tr>";
  }
  o << "</table>";
  if (rows.size() > max_rows)
    o << "<p>The " << max_rows << " criteria with the most matching packets; " << rows.size() - max_rows
      << " more in report.json.</p>";
  return o.str();
}

}  // namespace html

namespace {

using html::cell_number;

std::vector<double> dvec(const json& a) {
  std::vector<double> v;
  if (a.is_array())
    for (auto& x : a) v.push_back(x.is_number() ? x.get<double>() : std::nan(""));
  return v;
}

const char* kStyle =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:1600px;padding:0 2em}"
    "svg.chart{width:100%;height:auto;display:block;margin:0.5em 0 1.5em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}"
    ".fail{color:#b00;font-weight:bold}.pass{color:#070}.warn{color:#a35200;font-weight:bold}.zero{color:#777}";

void header(std::ostringstream& o, const json& r) {
  const json sc = r.value("scenario", json::object());
  auto text = [&](const char* k, const char* dflt) {
    const auto it = sc.find(k);
    return html_escape(it != sc.end() && it->is_string() ? it->get<std::string>() : std::string(dflt));
  };
  o << "<h1>dfcsim report</h1><p>" << text("name", "run") << " &mdash; profile " << text("profile", "?")
    << ", classifier " << text("classifier", "?") << "</p>";
  if (r.contains("expectations") && r["expectations"].is_array()) {
    const auto& f = r["expectations"];
    o << "<p class='" << (f.empty() ? "pass'>All expectations met" : "fail'>Expectations failed") << "</p>";
    if (!f.empty()) {
      o << "<ul>";
      for (auto& x : f) o << "<li class='fail'>" << html_escape(x.is_string() ? x.get<std::string>() : x.dump()) << "</li>";
      o << "</ul>";
    }
  }
  o << "<table><tr><th>metric</th><th>value</th></tr>";
  for (const char* k : {"packets_in", "packets_matched", "copies_chosen", "copies_sent", "offered_pps", "achieved_pps",
                        "simulated_time_s", "wall_time_s", "simulated_packets_per_wall_second"})
    if (r.contains(k)) o << "<tr><td>" << k << "</td><td>" << cell_number(r[k]) << "</td></tr>";
  o << "</table>";
}

void utilisation(std::ostringstream& o, const json& r) {
  if (!r.contains("utilisation") || !r["utilisation"].is_object()) return;
  // Busy fraction per block, as the report names it; the busiest one (report.json's
  // "bottleneck") in bold.
  const auto bit = r.find("bottleneck");
  const std::string bn = bit != r.end() && bit->is_string() ? bit->get<std::string>() : std::string();
  o << "<h2>Utilisation</h2>";
  if (!bn.empty()) o << "<p>Bottleneck: <b>" << html_escape(bn) << "</b></p>";
  o << "<table style='width:60%'><tr><th>resource</th><th>busy</th><th style='width:60%'></th></tr>";
  for (auto it = r["utilisation"].begin(); it != r["utilisation"].end(); ++it) {
    const double v = it.value().is_number() ? std::clamp(it.value().get<double>(), 0.0, 1.0) : 0.0;
    const std::string name = html_escape(it.key());
    o << "<tr><td>" << (it.key() == bn ? "<b>" + name + "</b>" : name) << "</td><td>" << cell_number(json(100 * v))
      << " %</td><td style='text-align:left'><div style='background:#4a7;height:10px;width:" << std::fixed
      << std::setprecision(1) << 100 * v << "%'></div></td></tr>" << std::defaultfloat;
  }
  o << "</table>";
}

void stalls_and_locks(std::ostringstream& o, const json& r) {
  o << "<h2>Stall breakdown</h2>";
  const json stalls = r.value("stalls", json::object());
  if (stalls.is_object() && !stalls.empty())
    o << "<p>Share of the simulated time each core (bold) and each of its hardware threads spent computing, waiting "
         "on memory, on a hardware semaphore, on the classifier, or idle.</p>"
      << html::stalls_chart(stalls);
  else
    o << "<p>No per-core stall breakdown in this report.</p>";
  o << "<h3>Hardware semaphores</h3>" << html::locks_table(r.value("locks", json::object()));
  o << "<h3>Caches</h3>" << html::caches_table(r.value("caches", json::object()));
}

void drops(std::ostringstream& o, const json& r) {
  if (!r.contains("drops") || !r["drops"].is_object()) return;
  o << "<h2>Drops by reason</h2><table><tr><th>reason</th><th>count</th></tr>";
  for (auto it = r["drops"].begin(); it != r["drops"].end(); ++it)
    o << "<tr><td>" << html_escape(it.key()) << "</td>" << html::bad_count_cell(it.value()) << "</tr>";
  o << "</table>";
}

void series_charts(std::ostringstream& o, const json& r) {
  if (!r.contains("timeseries") || !r["timeseries"].is_object()) return;
  const json& ts = r["timeseries"];
  const json series = ts.value("series", json::object());
  const auto x = dvec(ts.value("t_s", json::array()));
  std::vector<html::Series> thr, cp;
  for (const char* k : {"offered", "achieved", "dropped"})
    if (series.contains(k)) thr.push_back({std::string(k) + " pps", dvec(series[k])});
  if (!thr.empty()) o << "<h2>Throughput</h2>" << html::line_chart("Offered vs achieved throughput", "packets/s", x, thr);
  for (auto it = series.begin(); it != series.end(); ++it)
    if (it.key().rfind("copies:", 0) == 0) cp.push_back({it.key().substr(7), dvec(it.value())});
  if (!cp.empty())
    o << "<h2>Copies per destination</h2>" << html::line_chart("Copies per content destination", "copies/s", x, cp);
}

void latency(std::ostringstream& o, const json& r) {
  if (!r.contains("latency") || !r["latency"].is_object()) return;
  const json& l = r["latency"];
  if (html::number_or(l, "count") <= 0) return;
  o << "<h2>Copy latency</h2><p>";
  const char* sep = "";
  for (const char* k : {"p50", "p90", "p99", "max"}) {
    o << sep << k << " " << cell_number(l.value(std::string(k) + "_us", json())) << " us";
    sep = ", ";
  }
  o << "</p>";
  const json h = l.value("histogram", json::object());
  if (h.is_object())
    o << html::histogram_chart("Copy latency histogram", "copy latency, arrival to departure (us)",
                               dvec(h.value("edges_us", json::array())), dvec(h.value("counts", json::array())));
}

void destinations(std::ostringstream& o, const json& r) {
  if (!r.contains("copies_per_destination") || !r["copies_per_destination"].is_object()) return;
  o << "<h2>Content destinations</h2><table><tr><th>destination</th><th>copies</th><th>bytes</th><th>pcap</th></tr>";
  for (auto it = r["copies_per_destination"].begin(); it != r["copies_per_destination"].end(); ++it) {
    const json& d = it.value();
    o << "<tr><td>" << html_escape(it.key()) << "</td><td>" << cell_number(d.value("copies", json())) << "</td><td>"
      << cell_number(d.value("bytes", json())) << "</td><td>" << cell_number(d.value("pcap", json())) << "</td></tr>";
  }
  o << "</table>";
}

}  // namespace

namespace html {
// report.json "realtime" (a serve run): lag, host-late packets, socket drops; "" without it
// (report_html_realtime.cpp).
std::string realtime_html(const json& report);
}  // namespace html

std::string render_report_html(const json& r) {
  std::ostringstream o;
  o << "<!DOCTYPE html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
       "<title>dfcsim report</title><style>"
    << kStyle << "</style></head><body>";
  header(o, r);
  utilisation(o, r);
  o << html::realtime_html(r);  // serve only
  if (r.contains("timeline")) o << html::timeline_html(r["timeline"]);
  if (r.contains("iss")) o << html::iss_html(r["iss"]);
  o << html::race_html(r);
  stalls_and_locks(o, r);
  drops(o, r);
  series_charts(o, r);
  latency(o, r);
  destinations(o, r);
  if (r.contains("criteria") && r["criteria"].is_array())
    o << "<h2>Criteria</h2>" << html::criteria_table(r["criteria"]);
  if (r.contains("coverage")) o << coverage_tables_html(html::coverage_for_html(r["coverage"]));
  o << "<p>All numbers: report.json.</p></body></html>\n";
  return o.str();
}

}  // namespace dfc::tb
