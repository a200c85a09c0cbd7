#include "report/coverage_html.hpp"

#include <sstream>
#include <utility>
#include <vector>

#include "common/text.hpp"

namespace dfc::tb {

namespace {

using nlohmann::json;

using common::html_escape;

// Flattens a group into (bin path, value) rows: nested objects give dotted paths.
void rows(const json& j, const std::string& path, std::vector<std::pair<std::string, const json*>>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it) rows(it.value(), path.empty() ? it.key() : path + "." + it.key(), out);
  } else {
    out.emplace_back(path.empty() ? "(value)" : path, &j);
  }
}

std::string cell(const json& v) {
  if (v.is_number() || v.is_boolean()) return v.dump();
  if (v.is_string()) return html_escape(v.get<std::string>());
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + (x.is_string() ? html_escape(x.get<std::string>()) : html_escape(x.dump()));
    return s.empty() ? "&mdash;" : s;
  }
  if (v.is_object()) return "&mdash;";  // an empty group
  return html_escape(v.dump());
}

}  // namespace

std::string coverage_tables_html(const json& cov) {
  std::ostringstream o;
  o << "<h2>Functional coverage</h2>";
  if (!cov.is_object() || cov.empty()) return o.str() + "<p>No coverage recorded.</p>";
  // Scalars first, in one table; then a table per group.
  std::vector<std::pair<std::string, const json*>> scalars;
  for (auto it = cov.begin(); it != cov.end(); ++it)
    if (!it.value().is_object()) scalars.emplace_back(it.key(), &it.value());
  if (!scalars.empty()) {
    o << "<table class='coverage'><tr><th>item</th><th>value</th></tr>";
    for (const auto& [k, v] : scalars) o << "<tr><td>" << html_escape(k) << "</td><td>" << cell(*v) << "</td></tr>";
    o << "</table>";
  }
  for (auto it = cov.begin(); it != cov.end(); ++it) {
    if (!it.value().is_object()) continue;
    std::vector<std::pair<std::string, const json*>> r;
    rows(it.value(), "", r);
    o << "<h3>" << html_escape(it.key()) << "</h3><table class='coverage'><tr><th>bin</th><th>count</th></tr>";
    for (const auto& [k, v] : r) {
      const bool hole = v->is_number() && v->get<double>() == 0;
      o << "<tr" << (hole ? " class='fail'" : "") << "><td>" << html_escape(k) << "</td><td>" << cell(*v) << "</td></tr>";
    }
    o << "</table>";
  }
  return o.str();
}

}  // namespace dfc::tb
