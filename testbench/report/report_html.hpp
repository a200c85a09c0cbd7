// The pieces of report.html (render_report_html, stats.hpp): charts as inline SVG that scale
// to the page (viewBox, width 100%), axes with 1-2-5 ticks, and the tables. Declared here so
// the tests can check each piece on crafted input.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dfc::tb::html {

// Axis ticks covering [lo, hi] at a step of 1, 2 or 5 times a power of ten, about `target`
// intervals; the first tick is <= lo and the last >= hi. lo == hi gives a unit-wide axis.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

// A tick's label: scaled to k or M by the axis' largest magnitude, with as many decimals as the
// step needs and no trailing zeros ("0", "500k", "1.5M", "0.25").
std::string tick_label(double v, double step, double axis_max);

// A number for a table cell: integers with thin-space thousands ("1 250 000"), others with 3
// significant digits, null or missing as a dash (never "null").
std::string cell_number(const nlohmann::json& v);

struct Series {
  std::string name;
  std::vector<double> y;
};

// Several series over a shared x (simulated seconds, shown in ms). Each series has its own
// colour, dash and width (wider first) so one drawn over an identical one stays visible; the
// legend says when a series equals an earlier one.
std::string line_chart(const std::string& title, const std::string& ylabel, const std::vector<double>& x,
                       const std::vector<Series>& ys);

// Bars over bins [edges[i], edges[i+1]) on a continuous x axis.
std::string histogram_chart(const std::string& title, const std::string& xlabel, const std::vector<double>& edges,
                            const std::vector<double>& counts);

// report.json "stalls": per core a stacked bar of compute/memory/lock/classifier/idle, its
// hardware threads' bars beneath.
std::string stalls_chart(const nlohmann::json& stalls);

// report.json "locks" as a table; "criteria" (per criterion) as a table of the busiest ones.
std::string locks_table(const nlohmann::json& locks);
// report.json "caches": one row per cache (each core's L1, the shared L2): hits, misses, miss rate.
std::string caches_table(const nlohmann::json& caches);
std::string criteria_table(const nlohmann::json& criteria, size_t max_rows = 50);

// report.json "timeline": utilisation and receive-queue depth over time (line charts) and the
// control-plane events in time order (a table of at most max_rows); "" when not an object.
std::string timeline_html(const nlohmann::json& timeline, size_t max_rows = 200);

// report.json "iss" (a card that ran the firmware image): instructions per path and per hardware
// thread; "" when not an object.
std::string iss_html(const nlohmann::json& iss);

// report.json "race_check" and "races" (the race checker, docs/race-check.md); "" when it was off.
std::string race_html(const nlohmann::json& report);

// report.json "coverage" made ready for coverage_tables_html: a null group reads "none
// recorded", and a zero in a counter of bad events (drops, missing, unexpected, ...) is
// passed as text, since coverage_tables_html marks every numeric zero as a hole (red).
nlohmann::json coverage_for_html(const nlohmann::json& coverage);

}  // namespace dfc::tb::html
