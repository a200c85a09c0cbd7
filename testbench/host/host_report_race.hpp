// report.json `race_check` and `races` from the card's race checker (docs/race-check.md).
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace dfc::model {
class Card;
}  // namespace dfc::model

namespace dfc::tb {

// {"race_check": {...}, "races": [...]}, or null when the checker is off.
nlohmann::json race_report(const model::Card& card);
// The summary's lines about it ("" when off).
std::string race_summary(const nlohmann::json& report);

}  // namespace dfc::tb
