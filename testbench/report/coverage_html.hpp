// report.html's functional-coverage section: one table per coverage group (DTCP methods, status
// codes, criteria forms, multi-match depths, ...), a row per bin with its count; bins never hit
// are marked, since they are the holes a regression has to fill.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace dfc::tb {

std::string coverage_tables_html(const nlohmann::json& coverage);

}  // namespace dfc::tb
